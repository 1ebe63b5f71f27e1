package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// Issue #12, item 8: the purge deletes in short batches, so with 20,000 expired refresh tokens a
// concurrent writer keeps succeeding ("database is locked" on SQLite was the symptom of one
// unbatched DELETE holding the write lock), everything expired goes, nothing live is touched.
// The batch sizes seen through AfterBatch fail the test if the delete is one statement again.
func TestPurgeBatchedWithConcurrentWriter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		owner := mustUser(t, s, "purge-owner@example.test")
		c, _ := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ")
		g := mustGrant(t, s, c.ID, &owner.ID, "INVOICE.READ")
		now := time.Now().UTC()
		const expired, live = 20000, 50
		rows := make([]models.RefreshToken, 0, expired+live)
		for i := range expired + live {
			exp := now.Add(-48 * time.Hour)
			if i >= expired {
				exp = now.Add(time.Hour)
			}
			rows = append(rows, models.RefreshToken{Hash: models.NewID(16), GrantID: g.ID, Scope: g.Scope, CreatedAt: now, ExpiresAt: exp})
		}
		if err := models.RawDB(s).CreateInBatches(rows, 500).Error; err != nil {
			t.Fatal(err)
		}

		done := make(chan struct{})
		wrote := make(chan struct{}, 1)
		var writes int
		var writeErrs []error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // another request's writes, for as long as the purge runs
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				rt := &models.RefreshToken{Hash: models.NewID(16), GrantID: g.ID, Scope: g.Scope, ExpiresAt: time.Now().UTC().Add(time.Hour)}
				if err := s.CreateRefreshToken(ctx, rt); err != nil {
					writeErrs = append(writeErrs, err)
				} else {
					writes++
				}
				select {
				case wrote <- struct{}{}:
				default:
				}
			}
		}()
		var batches []int64
		report, err := s.PurgeExpired(ctx, models.PurgePolicy{Before: now.Add(-24 * time.Hour), AfterBatch: func(kind string, n int64) {
			if kind == "refresh tokens" {
				batches = append(batches, n)
				<-wrote // the writer gets in between batches
			}
		}})
		close(done)
		wg.Wait()
		if err != nil {
			t.Fatalf("PurgeExpired: %v", err)
		}
		if len(writeErrs) > 0 {
			t.Fatalf("%d of the concurrent writes failed during the purge, first: %v", len(writeErrs), writeErrs[0])
		}
		if len(batches) < expired/models.PurgeBatchSize {
			t.Fatalf("refresh tokens deleted in %d statements, want batches of at most %d", len(batches), models.PurgeBatchSize)
		}
		for _, n := range batches {
			if n > models.PurgeBatchSize {
				t.Fatalf("one batch deleted %d rows, want at most %d", n, models.PurgeBatchSize)
			}
		}
		var got int64 = -1
		for _, k := range report {
			if k.Kind == "refresh tokens" {
				got = k.Deleted
			}
		}
		if got != expired {
			t.Fatalf("report says %d refresh tokens deleted, want %d (report %+v)", got, expired, report)
		}
		if n, err := models.CountRows(s, "refresh_tokens"); err != nil || n != int64(live+writes) {
			t.Fatalf("%d refresh tokens left (%v), want the %d live and %d written during the purge", n, err, live, writes)
		}
	})
}

// Issue #12, item 8 (nothing is ever forgotten): under the retention settings the purge deletes
// activity events, audit events and revoked grants (with their refresh tokens) older than their
// retention, and keeps recent ones and live grants; it says how many of each it deleted.
func TestPurgeRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		day := 24 * time.Hour
		u := mustUser(t, s, "retention@example.test")
		c, _ := mustClient(t, s, u, models.ClientWeb, "INVOICE.READ")
		db := models.RawDB(s)
		for _, age := range []time.Duration{100 * day, 91 * day, 89 * day, time.Hour} {
			if err := db.Create(&models.ClientEvent{ClientID: c.ID, Kind: "token", CreatedAt: now.Add(-age)}).Error; err != nil {
				t.Fatal(err)
			}
		}
		for _, age := range []time.Duration{400 * day, 364 * day} {
			if err := s.Audit(ctx, &models.AuditEvent{Type: models.AuditLogin, Target: "retention-" + age.String(), CreatedAt: now.Add(-age)}); err != nil {
				t.Fatal(err)
			}
		}
		oldRevoked := mustGrant(t, s, c.ID, &u.ID, "INVOICE.READ")
		recentRevoked := mustGrant(t, s, c.ID, &u.ID, "INVOICE.READ")
		live := mustGrant(t, s, c.ID, &u.ID, "INVOICE.READ")
		for _, g := range []*models.Grant{oldRevoked, recentRevoked, live} {
			mustRefreshToken(t, s, g)
		}
		if err := s.RevokeGrant(ctx, oldRevoked.ID, now.Add(-31*day)); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeGrant(ctx, recentRevoked.ID, now.Add(-29*day)); err != nil {
			t.Fatal(err)
		}

		report, err := s.PurgeExpired(ctx, models.PurgePolicy{RetainActivity: 90 * day, RetainAudit: 365 * day, RetainRevokedGrants: 30 * day})
		if err != nil {
			t.Fatal(err)
		}
		deleted := map[string]int64{}
		for _, k := range report {
			deleted[k.Kind] = k.Deleted
		}
		want := map[string]int64{"activity events": 2, "audit events": 1, "revoked grants": 1}
		for kind, n := range want {
			if deleted[kind] != n {
				t.Errorf("%s: %d deleted, want %d (report %+v)", kind, deleted[kind], n, report)
			}
		}
		for table, n := range map[string]int64{"client_events": 2, "audit_events": 1, "grants": 2, "refresh_tokens": 2} {
			if got, err := models.CountRows(s, table); err != nil || got != n {
				t.Errorf("%s: %d rows left (%v), want %d", table, got, err, n)
			}
		}
		var kept []string
		if err := db.Table("grants").Order("id").Pluck("id", &kept).Error; err != nil {
			t.Fatal(err)
		}
		for _, id := range kept {
			if id == oldRevoked.ID {
				t.Error("the grant revoked 31 days ago is still there")
			}
		}
	})
}
