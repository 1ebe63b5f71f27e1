package models

import (
	"cmp"
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// Admin lists (issue 14, growth): every list of the admin console that can grow is read a keyset
// page at a time in the order of an index, never with OFFSET, so the thousandth page costs what
// the first does. Unfiltered lists are newest first; searches are prefixes of a lower-case key
// (the email, the client's name or id), listed in the key's order, because a prefix is one range
// of an index and the index gives that order too. A contains-search ("%q%") cannot use a B-tree,
// and a trigram index (FTS5, pg_trgm) finds the rows but cannot give them newest first without
// sorting every match, which for a common word is most of the table.

// ErrBadCursor refuses a page cursor this store did not hand out (a mangled link).
var ErrBadCursor = &Error{Code: EInvalid, Message: "that page of the list is not valid; start again from the first page"}

// ListPage asks for one page of an admin list. Before and After are cursors from a previous
// page (at most one is set): the rows before or after it in the list's order, which is
// creation time for an unfiltered list and the search key for a search. Neither: the first page.
type ListPage struct {
	Before, After string
	Limit         int // 50 when not in 1..200
}

func (p ListPage) limit() int {
	if p.Limit <= 0 || p.Limit > 200 {
		return 50
	}
	return p.Limit
}

// Paged is one page of a list, in display order, with the cursors of the pages around it:
// Before lists the rows before this page in the list's order (older, or earlier in the
// alphabet), After those after it. An empty cursor means there is no such page.
type Paged[T any] struct {
	Rows          []T
	Before, After string
}

// binary makes expr compare in byte order on PostgreSQL, as the {{BINARY}} indexes of
// migration 0019 do (SQLite compares text in byte order already).
func (s *Store) binary(expr string) string {
	if s.dialect == Postgres {
		return expr + ` COLLATE "C"`
	}
	return expr
}

// prefixEnd is the smallest string above every string that starts with prefix, in byte order.
const prefixEnd = "\U0010FFFF"

// searchCursor is a position in a search's order: the key and the row's id.
func searchCursor(key, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key + "\x00" + id))
}

func parseSearchCursor(c string) (key, id string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", "", ErrBadCursor
	}
	key, id, ok := strings.Cut(string(b), "\x00")
	if !ok {
		return "", "", ErrBadCursor
	}
	return key, id, nil
}

// parseCursorID reads a search cursor, its id converted to the id column's type by idOf.
func parseCursorID(c string, idOf func(string) (any, error)) (string, any, error) {
	key, id, err := parseSearchCursor(c)
	if err != nil {
		return "", nil, err
	}
	v, err := idOf(id)
	if err != nil {
		return "", nil, ErrBadCursor
	}
	return key, v, nil
}

// textID and intID convert a cursor's id for a text or an integer id column.
func textID(id string) (any, error) { return id, nil }
func intID(id string) (any, error)  { return strconv.ParseInt(id, 10, 64) }

// keyed is a row found by a search with the key it was found by.
type keyed[T any] struct {
	Key, ID string
	Row     T
}

// prefixRange narrows q to the rows whose key (an expression in byte order, indexed together
// with idCol) starts with prefix and lie past the page's cursor, ordered by key then id in the
// direction that reads away from the cursor.
//
// unique lists columns that, after key and before idCol, make the order one the indexes give
// (the owner's id for the owner-email search: a key alone is not known to be one user's); the
// key stays what the cursor compares, so they must not change the order of distinct keys.
func prefixRange(q *gorm.DB, key, idCol, prefix string, p ListPage, idOf func(string) (any, error), unique ...string) (*gorm.DB, error) {
	q = q.Where(key+" >= ? AND "+key+" < ?", prefix, prefix+prefixEnd)
	switch {
	case p.After != "":
		k, id, err := parseCursorID(p.After, idOf)
		if err != nil {
			return nil, err
		}
		// The range starts at the cursor's key; the OR only filters rows with that very key.
		q = q.Where(key+" >= ? AND ("+key+" > ? OR "+idCol+" > ?)", k, k, id)
	case p.Before != "":
		k, id, err := parseCursorID(p.Before, idOf)
		if err != nil {
			return nil, err
		}
		q = q.Where(key+" <= ? AND ("+key+" < ? OR "+idCol+" < ?)", k, k, id).Order(key + " DESC")
		for _, u := range unique {
			q = q.Order(u + " DESC")
		}
		return q.Order(idCol + " DESC").Limit(p.limit() + 1), nil
	}
	q = q.Order(key)
	for _, u := range unique {
		q = q.Order(u)
	}
	return q.Order(idCol).Limit(p.limit() + 1), nil
}

