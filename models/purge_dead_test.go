package models_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// purgeDeleted runs one purge under p and returns what it deleted per kind.
func purgeDeleted(t *testing.T, s *models.Store, p models.PurgePolicy) map[string]int64 {
	t.Helper()
	report, err := s.PurgeExpired(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	deleted := map[string]int64{}
	for _, k := range report {
		deleted[k.Kind] = k.Deleted
	}
	return deleted
}

// Issue #12, item 8 (nothing is ever forgotten): a grant never revoked but older than its
// refresh family's life (RFC 9700 §4.14.2: refresh tokens bounded in time) plus the retention
// of revoked grants, with no refresh token left that the purge keeps, can never mint a token
// again and goes. Younger grants, and dead ones still holding a refresh token within the replay
// window, stay; the user's list of authorized apps (consents) is the same afterwards.
func TestPurgeDeadGrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		day := 24 * time.Hour
		family, retain := 90*day, 30*day
		u := mustUser(t, s, "dead-grants@example.test")
		c, _ := mustClient(t, s, u, models.ClientWeb, "INVOICE.READ")
		if err := s.SaveConsent(ctx, u.ID, c.ID, []string{"INVOICE.READ"}); err != nil {
			t.Fatal(err)
		}
		db := models.RawDB(s)
		dead := mustGrant(t, s, c.ID, &u.ID, "INVOICE.READ")
		replayable := mustGrant(t, s, c.ID, &u.ID, "INVOICE.READ")
		young := mustGrant(t, s, c.ID, &u.ID, "INVOICE.READ")
		for _, g := range []*models.Grant{dead, replayable, young} {
			mustRefreshToken(t, s, g)
		}
		ages := map[string]time.Duration{dead.ID: family + retain + day, replayable.ID: family + retain + day, young.ID: family + retain - day}
		for id, age := range ages {
			if err := db.Table("grants").Where("id = ?", id).Update("created_at", now.Add(-age)).Error; err != nil {
				t.Fatal(err)
			}
		}
		// The dead grant's last refresh token expired long ago; the replayable one's only an
		// hour ago, within the replay window the purge keeps it for.
		if err := db.Table("refresh_tokens").Where("grant_id IN ?", []string{dead.ID, young.ID}).Update("expires_at", now.Add(-family)).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Table("refresh_tokens").Where("grant_id = ?", replayable.ID).Update("expires_at", now.Add(-time.Hour)).Error; err != nil {
			t.Fatal(err)
		}
		before := now.Add(-day)
		// First without the family's life: expired refresh tokens go, grants stay.
		if got := purgeDeleted(t, s, models.PurgePolicy{Before: before, RetainRevokedGrants: retain}); got["dead grants"] != 0 || got["refresh tokens"] != 2 {
			t.Fatalf("without RefreshFamilyTTL: %v, want 2 refresh tokens and no dead grant", got)
		}
		apps, err := s.AuthorizedApps(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}

		got := purgeDeleted(t, s, models.PurgePolicy{Before: before, RetainRevokedGrants: retain, RefreshFamilyTTL: family})
		if got["dead grants"] != 1 {
			t.Errorf("dead grants: %d deleted, want 1 (%v)", got["dead grants"], got)
		}
		var kept []string
		if err := db.Table("grants").Order("id").Pluck("id", &kept).Error; err != nil {
			t.Fatal(err)
		}
		if len(kept) != 2 {
			t.Errorf("grants left %v, want 2", kept)
		}
		for _, id := range kept {
			if id == dead.ID {
				t.Error("the dead grant is still there")
			}
		}
		after, err := s.AuthorizedApps(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normalizeApps(apps), normalizeApps(after)) || len(after) != 1 {
			t.Errorf("authorized apps changed by the purge: %+v, then %+v", apps, after)
		}
	})
}

// normalizeApps drops the monotonic clock and location from the times, which the two reads
// may scan differently.
func normalizeApps(apps []models.AuthorizedApp) []models.AuthorizedApp {
	out := append([]models.AuthorizedApp(nil), apps...)
	for i := range out {
		out[i].GrantedAt = out[i].GrantedAt.UTC().Truncate(time.Millisecond)
		if out[i].LastUsedAt != nil {
			t := out[i].LastUsedAt.UTC().Truncate(time.Millisecond)
			out[i].LastUsedAt = &t
		}
	}
	return out
}

// Issue #12, item 8: the consents of a client revoked longer ago than the retention of revoked
// grants go (RFC 6749 §10.2: a revoked client gets no new tokens, so its consents only take
// room); those of a client revoked recently, and of an active client, stay.
func TestPurgeConsentsOfRevokedClients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		day := 24 * time.Hour
		u := mustUser(t, s, "revoked-consents@example.test")
		v := mustUser(t, s, "revoked-consents-2@example.test")
		old, _ := mustClient(t, s, u, models.ClientWeb, "INVOICE.READ")
		recent, _ := mustClient(t, s, u, models.ClientWeb, "INVOICE.READ")
		active, _ := mustClient(t, s, u, models.ClientWeb, "INVOICE.READ")
		for _, c := range []*models.Client{old, recent, active} {
			for _, user := range []*models.User{u, v} {
				if err := s.SaveConsent(ctx, user.ID, c.ID, []string{"INVOICE.READ"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for c, at := range map[*models.Client]time.Time{old: now.Add(-31 * day), recent: now.Add(-29 * day)} {
			if err := s.RevokeClient(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
			if err := models.RawDB(s).Table("clients").Where("id = ?", c.ID).Update("updated_at", at).Error; err != nil {
				t.Fatal(err)
			}
		}
		// An active client last edited long ago keeps its consents.
		if err := models.RawDB(s).Table("clients").Where("id = ?", active.ID).Update("updated_at", now.Add(-400*day)).Error; err != nil {
			t.Fatal(err)
		}
		got := purgeDeleted(t, s, models.PurgePolicy{RetainRevokedGrants: 30 * day, BatchSize: 1})
		if got["consents of revoked clients"] != 2 {
			t.Errorf("consents of revoked clients: %d deleted, want 2 (%v)", got["consents of revoked clients"], got)
		}
		var left []string
		if err := models.RawDB(s).Table("consents").Distinct("client_id").Pluck("client_id", &left).Error; err != nil {
			t.Fatal(err)
		}
		if len(left) != 2 {
			t.Errorf("consents left for clients %v, want those of the recent and the active client", left)
		}
		for _, id := range left {
			if id == old.ID {
				t.Error("a consent of the client revoked 31 days ago is still there")
			}
		}
	})
}
