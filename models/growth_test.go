package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// rawDayCounts counts a client's stored events per UTC day and kind, the way the chart counted
// them before the roll-ups.
func rawDayCounts(t *testing.T, s *models.Store, clientID string) map[string]int64 {
	t.Helper()
	var evs []models.ClientEvent
	if err := models.RawDB(s).Where("client_id = ?", clientID).Find(&evs).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, e := range evs {
		out[e.CreatedAt.UTC().Format(time.DateOnly)+" "+e.Kind]++
	}
	return out
}

func mustDayCounts(t *testing.T, s *models.Store, clientID string, since time.Time) map[string]int64 {
	t.Helper()
	counts, err := s.ClientEventCounts(context.Background(), clientID, since)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range counts {
		out[c.Day+" "+c.Kind] = c.N
	}
	return out
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Issue 14, growth ("/apps/{id}/activity ... the chart counts 30 days of raw events per view:
// keep daily roll-ups"): the roll-ups the chart reads always say what the stored events say:
// after flushes that add to the same day, after a batch that falls back to one-by-one inserts,
// after the purge of old activity (whole days of both go), and after the client is deleted.
func TestClientEventDaysFollowEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "rollup@example.test")
		a, _ := mustClient(t, s, u, models.ClientWeb, "INVOICE.READ")
		b, _ := mustClient(t, s, u, models.ClientWeb, "INVOICE.READ")
		today := time.Now().UTC().Truncate(24 * time.Hour)
		at := func(daysAgo int, hour int) time.Time {
			return today.AddDate(0, 0, -daysAgo).Add(time.Duration(hour) * time.Hour)
		}
		var first []models.ClientEvent
		for i := range 40 {
			first = append(first, models.ClientEvent{ClientID: a.ID, Kind: []string{models.EventToken, models.EventRefresh, models.EventFailure}[i%3], CreatedAt: at(i%4, i%24)})
		}
		first = append(first, models.ClientEvent{ClientID: b.ID, Kind: models.EventToken, CreatedAt: at(0, 1)}, models.ClientEvent{ClientID: a.ID, Kind: models.EventToken, CreatedAt: at(100, 3)})
		if skipped, err := s.AddClientEvents(ctx, first); err != nil || skipped != 0 {
			t.Fatalf("AddClientEvents = %d, %v", skipped, err)
		}
		// A second flush into the same days adds up; its event of an unknown client fails the
		// batch, which is then written one by one.
		second := []models.ClientEvent{{ClientID: a.ID, Kind: models.EventToken, CreatedAt: at(0, 5)}, {ClientID: "dp_gone", Kind: models.EventToken, CreatedAt: at(0, 5)},
			{ClientID: a.ID, Kind: models.EventToken, CreatedAt: at(1, 5)}}
		if skipped, err := s.AddClientEvents(ctx, second); err != nil || skipped != 1 {
			t.Fatalf("AddClientEvents with a deleted client = %d, %v; want 1 skipped", skipped, err)
		}
		all := today.AddDate(-1, 0, 0)
		for _, c := range []*models.Client{a, b} {
			if got, want := mustDayCounts(t, s, c.ID, all), rawDayCounts(t, s, c.ID); !equalCounts(got, want) {
				t.Errorf("%s: roll-ups %v, events %v", c.ID, got, want)
			}
		}
		// The chart's window starts at since's UTC day.
		week := mustDayCounts(t, s, a.ID, at(2, 13))
		for k := range week {
			if k < at(2, 0).Format(time.DateOnly) {
				t.Errorf("ClientEventCounts since two days ago returned %s", k)
			}
		}
		if len(week) == 0 {
			t.Error("ClientEventCounts since two days ago returned nothing")
		}

		if _, err := s.PurgeExpired(ctx, models.PurgePolicy{RetainActivity: 90 * 24 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		got, want := mustDayCounts(t, s, a.ID, all), rawDayCounts(t, s, a.ID)
		if !equalCounts(got, want) {
			t.Errorf("after the purge: roll-ups %v, events %v", got, want)
		}
		if old := at(100, 0).Format(time.DateOnly) + " " + models.EventToken; want[old] != 0 || got[old] != 0 {
			t.Errorf("the purge kept the 100-day-old event (%d) or its roll-up (%d)", want[old], got[old])
		}

		if err := s.DeleteClient(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		var left int64
		if err := models.RawDB(s).Table("client_event_days").Where("client_id = ?", a.ID).Count(&left).Error; err != nil || left != 0 {
			t.Errorf("%d roll-ups of the deleted client left (%v)", left, err)
		}
		if got := mustDayCounts(t, s, b.ID, all); !equalCounts(got, rawDayCounts(t, s, b.ID)) || len(got) != 1 {
			t.Errorf("the other client's roll-ups changed: %v", got)
		}
	})
}

// Issue 14, growth ("/admin/scopes, /apps: every /apps view loads the global pending-scope
// queue"): the admin queue comes a page at a time, in order, every request exactly once
// across the pages (a keyset, not OFFSET); a cursor not made by the store is refused; the
// applications list asks only about its owner's clients.
func TestPendingScopeRequestPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		dev := mustUser(t, s, "queue-dev@example.test")
		other := mustUser(t, s, "queue-other@example.test")
		var mine []string
		want := 0
		for i := range 5 {
			owner := other
			if i%2 == 0 {
				owner = dev
			}
			c, _ := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ")
			if owner == dev {
				mine = append(mine, c.ID)
			}
			if err := s.RequestScopes(ctx, c.ID, []string{"EWALLET.WRITE", "VIRTUAL_ACCOUNT.WRITE"}); err != nil {
				t.Fatal(err)
			}
			want += 2
		}
		seen := map[string]bool{}
		var after models.ScopeRequestCursor
		var last models.PendingScopeRequest
		for page := 0; ; page++ {
			if page > want {
				t.Fatal("the pages never end")
			}
			reqs, err := s.PendingScopeRequests(ctx, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range reqs {
				key := r.ClientID + " " + r.Scope
				if seen[key] {
					t.Errorf("%s on two pages", key)
				}
				seen[key] = true
				if r.RequestedAt.Before(last.RequestedAt) {
					t.Errorf("%s requested %v comes after %v", key, r.RequestedAt, last.RequestedAt)
				}
				last = r
			}
			if len(reqs) < 3 {
				break
			}
			// The cursor travels through a query string.
			if after, err = models.ParseScopeRequestCursor(models.ScopeRequestCursor{RequestedAt: last.RequestedAt, ClientID: last.ClientID, Scope: last.Scope}.String()); err != nil {
				t.Fatal(err)
			}
		}
		if len(seen) != want {
			t.Errorf("the pages held %d requests, want %d", len(seen), want)
		}
		for _, bad := range []string{"", "not a cursor", "bm90IGEgY3Vyc29y"} {
			if _, err := models.ParseScopeRequestCursor(bad); !errors.Is(err, models.ErrInvalid) {
				t.Errorf("ParseScopeRequestCursor(%q) = %v, want ErrInvalid", bad, err)
			}
		}

		if err := s.DecideScopeRequest(ctx, mine[0], "EWALLET.WRITE", true, other.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DecideScopeRequest(ctx, mine[1], "EWALLET.WRITE", false, other.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DecideScopeRequest(ctx, mine[1], "VIRTUAL_ACCOUNT.WRITE", false, other.ID); err != nil {
			t.Fatal(err)
		}
		pending, err := s.PendingScopeClients(ctx, dev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 2 || !pending[mine[0]] || pending[mine[1]] || !pending[mine[2]] {
			t.Errorf("PendingScopeClients = %v; want %s and %s (not %s, nothing of another owner)", pending, mine[0], mine[2], mine[1])
		}
	})
}

// Issue 14, growth ("delete a client: 40.7 s holding the write lock"): a client with more rows
// than one batch deletes completely, batch after batch, its codes, grants with their refresh
// tokens, events, roll-ups and consents; its invoices stay, detached; another client's rows
// are untouched; and a second delete is ErrNotFound.
func TestDeleteClientInBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "batches@example.test")
		c, _ := mustClient(t, s, u, models.ClientWeb, "INVOICE.READ")
		keep, _ := mustClient(t, s, u, models.ClientWeb, "INVOICE.READ")
		db := models.RawDB(s)
		n := models.PurgeBatchSize + 7
		now := time.Now().UTC()
		for _, cl := range []*models.Client{c, keep} {
			grants := make([]models.Grant, n)
			tokens := make([]models.RefreshToken, n)
			events := make([]models.ClientEvent, n)
			for i := range n {
				grants[i] = models.Grant{ID: models.NewID(16), ClientID: cl.ID, UserID: &u.ID, Scope: models.Words{"INVOICE.READ"}, CreatedAt: now}
				tokens[i] = models.RefreshToken{Hash: models.HashToken(models.NewToken("dpr_")), GrantID: grants[i].ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
				events[i] = models.ClientEvent{ClientID: cl.ID, Kind: models.EventToken, CreatedAt: now.Add(-time.Duration(i) * time.Hour)}
			}
			if err := db.CreateInBatches(grants, 200).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Omit("Grant").CreateInBatches(tokens, 200).Error; err != nil {
				t.Fatal(err)
			}
			if skipped, err := s.AddClientEvents(ctx, events); err != nil || skipped != 0 {
				t.Fatal(skipped, err)
			}
			mustAuthCode(t, s, cl, u)
			if err := s.SaveConsent(ctx, u.ID, cl.ID, []string{"INVOICE.READ"}); err != nil {
				t.Fatal(err)
			}
			if err := db.Exec("INSERT INTO invoices (id, owner_id, client_id, amount, currency, created_at) VALUES (?, ?, ?, 1, 'IDR', ?)", "inv_"+cl.ID, u.ID, cl.ID, now).Error; err != nil {
				t.Fatal(err)
			}
		}

		if err := s.DeleteClient(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		count := func(q string, args ...any) int64 {
			t.Helper()
			var k int64
			if err := db.Raw(q, args...).Scan(&k).Error; err != nil {
				t.Fatal(err)
			}
			return k
		}
		for _, cl := range []struct {
			id   string
			want int64
		}{{c.ID, 0}, {keep.ID, 1}} {
			w := cl.want
			for what, got := range map[string]int64{
				"grants":         count("SELECT COUNT(*) FROM grants WHERE client_id = ?", cl.id),
				"refresh tokens": count("SELECT COUNT(*) FROM refresh_tokens JOIN grants ON grants.id = refresh_tokens.grant_id WHERE grants.client_id = ?", cl.id),
				"events":         count("SELECT COUNT(*) FROM client_events WHERE client_id = ?", cl.id),
			} {
				if got != w*int64(n) {
					t.Errorf("%s: %d %s, want %d", cl.id, got, what, w*int64(n))
				}
			}
			for what, got := range map[string]int64{
				"codes":    count("SELECT COUNT(*) FROM auth_codes WHERE client_id = ?", cl.id),
				"consents": count("SELECT COUNT(*) FROM consents WHERE client_id = ?", cl.id),
				"invoices": count("SELECT COUNT(*) FROM invoices WHERE client_id = ?", cl.id),
				"clients":  count("SELECT COUNT(*) FROM clients WHERE id = ?", cl.id),
			} {
				if got != w {
					t.Errorf("%s: %d %s, want %d", cl.id, got, what, w)
				}
			}
		}
		if got := count("SELECT COUNT(*) FROM refresh_tokens"); got != int64(n) {
			t.Errorf("%d refresh tokens in all, want the kept client's %d", got, n)
		}
		if got := count("SELECT COUNT(*) FROM invoices WHERE id = ? AND client_id IS NULL", "inv_"+c.ID); got != 1 {
			t.Error("the deleted client's invoice is gone or still names it")
		}
		if err := s.DeleteClient(ctx, c.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("second DeleteClient = %v, want ErrNotFound", err)
		}
	})
}