// pageOfSearch merges the rows of each source (each read by prefixRange, so in key order away
// from the cursor) into one page in key order, with its cursors.
func pageOfSearch[T any](p ListPage, sources ...[]keyed[T]) Paged[T] {
	back := p.Before != ""
	var all []keyed[T]
	for _, s := range sources {
		all = append(all, s...)
	}
	slices.SortFunc(all, func(a, b keyed[T]) int {
		c := cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.ID, b.ID))
		if back {
			return -c
		}
		return c
	})
	more := len(all) > p.limit()
	if more {
		all = all[:p.limit()]
	}
	if back {
		slices.Reverse(all)
	}
	var out Paged[T]
	for _, r := range all {
		out.Rows = append(out.Rows, r.Row)
	}
	if len(all) == 0 {
		return out
	}
	first, last := searchCursor(all[0].Key, all[0].ID), searchCursor(all[len(all)-1].Key, all[len(all)-1].ID)
	// A page reached from a cursor has a page on the cursor's side; the far side exists when
	// the read found more rows than the page holds.
	if back {
		out.After = last
		if more {
			out.Before = first
		}
	} else {
		if more {
			out.After = last
		}
		if p.After != "" {
			out.Before = first
		}
	}
	return out
}

// pageOfNewest cuts rows read newest first (or, for an After page, oldest first) to a page in
// display order (newest first), with its cursors.
func pageOfNewest[T any](p ListPage, rows []T, cursor func(T) string) Paged[T] {
	more := len(rows) > p.limit()
	if more {
		rows = rows[:p.limit()]
	}
	newer := p.After != ""
	if newer {
		slices.Reverse(rows)
	}
	out := Paged[T]{Rows: rows}
	if len(rows) == 0 {
		return out
	}
	first, last := cursor(rows[0]), cursor(rows[len(rows)-1])
	if newer {
		out.Before = last
		if more {
			out.After = first
		}
	} else {
		if more {
			out.Before = last
		}
		if p.Before != "" {
			out.After = first
		}
	}
	return out
}

// ListUsers lists users newest first, or, with a query, those whose email starts with it in
// the order of their emails (the users_email_search index). A query longer than MaxSearchLength is
// refused.
func (s *Store) ListUsers(ctx context.Context, query string, p ListPage) (Paged[User], error) {
	if err := ValidateSearch(query); err != nil {
		return Paged[User]{}, err
	}
	if query = NormalizeEmail(query); query != "" {
		type row struct {
			User
			SearchKey string
		}
		key := s.binary("lower(users.email)")
		q, err := prefixRange(s.q(ctx).Model(&User{}).Select(s.columnsOf(&User{})+", "+key+" AS search_key"), key, "users.id", query, p, intID)
		if err != nil {
			return Paged[User]{}, err
		}
		var rows []row
		if err := q.Scan(&rows).Error; err != nil {
			return Paged[User]{}, err
		}
		found := make([]keyed[User], len(rows))
		for i, r := range rows {
			found[i] = keyed[User]{Key: r.SearchKey, ID: strconv.FormatInt(r.ID, 10), Row: r.User}
		}
		return pageOfSearch(p, found), nil
	}
	q := s.q(ctx).Model(&User{})
	switch {
	case p.Before != "":
		id, err := strconv.ParseInt(p.Before, 10, 64)
		if err != nil {
			return Paged[User]{}, ErrBadCursor
		}
		q = q.Where("id < ?", id).Order("id DESC")
	case p.After != "":
		id, err := strconv.ParseInt(p.After, 10, 64)
		if err != nil {
			return Paged[User]{}, ErrBadCursor
		}
		q = q.Where("id > ?", id).Order("id")
	default:
		q = q.Order("id DESC")
	}
	var rows []User
	if err := q.Limit(p.limit() + 1).Find(&rows).Error; err != nil {
		return Paged[User]{}, err
	}
	return pageOfNewest(p, rows, func(u User) string { return strconv.FormatInt(u.ID, 10) }), nil
}

