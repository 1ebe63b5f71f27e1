package models

// Bulk inserts for the growth dataset of cmd/loadtest (issue 14): production-sized tables written
// through the product's own schema, so anyone can reproduce the growth measurements. Only the
// load-test tool calls these methods; the product never does.

import (
	"context"
	"fmt"
	"strings"
)

// SeedBatch is how many rows one INSERT of the seed carries. It is fixed, so every table has one
// statement shape (two with a shorter last batch) in the prepared-statement cache, however many
// rows are seeded; and 500 rows of the widest table (9 columns) stay far below SQLite's limit of
// 32,766 bound variables.
const SeedBatch = 500

// SeedTxRows bounds a seed transaction: larger inputs are committed in transactions of at most
// this many rows, so neither database holds one transaction of millions of rows.
const SeedTxRows = 20 * SeedBatch

// seedCacheKiB is the SQLite page cache of a seed connection.
const seedCacheKiB = 256 * 1024

// SeedUsers inserts accounts as given, their IDs included, so the rows that refer to them can be
// built without reading them back. On PostgreSQL the ID sequence is moved past them afterwards,
// so the product's own sign-ups do not collide with them.
func (s *Store) SeedUsers(ctx context.Context, users []User) error {
	cols := []string{"id", "email", "subject", "display_name", "password_hash", "is_admin", "email_verified_at", "created_at", "updated_at"}
	err := s.seedRows(ctx, "users", cols, len(users), func(i int, a []any) []any {
		u := &users[i]
		return append(a, u.ID, u.Email, u.Subject, u.DisplayName, u.PasswordHash, u.IsAdmin, u.EmailVerifiedAt, u.CreatedAt, u.UpdatedAt)
	})
	if err != nil || s.dialect != Postgres {
		return err
	}
	return s.q(ctx).Exec(`SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT MAX(id) FROM users))`).Error
}

// MaxUserID is the highest account ID in use (0 for none), where seeded IDs start after.
func (s *Store) MaxUserID(ctx context.Context) (int64, error) {
	var id *int64
	err := s.q(ctx).Model(&User{}).Select("MAX(id)").Scan(&id).Error
	return deref(id), err
}

// SeedClients inserts applications as given, each with the secrets in its Secrets (their Hash is
// the SHA-256 of the secret, as CreateClient stores it). Their allowed web origins are not
// indexed (client_origins): the seed measures pages and the token endpoint, not CORS.
func (s *Store) SeedClients(ctx context.Context, clients []Client) error {
	cols := []string{"id", "owner_id", "name", "type", "redirect_uris", "scopes", "status", "can_introspect", "created_at", "updated_at"}
	err := s.seedRows(ctx, "clients", cols, len(clients), func(i int, a []any) []any {
		c := &clients[i]
		return append(a, c.ID, c.OwnerID, c.Name, string(c.Type), c.RedirectURIs, c.Scopes, c.Status, c.CanIntrospect, c.CreatedAt, c.UpdatedAt)
	})
	if err != nil {
		return err
	}
	var secrets []ClientSecret
	for i := range clients {
		for _, cs := range clients[i].Secrets {
			cs.ClientID = clients[i].ID
			secrets = append(secrets, cs)
		}
	}
	return s.seedRows(ctx, "client_secrets", []string{"client_id", "hash", "hint", "created_at"}, len(secrets), func(i int, a []any) []any {
		cs := &secrets[i]
		return append(a, cs.ClientID, cs.Hash, cs.Hint, cs.CreatedAt)
	})
}

// SeedGrants inserts grants as given.
func (s *Store) SeedGrants(ctx context.Context, grants []Grant) error {
	cols := []string{"id", "client_id", "user_id", "subject", "scope", "created_at", "revoked_at"}
	return s.seedRows(ctx, "grants", cols, len(grants), func(i int, a []any) []any {
		g := &grants[i]
		return append(a, g.ID, g.ClientID, g.UserID, g.Subject, g.Scope, g.CreatedAt, g.RevokedAt)
	})
}

// SeedRefreshTokens inserts refresh tokens as given (Hash is the SHA-256 of the token).
func (s *Store) SeedRefreshTokens(ctx context.Context, tokens []RefreshToken) error {
	cols := []string{"hash", "grant_id", "scope", "created_at", "expires_at", "used_at"}
	return s.seedRows(ctx, "refresh_tokens", cols, len(tokens), func(i int, a []any) []any {
		rt := &tokens[i]
		return append(a, rt.Hash, rt.GrantID, rt.Scope, rt.CreatedAt, rt.ExpiresAt, rt.UsedAt)
	})
}

// SeedConsents inserts consents as given; each (user, application) pair must be new.
func (s *Store) SeedConsents(ctx context.Context, consents []Consent) error {
	cols := []string{"user_id", "client_id", "scope", "created_at", "updated_at"}
	return s.seedRows(ctx, "consents", cols, len(consents), func(i int, a []any) []any {
		c := &consents[i]
		return append(a, c.UserID, c.ClientID, c.Scope, c.CreatedAt, c.UpdatedAt)
	})
}

