package models_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// mustWalk reads a list a page at a time of limit rows, forward from the first page to the
// last and back again, and returns the rows' keys in list order; both walks must agree and no
// page may be longer than limit. next is the cursor towards the end of the list: Before for a
// list newest first, After for a search.
func mustWalk[T any](t *testing.T, limit int, search bool, fetch func(models.ListPage) (models.Paged[T], error), key func(T) string) []string {
	t.Helper()
	next := func(p models.Paged[T]) models.ListPage {
		if search {
			return models.ListPage{After: p.After, Limit: limit}
		}
		return models.ListPage{Before: p.Before, Limit: limit}
	}
	prev := func(p models.Paged[T]) models.ListPage {
		if search {
			return models.ListPage{Before: p.Before, Limit: limit}
		}
		return models.ListPage{After: p.After, Limit: limit}
	}
	var forward, back []string
	var pages []models.Paged[T]
	for p := (models.ListPage{Limit: limit}); ; {
		page, err := fetch(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Rows) > limit || len(pages) > 50 {
			t.Fatalf("page %d has %d rows (limit %d)", len(pages), len(page.Rows), limit)
		}
		pages = append(pages, page)
		for _, r := range page.Rows {
			forward = append(forward, key(r))
		}
		if p = next(page); p.Before == "" && p.After == "" {
			break
		}
	}
	if p := prev(pages[0]); p.Before != "" || p.After != "" {
		t.Errorf("the first page links to a page before it")
	}
	// Back from the last page: each page's rows come before the ones already read.
	back = forward[len(forward)-len(pages[len(pages)-1].Rows):]
	for p := prev(pages[len(pages)-1]); p.Before != "" || p.After != ""; {
		page, err := fetch(p)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, r := range page.Rows {
			keys = append(keys, key(r))
		}
		back = append(keys, back...)
		p = prev(page)
	}
	if !slices.Equal(forward, back) {
		t.Errorf("pages forward %v, back %v", forward, back)
	}
	return forward
}

