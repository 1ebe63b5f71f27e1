package models_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
)

// Migration 10 gives every existing account a distinct random subject, every live session a
// sid, and every user grant its user's subject, so tokens refreshed after the upgrade carry the
// same sub as ID Tokens and userinfo.
func TestMigrationBackfillsSubjects(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.mustMigrated(t)
		// Put the database back to before migration 10.
		for _, stmt := range []string{
			"DROP INDEX users_subject",
			"ALTER TABLE users DROP COLUMN subject",
			"ALTER TABLE users DROP COLUMN display_name",
			"ALTER TABLE sessions DROP COLUMN sid",
			"ALTER TABLE sessions DROP COLUMN amr",
			"ALTER TABLE auth_codes DROP COLUMN subject",
			"ALTER TABLE auth_codes DROP COLUMN nonce",
			"ALTER TABLE auth_codes DROP COLUMN auth_time",
			"ALTER TABLE auth_codes DROP COLUMN amr",
			"ALTER TABLE auth_codes DROP COLUMN sid",
			"ALTER TABLE grants DROP COLUMN auth_time",
			"ALTER TABLE grants DROP COLUMN amr",
			"ALTER TABLE grants DROP COLUMN sid",
			"ALTER TABLE grants DROP COLUMN subject",
			"ALTER TABLE clients DROP COLUMN post_logout_redirect_uris",
			"ALTER TABLE clients DROP COLUMN id_token_signed_response_alg",
			"DELETE FROM scopes WHERE name IN ('openid', 'profile', 'email')",
			"UPDATE scopes SET retired_at = CURRENT_TIMESTAMP WHERE name = 'offline_access'",
			"DELETE FROM schema_migrations WHERE version = 10",
		} {
			if err := b.raw.Exec(stmt).Error; err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		now := time.Now().UTC()
		const n = 50
		for i := range n {
			if err := b.raw.Exec("INSERT INTO users (email, password_hash, is_admin, created_at, updated_at) VALUES (?, 'x', FALSE, ?, ?)",
				fmt.Sprintf("u%d@example.test", i), now, now).Error; err != nil {
				t.Fatal(err)
			}
		}
		var first int64
		if err := b.raw.Raw("SELECT MIN(id) FROM users").Scan(&first).Error; err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []struct {
			sql  string
			args []any
		}{
			{"INSERT INTO sessions (id, user_id, ip, user_agent, created_at, expires_at, last_seen_at) VALUES ('s1', ?, '', '', ?, ?, ?)", []any{first, now, now.Add(time.Hour), now}},
			{"INSERT INTO clients (id, name, type, redirect_uris, scopes, status, created_at, updated_at) VALUES ('dp_old', 'Old', 'web', 'https://old.example/cb', 'INVOICE.READ', 'active', ?, ?)", []any{now, now}},
			{"INSERT INTO grants (id, client_id, user_id, scope, created_at) VALUES ('g1', 'dp_old', ?, 'INVOICE.READ', ?)", []any{first, now}},
			{"INSERT INTO grants (id, client_id, scope, created_at) VALUES ('g2', 'dp_old', 'INVOICE.READ', ?)", []any{now}},
		} {
			if err := b.raw.Exec(stmt.sql, stmt.args...).Error; err != nil {
				t.Fatalf("%s: %v", stmt.sql, err)
			}
		}
		applied, err := s.Migrate(ctx)
		if err != nil || !slices.Equal(applied, []string{"0010_openid"}) {
			t.Fatalf("Migrate = %v, %v; want 0010_openid", applied, err)
		}
		var subjects []string
		if err := b.raw.Raw("SELECT subject FROM users WHERE subject IS NOT NULL AND subject <> ''").Scan(&subjects).Error; err != nil {
			t.Fatal(err)
		}
		slices.Sort(subjects)
		if len(slices.Compact(subjects)) != n {
			t.Fatalf("%d distinct subjects for %d accounts", len(subjects), n)
		}
		u, err := s.UserByID(ctx, first)
		if err != nil || len(u.Subject) != 32 {
			t.Fatalf("user %d: subject %q, %v; want 128 random bits in hex", first, u.Subject, err)
		}
		var sid, amr, g1, g2 string
		b.raw.Raw("SELECT sid FROM sessions WHERE id = 's1'").Scan(&sid)
		b.raw.Raw("SELECT amr FROM sessions WHERE id = 's1'").Scan(&amr)
		b.raw.Raw("SELECT subject FROM grants WHERE id = 'g1'").Scan(&g1)
		b.raw.Raw("SELECT subject FROM grants WHERE id = 'g2'").Scan(&g2)
		if len(sid) != 32 || amr != "pwd" || g1 != u.Subject || g2 != "" {
			t.Fatalf("session sid %q amr %q; grant subjects %q (want %q), %q (want none)", sid, amr, g1, u.Subject, g2)
		}
		active, err := s.ActiveScopes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range models.StandardScopes {
			if !slices.ContainsFunc(active, func(sc models.Scope) bool { return sc.Name == want }) {
				t.Errorf("standard scope %s is not active after the migration", want)
			}
		}
	})
}