// Migration 20 counts the events stored before it into the roll-ups, per UTC day and kind, so
// the chart of an application shows the same numbers after the upgrade as before.
func TestMigrationBackfillsEventDays(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.mustMigrated(t)
		// Put the database back to before migration 20.
		for _, stmt := range []string{
			"DROP TABLE client_event_days",
			"DROP INDEX auth_codes_client_id", "DROP INDEX invoices_client_id",
			"DROP INDEX scope_requests_status_requested", "DROP INDEX scope_requests_client_status", "CREATE INDEX scope_requests_status ON scope_requests (status)",
			"DROP INDEX clients_owner_created", "CREATE INDEX clients_owner_id ON clients (owner_id)",
			"DROP INDEX consents_user_created",
			"DROP INDEX grants_user_client", "CREATE INDEX grants_user_id ON grants (user_id)",
			"DROP INDEX refresh_tokens_grant_created", "CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id)",
			"DELETE FROM schema_migrations WHERE version = 20",
		} {
			if err := b.raw.Exec(stmt).Error; err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		u := mustUser(t, s, "backfill@example.test")
		c, _ := mustClient(t, s, u, models.ClientWeb, "INVOICE.READ")
		today := time.Now().UTC().Truncate(24 * time.Hour)
		for i := range 25 {
			e := models.ClientEvent{ClientID: c.ID, Kind: []string{models.EventToken, models.EventFailure}[i%2], CreatedAt: today.AddDate(0, 0, -(i % 3)).Add(time.Duration(i) * 37 * time.Minute)}
			if err := b.raw.Create(&e).Error; err != nil {
				t.Fatal(err)
			}
		}
		applied, err := s.Migrate(ctx)
		if err != nil || len(applied) != 1 || applied[0] != "0020_growth" {
			t.Fatalf("Migrate = %v, %v; want 0020_growth", applied, err)
		}
		got, want := mustDayCounts(t, s, c.ID, today.AddDate(0, 0, -10)), rawDayCounts(t, s, c.ID)
		if !equalCounts(got, want) || len(want) < 4 {
			t.Errorf("roll-ups after the migration %v, events %v", got, want)
		}
	})
}