// Issue 14 (growth): the admin lists page by keyset, never OFFSET, in an order an index gives;
// paging forward and back must list every row once, in the order of one long page, with rows
// sharing a creation time and clients matching by two keys.
func TestAdminListsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ann, bob := mustUser(t, s, "ann@example.com"), mustUser(t, s, "bob@example.com")
		for _, e := range []string{"anna@example.com", "Annette@example.com", "zed@example.com"} {
			mustUser(t, s, e)
		}
		var clients []*models.Client
		for i, owner := range []*models.User{ann, ann, ann, bob, bob, nil, nil} {
			in := models.NewClient{Name: []string{"Acme " + strconv.Itoa(i), "Beta", "acme annex"}[i%3], Type: models.ClientMachine}
			if owner != nil {
				in.OwnerID = &owner.ID
			}
			c, _, err := s.CreateClient(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c)
		}
		// Three clients created in the same instant: the id breaks the tie.
		same := time.Now().UTC().Add(-time.Hour)
		if err := models.RawDB(s).Exec("UPDATE clients SET created_at = ? WHERE id IN ?", same, []string{clients[1].ID, clients[2].ID, clients[3].ID}).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.ChangeClientStatus(ctx, clients[4].ID, models.ClientActive, models.ClientSuspended); err != nil {
			t.Fatal(err)
		}

		users := func(q string) func(models.ListPage) (models.Paged[models.User], error) {
			return func(p models.ListPage) (models.Paged[models.User], error) { return s.ListUsers(ctx, q, p) }
		}
		email := func(u models.User) string { return u.Email }
		all, err := s.ListUsers(ctx, "", models.ListPage{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, u := range all.Rows {
			want = append(want, u.Email)
		}
		if len(want) != 5 || want[0] != "zed@example.com" || want[4] != "ann@example.com" {
			t.Fatalf("users newest first = %v", want)
		}
		if got := mustWalk(t, 2, false, users(""), email); !slices.Equal(got, want) {
			t.Errorf("users paged = %v, want %v", got, want)
		}
		for q, want := range map[string][]string{
			"ann":        {"ann@example.com", "anna@example.com", "annette@example.com"},
			" ANN":       {"ann@example.com", "anna@example.com", "annette@example.com"},
			"ann@":       {"ann@example.com"},
			"example":    nil, // a prefix search: the middle of an email does not match
			"%":          nil, // nor is anything a wildcard
			"_nn":        nil,
			"zed@exampl": {"zed@example.com"},
		} {
			if got := mustWalk(t, 2, true, users(q), email); !slices.Equal(got, want) {
				t.Errorf("users %q = %v, want %v", q, got, want)
			}
		}

		list := func(q, status string) func(models.ListPage) (models.Paged[models.ClientWithOwner], error) {
			return func(p models.ListPage) (models.Paged[models.ClientWithOwner], error) {
				return s.ListClients(ctx, q, status, p)
			}
		}
		id := func(c models.ClientWithOwner) string { return c.ID }
		wantClients := []string{clients[6].ID, clients[5].ID, clients[4].ID, clients[0].ID}
		tied := []string{clients[1].ID, clients[2].ID, clients[3].ID}
		slices.Sort(tied)
		slices.Reverse(tied)
		wantClients = append(wantClients, tied...)
		if got := mustWalk(t, 2, false, list("", ""), id); !slices.Equal(got, wantClients) {
			t.Errorf("clients paged = %v, want %v", got, wantClients)
		}
		if got := mustWalk(t, 1, false, list("", models.ClientSuspended), id); !slices.Equal(got, []string{clients[4].ID}) {
			t.Errorf("suspended clients = %v", got)
		}
		// "acme": Acme 0, Acme 3, Acme 6 and the two "acme annex" by name, in name then id order.
		annex := []string{clients[2].ID, clients[5].ID}
		slices.Sort(annex)
		wantAcme := append([]string{clients[0].ID, clients[3].ID, clients[6].ID}, annex...)
		if got := mustWalk(t, 2, true, list("ACME", ""), id); !slices.Equal(got, wantAcme) {
			t.Errorf("clients %q = %v, want %v", "ACME", got, wantAcme)
		}
		// "an": ann's three clients by owner email, ann's "acme annex" not matching by name.
		annClients := []string{clients[0].ID, clients[1].ID, clients[2].ID}
		slices.Sort(annClients)
		if got := mustWalk(t, 2, true, list("an", ""), id); !slices.Equal(got, annClients) {
			t.Errorf("clients %q = %v, want %v", "an", got, annClients)
		}
		// "b": Beta (clients 1 and 4) by name, then bob's two clients (3 and 4) by email: client 4
		// matches by both keys and is listed under each.
		b1 := []string{clients[1].ID, clients[4].ID}
		b2 := []string{clients[3].ID, clients[4].ID}
		slices.Sort(b1)
		slices.Sort(b2)
		if got := mustWalk(t, 3, true, list("b", ""), id); !slices.Equal(got, append(b1, b2...)) {
			t.Errorf("clients %q = %v, want %v", "b", got, append(b1, b2...))
		}
		if got := mustWalk(t, 2, true, list("b", models.ClientSuspended), id); !slices.Equal(got, []string{clients[4].ID, clients[4].ID}) {
			t.Errorf("suspended clients %q = %v", "b", got)
		}
		if got := mustWalk(t, 2, true, list(clients[3].ID[:10], ""), id); !slices.Contains(got, clients[3].ID) {
			t.Errorf("clients by id prefix = %v, want %s among them", got, clients[3].ID)
		}

		for name, run := range map[string]func() error{
			"users":        func() error { _, err := s.ListUsers(ctx, "", models.ListPage{Before: "abc"}); return err },
			"users search": func() error { _, err := s.ListUsers(ctx, "a", models.ListPage{After: "!!"}); return err },
			"users id": func() error {
				_, err := s.ListUsers(ctx, "a", models.ListPage{After: models.SearchCursor("a", "x")})
				return err
			},
			"clients search": func() error {
				_, err := s.ListClients(ctx, "a", "", models.ListPage{Before: "bm90LWEtY3Vyc29y"})
				return err
			},
		} {
			if err := run(); !errors.Is(err, models.ErrBadCursor) {
				t.Errorf("%s with a mangled cursor: %v, want ErrBadCursor", name, err)
			}
		}
	})
}

// Issue 14 (growth): the audit log's "Newer events" page is the events just newer than the
// cursor, newest first, read from the cursor up rather than from the newest down.
func TestAuditEventsAfter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		var ids []int64
		for range 6 {
			ids = append(ids, mustAudit(t, s, models.AuditEvent{Type: models.AuditLogin, Actor: "pager@example.com"}).ID)
		}
		got, err := s.AuditEvents(context.Background(), models.AuditFilter{Actor: "pager@example.com", After: ids[1], Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != ids[3] || got[1].ID != ids[2] {
			t.Fatalf("after %d: %v, want %d, %d", ids[1], got, ids[3], ids[2])
		}
	})
}
