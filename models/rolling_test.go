package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
)

// TestQueriesSurviveAddedColumns is a rolling upgrade (issue 12, item 4): an instance of the
// older version keeps serving while a newer one's migration adds columns to the tables on the
// hot paths. With PostgreSQL statements prepared once per connection, a cached `SELECT *` plan
// fails with "cached plan must not change result type" after ALTER TABLE … ADD COLUMN; the
// store's queries must name their columns so an expand migration costs the old instance nothing.
func TestQueriesSurviveAddedColumns(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.mustMigrated(t)
		owner := mustUser(t, s, "rolling@example.com")
		client, _ := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ")
		grant := mustGrant(t, s, client.ID, &owner.ID, "INVOICE.READ")
		refresh := mustRefreshToken(t, s, grant)
		cookie, _, err := s.CreateSession(ctx, owner.ID, time.Hour, "192.0.2.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SaveConsent(ctx, owner.ID, client.ID, []string{"INVOICE.READ"}); err != nil {
			t.Fatal(err)
		}

		// Each read the token endpoint, the session middleware and the portal pages run.
		queries := []struct {
			name string
			run  func() error
		}{
			{"UserByID", func() error { _, err := s.UserByID(ctx, owner.ID); return err }},
			{"UserByEmail", func() error { _, err := s.UserByEmail(ctx, owner.Email); return err }},
			{"ListUsers", func() error { _, err := s.ListUsers(ctx, "rolling", models.ListPage{Limit: 10}); return err }},
			{"ClientByID", func() error { _, err := s.ClientByID(ctx, client.ID); return err }},
			{"ClientsByOwner", func() error { _, err := s.ClientsByOwner(ctx, owner.ID); return err }},
			{"ListClients", func() error { _, err := s.ListClients(ctx, "", "", models.ListPage{Limit: 10}); return err }},
			{"ClientActive", func() error { _, err := s.ClientActive(ctx, client.ID); return err }},
			{"GrantByID", func() error { _, err := s.GrantByID(ctx, grant.ID); return err }},
			{"RefreshTokenByHash", func() error { _, err := s.RefreshTokenByHash(ctx, models.HashToken(refresh)); return err }},
			{"SessionUser", func() error { _, _, err := s.SessionUser(ctx, cookie, time.Now().UTC(), 0); return err }},
			{"UserSessions", func() error { _, err := s.UserSessions(ctx, owner.ID, time.Now().UTC()); return err }},
			{"ConsentFor", func() error { _, err := s.ConsentFor(ctx, owner.ID, client.ID); return err }},
			{"ConsentCovers", func() error {
				_, err := s.ConsentCovers(ctx, owner.ID, client.ID, []string{"INVOICE.READ"})
				return err
			}},
			{"PendingScopeRequests", func() error { _, err := s.PendingScopeRequests(ctx, models.ScopeRequestCursor{}, 50); return err }},
			{"AuthorizedApps", func() error { _, err := s.AuthorizedApps(ctx, owner.ID); return err }},
		}
		round := func(when string) {
			t.Helper()
			for _, q := range queries {
				if err := q.run(); err != nil {
					t.Errorf("%s %s: %v", q.name, when, err)
				}
			}
		}
		// Twice, so every statement is prepared (and its plan cached) on the pool's connection.
		round("before the migration")
		round("before the migration, again")

		// The newer instance's expand migration, from another connection.
		for _, table := range []string{"users", "clients", "grants", "refresh_tokens", "sessions", "consents", "client_secrets", "scope_requests"} {
			if err := b.raw.Exec("ALTER TABLE " + table + " ADD COLUMN rolling_upgrade_note TEXT").Error; err != nil {
				t.Fatalf("add a column to %s: %v", table, err)
			}
		}

		round("after the migration")
		round("after the migration, again")
	})
}