// SeedAuditEvents appends audit events as given (their IDs assigned by the database, in order).
func (s *Store) SeedAuditEvents(ctx context.Context, events []AuditEvent) error {
	cols := []string{"type", "actor_id", "actor", "target", "ip", "detail", "created_at"}
	return s.seedRows(ctx, "audit_events", cols, len(events), func(i int, a []any) []any {
		e := &events[i]
		return append(a, e.Type, e.ActorID, e.Actor, e.Target, e.IP, e.Detail, e.CreatedAt)
	})
}

// SeedClientEvents appends activity events as given (their IDs assigned by the database).
func (s *Store) SeedClientEvents(ctx context.Context, events []ClientEvent) error {
	cols := []string{"client_id", "kind", "grant_type", "error_code", "detail", "created_at"}
	return s.seedRows(ctx, "client_events", cols, len(events), func(i int, a []any) []any {
		e := &events[i]
		return append(a, e.ClientID, e.Kind, e.GrantType, e.ErrorCode, e.Detail, e.CreatedAt)
	})
}

// SeedAuthCodes inserts authorization codes as given (Hash is the SHA-256 of the code).
func (s *Store) SeedAuthCodes(ctx context.Context, codes []AuthCode) error {
	cols := []string{"hash", "client_id", "user_id", "subject", "redirect_uri", "scope", "grant_id", "created_at", "expires_at", "used_at"}
	return s.seedRows(ctx, "auth_codes", cols, len(codes), func(i int, a []any) []any {
		c := &codes[i]
		return append(a, c.Hash, c.ClientID, c.UserID, c.Subject, c.RedirectURI, c.Scope, c.GrantID, c.CreatedAt, c.ExpiresAt, c.UsedAt)
	})
}

// SeedInvoices inserts the sample API's invoices as given.
func (s *Store) SeedInvoices(ctx context.Context, invoices []Invoice) error {
	cols := []string{"id", "owner_id", "client_id", "amount", "currency", "description", "status", "created_at"}
	return s.seedRows(ctx, "invoices", cols, len(invoices), func(i int, a []any) []any {
		v := &invoices[i]
		return append(a, v.ID, v.OwnerID, v.ClientID, v.Amount, v.Currency, v.Description, v.Status, v.CreatedAt)
	})
}

// SeedScopeRequests inserts scope requests as given.
func (s *Store) SeedScopeRequests(ctx context.Context, requests []ScopeRequest) error {
	cols := []string{"client_id", "scope", "status", "requested_at"}
	return s.seedRows(ctx, "scope_requests", cols, len(requests), func(i int, a []any) []any {
		r := &requests[i]
		return append(a, r.ClientID, r.Scope, r.Status, r.RequestedAt)
	})
}

// SeedAnalyze refreshes the planner's statistics after a seed on PostgreSQL, where autovacuum
// would do it on its own a little later, so the first measurements do not depend on when it
// ran. SQLite is left as a production database would be: it never analyzes by itself.
func (s *Store) SeedAnalyze(ctx context.Context) error {
	if s.dialect != Postgres {
		return nil
	}
	return s.q(ctx).Exec("ANALYZE").Error
}

// seedRows inserts n rows into table, SeedBatch rows per multi-row INSERT and at most SeedTxRows
// rows per transaction. row appends the values of row i, in the order of cols, to its argument.
func (s *Store) seedRows(ctx context.Context, table string, cols []string, n int, row func(i int, args []any) []any) error {
	full := seedInsert(table, cols, SeedBatch)
	args := make([]any, 0, SeedBatch*len(cols))
	for start := 0; start < n; start += SeedTxRows {
		end := min(start+SeedTxRows, n)
		err := s.InTx(ctx, func(tx *Store) error {
			if s.dialect == SQLite {
				// SQLite's default page cache (2 MiB) thrashes on the random keys of a million
				// rows; a larger one for the seed's connections makes the seed several times
				// faster. It lasts as long as the connection, which only the seed uses.
				if err := tx.q(ctx).Exec("PRAGMA cache_size = -" + fmt.Sprint(seedCacheKiB)).Error; err != nil {
					return err
				}
			}
			for b := start; b < end; b += SeedBatch {
				stmt, last := full, min(b+SeedBatch, end)
				if last-b != SeedBatch {
					stmt = seedInsert(table, cols, last-b)
				}
				args = args[:0]
				for i := b; i < last; i++ {
					args = row(i, args)
				}
				if err := tx.q(ctx).Exec(stmt, args...).Error; err != nil {
					return fmt.Errorf("seed %s: %w", table, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// seedInsert is INSERT INTO table (cols) VALUES (?, …), … for rows rows.
func seedInsert(table string, cols []string, rows int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}