// ClientWithOwner is a client with its owner's email, for the admin console.
type ClientWithOwner struct {
	Client
	OwnerEmail string
}

// ListClients lists clients with status (any when ""), newest first; or, with a query, those
// whose name, id or owner's email starts with it (case-insensitively), in the order of the key
// that matched. A client matching by two keys is listed under each. A query longer than
// MaxSearchLength is refused.
func (s *Store) ListClients(ctx context.Context, query, status string, p ListPage) (Paged[ClientWithOwner], error) {
	if err := ValidateSearch(query); err != nil {
		return Paged[ClientWithOwner]{}, err
	}
	base := func() *gorm.DB {
		q := s.q(ctx).Table("clients").Select(s.columnsOf(&Client{}) + ", COALESCE(users.email, '') AS owner_email").
			Joins("LEFT JOIN users ON users.id = clients.owner_id")
		if status != "" {
			q = q.Where("clients.status = ?", status)
		}
		return q
	}
	if query = strings.ToLower(strings.TrimSpace(query)); query != "" {
		type row struct {
			ClientWithOwner
			SearchKey string
		}
		cols := s.columnsOf(&Client{})
		var sources [][]keyed[ClientWithOwner]
		for _, key := range []string{s.binary("lower(clients.name)"), s.binary("lower(clients.id)"), s.binary("lower(users.email)")} {
			q := s.q(ctx).Table("clients").Select(cols + ", COALESCE(users.email, '') AS owner_email, " + key + " AS search_key").
				Joins("LEFT JOIN users ON users.id = clients.owner_id")
			if strings.Contains(key, "users.email") {
				// From the owners whose email matches to their clients (clients_owner_id_id), so
				// the order of (email, client id) comes from the two indexes. CROSS JOIN keeps
				// SQLite from starting at the clients of a status and sorting them.
				q = s.q(ctx).Table("users").Select(cols + ", users.email AS owner_email, " + key + " AS search_key").
					Joins("CROSS JOIN clients").Where("clients.owner_id = users.id")
			}
			if status != "" {
				q = q.Where("clients.status = ?", status)
			}
			var unique []string
			if strings.Contains(key, "users.email") {
				unique = []string{"users.id"} // emails are stored normalised: one user per key
			}
			q, err := prefixRange(q, key, "clients.id", query, p, textID, unique...)
			if err != nil {
				return Paged[ClientWithOwner]{}, err
			}
			var rows []row
			if err := q.Scan(&rows).Error; err != nil {
				return Paged[ClientWithOwner]{}, err
			}
			found := make([]keyed[ClientWithOwner], len(rows))
			for i, r := range rows {
				found[i] = keyed[ClientWithOwner]{Key: r.SearchKey, ID: r.ID, Row: r.ClientWithOwner}
			}
			sources = append(sources, found)
		}
		return pageOfSearch(p, sources...), nil
	}
	// Newest first by (created_at, id); the cursor is a client id, its creation time read in
	// the same statement, so no timestamp goes through a URL.
	q := base()
	const at = "(SELECT c.created_at FROM clients c WHERE c.id = ?)"
	switch {
	case p.Before != "":
		q = q.Where("clients.created_at <= "+at+" AND (clients.created_at < "+at+" OR clients.id < ?)", p.Before, p.Before, p.Before).
			Order("clients.created_at DESC").Order("clients.id DESC")
	case p.After != "":
		q = q.Where("clients.created_at >= "+at+" AND (clients.created_at > "+at+" OR clients.id > ?)", p.After, p.After, p.After).
			Order("clients.created_at").Order("clients.id")
	default:
		q = q.Order("clients.created_at DESC").Order("clients.id DESC")
	}
	var rows []ClientWithOwner
	if err := q.Limit(p.limit() + 1).Scan(&rows).Error; err != nil {
		return Paged[ClientWithOwner]{}, err
	}
	return pageOfNewest(p, rows, func(c ClientWithOwner) string { return c.ID }), nil
}
