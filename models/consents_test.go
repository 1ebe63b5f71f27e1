package models_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// countQueries counts the SELECTs s sends to the database from now on (GORM's query and row
// callbacks; a subquery is built by a dry run of them, which sends nothing).
func countQueries(t *testing.T, s *models.Store) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	count := func(db *gorm.DB) {
		if !db.DryRun {
			n.Add(1)
		}
	}
	db := models.RawDB(s)
	name := "count_queries_" + t.Name()
	if err := db.Callback().Query().After("gorm:query").Register(name, count); err != nil {
		t.Fatal(err)
	}
	if err := db.Callback().Row().After("gorm:row").Register(name, count); err != nil {
		t.Fatal(err)
	}
	return &n
}

// Issue 13 (/account/apps): each application's last use is the newest refresh token of that
// user's grants for it, looked up for every application in one query instead of one per
// application (N+1), and never another user's use of the same application.
func TestAuthorizedAppsLastUseInOneQuery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "apps-user@example.test")
		other := mustUser(t, s, "apps-other@example.test")
		base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		refreshAt := func(g *models.Grant, at time.Time) {
			t.Helper()
			rt := &models.RefreshToken{Hash: models.HashToken(models.NewToken("dpr_")), GrantID: g.ID, Scope: g.Scope, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
			if err := s.CreateRefreshToken(ctx, rt); err != nil {
				t.Fatal(err)
			}
		}
		const apps = 4
		want := map[string]*time.Time{}
		for i := range apps {
			c, _ := mustClient(t, s, nil, models.ClientWeb, "INVOICE.READ")
			if err := s.SaveConsent(ctx, u.ID, c.ID, []string{"INVOICE.READ"}); err != nil {
				t.Fatal(err)
			}
			// Someone else used every application later than the user did.
			refreshAt(mustGrant(t, s, c.ID, &other.ID, "INVOICE.READ"), base.Add(100*time.Hour))
			if i == 0 {
				want[c.ID] = nil // allowed, never used
				continue
			}
			g1, g2 := mustGrant(t, s, c.ID, &u.ID, "INVOICE.READ"), mustGrant(t, s, c.ID, &u.ID, "INVOICE.READ")
			newest := base.Add(time.Duration(i) * time.Hour)
			refreshAt(g1, newest.Add(-30*time.Minute))
			refreshAt(g2, newest)
			refreshAt(g2, newest.Add(-time.Minute))
			want[c.ID] = &newest
		}

		queries := countQueries(t, s)
		got, err := s.AuthorizedApps(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := queries.Load(); n != 1 {
			t.Errorf("AuthorizedApps ran %d queries for %d applications, want 1", n, apps)
		}
		if len(got) != apps {
			t.Fatalf("%d applications, want %d: %+v", len(got), apps, got)
		}
		for _, a := range got {
			w := want[a.ClientID]
			switch {
			case w == nil && a.LastUsedAt != nil:
				t.Errorf("%s: last used %v, want never", a.ClientID, a.LastUsedAt)
			case w != nil && (a.LastUsedAt == nil || !a.LastUsedAt.Equal(*w)):
				t.Errorf("%s: last used %v, want %v", a.ClientID, a.LastUsedAt, *w)
			}
			if a.ClientName == "" || len(a.Scope) != 1 || a.GrantedAt.IsZero() {
				t.Errorf("%s: incomplete row %+v", a.ClientID, a)
			}
		}
	})
}
