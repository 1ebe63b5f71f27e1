package models_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
)

// Migration 21 (issue 15) moves the existing catalog under a default API for the sample,
// identified relative to the issuer, and leaves the OpenID Connect scopes under none. The
// database is built without it (its version recorded in advance so Migrate skips it), given a
// scope an admin added, and then migrated.
func TestMigrationMovesTheCatalogUnderTheSampleAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		for _, stmt := range []string{
			"CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)",
			"INSERT INTO schema_migrations (version, name, applied_at) VALUES (21, 'apis', CURRENT_TIMESTAMP)",
			// 26 rebuilds an index 21 makes, on a column 21 adds: it follows 21 here too.
			"INSERT INTO schema_migrations (version, name, applied_at) VALUES (26, 'partial_null_indexes', CURRENT_TIMESTAMP)",
		} {
			if err := b.raw.Exec(stmt).Error; err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		s := b.mustMigrated(t)
		if err := b.raw.Exec("INSERT INTO scopes (name, description, created_at) VALUES ('PAYOUT.READ', 'See payouts', ?)", time.Now().UTC()).Error; err != nil {
			t.Fatal(err)
		}
		if err := b.raw.Exec("DELETE FROM schema_migrations WHERE version IN (21, 26)").Error; err != nil {
			t.Fatal(err)
		}
		applied, err := s.Migrate(ctx)
		if want := []string{"0021_apis", "0026_partial_null_indexes"}; err != nil || !slices.Equal(applied, want) {
			t.Fatalf("Migrate = %v, %v; want %v", applied, err, want)
		}
		sample, err := s.APIByIdentifier(ctx, models.SampleAPIIdentifier)
		if err != nil {
			t.Fatalf("the sample API: %v", err)
		}
		// The identifier follows the configured issuer, whatever it is now or later.
		for _, iss := range []string{"http://localhost:8080", "https://portal.example.com"} {
			if got := sample.URI(iss); got != iss+"/api/v1" {
				t.Errorf("identifier under %s = %q, want %s/api/v1", iss, got, iss)
			}
		}
		all, err := s.AllScopes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range all {
			standard := slices.Contains(models.StandardScopes, sc.Name)
			switch {
			case standard && sc.APIID != nil:
				t.Errorf("%s belongs to API %d; the OpenID Connect scopes belong to none", sc.Name, *sc.APIID)
			case !standard && (sc.APIID == nil || *sc.APIID != sample.ID):
				t.Errorf("%s: api_id %v, want the sample API %d", sc.Name, sc.APIID, sample.ID)
			}
		}
		if len(all) < 11 { // six seeded, four standard, one added
			t.Errorf("%d scopes after the migration, want all of them kept", len(all))
		}
	})
}

// The store's rules for APIs: identifiers are unique, an API with scopes cannot be deleted
// (its scopes would belong to nothing), and each change leaves an audit entry.
func TestAPIStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := models.WithAuditActor(context.Background(), models.AuditActor{Name: "admin@example.test"})
		s := b.mustMigrated(t)
		a := &models.API{Name: "Billing", Identifier: "https://billing.example.test"}
		if err := s.CreateAPI(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAPI(ctx, &models.API{Name: "Again", Identifier: a.Identifier}); !errors.Is(err, models.ErrDuplicate) {
			t.Fatalf("a second API with the same identifier: %v, want ErrDuplicate", err)
		}
		if err := s.CreateScopeIn(ctx, a.ID, "PAYOUT.READ", "See payouts", false); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAPI(ctx, a.ID, "Billing"); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("DeleteAPI with a scope: %v, want ErrForbidden", err)
		}
		sample, err := s.APIByIdentifier(ctx, models.SampleAPIIdentifier)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetScopeAPI(ctx, "PAYOUT.READ", sample.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.SetScopeAPI(ctx, "openid", a.ID); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("SetScopeAPI(openid): %v, want ErrForbidden", err)
		}
		if err := s.DeleteAPI(ctx, a.ID, "Billing"); err != nil {
			t.Fatalf("DeleteAPI without scopes: %v", err)
		}
		for _, typ := range []string{models.AuditAPICreated, models.AuditAPIDeleted} {
			events, err := s.AuditEvents(ctx, models.AuditFilter{Type: typ, Limit: 5})
			if err != nil || len(events) != 1 || events[0].Target != a.Identifier || events[0].Actor != "admin@example.test" {
				t.Errorf("%s entries: %+v, %v; want one for %s by the admin", typ, events, err, a.Identifier)
			}
		}
	})
}
