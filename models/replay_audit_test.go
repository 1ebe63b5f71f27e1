package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// RFC 9700 §4.14.2 / RFC 6749 §4.1.2, issue 13: the audit entry of a replay's revocation lives
// in the revocation's transaction. Rolled back, neither is kept; committed, both are; a second
// call on the revoked grant adds no entry.
func TestRevokeReplayedGrantAuditsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u, err := s.CreateUser(ctx, "replayed@example.test", "correct horse battery staple", false)
		if err != nil {
			t.Fatal(err)
		}
		c, _, err := s.CreateClient(ctx, models.NewClient{Name: "Replayed", Type: models.ClientWeb, RedirectURIs: []string{"https://app.example.test/cb"}, Scopes: []string{"INVOICE.READ"}})
		if err != nil {
			t.Fatal(err)
		}
		g := &models.Grant{ID: models.NewID(16), ClientID: c.ID, UserID: &u.ID, Subject: u.Subject, Scope: models.Words{"INVOICE.READ"}, CreatedAt: time.Now().UTC()}
		if err := s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		entry := func() *models.AuditEvent {
			return &models.AuditEvent{Type: models.AuditRefreshReused, Actor: g.ClientID, Target: g.ClientID}
		}
		count := func() int {
			t.Helper()
			evs, err := s.AuditEvents(ctx, models.AuditFilter{Type: models.AuditRefreshReused, Target: g.ClientID})
			if err != nil {
				t.Fatal(err)
			}
			return len(evs)
		}
		revoked := func() bool {
			t.Helper()
			got, err := s.GrantByID(ctx, g.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.RevokedAt != nil
		}

		boom := errors.New("the token request failed after the revocation")
		err = s.InTx(ctx, func(tx *models.Store) error {
			if err := tx.RevokeReplayedGrant(ctx, g.ID, time.Now().UTC(), entry()); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || revoked() || count() != 0 {
			t.Fatalf("rolled back (%v): revoked %v, %d entries; want neither kept", err, revoked(), count())
		}

		for range 2 {
			if err := s.InTx(ctx, func(tx *models.Store) error {
				return tx.RevokeReplayedGrant(ctx, g.ID, time.Now().UTC(), entry())
			}); err != nil {
				t.Fatal(err)
			}
		}
		if !revoked() || count() != 1 {
			t.Fatalf("committed twice: revoked %v, %d entries; want revoked with exactly 1", revoked(), count())
		}
	})
}

// Issue 13 (the audit log records scope requests): the requests an application files are
// recorded once, by the context's actor, with the requests: a scope already pending is not
// recorded again, and a rolled-back edit leaves neither request nor entry.
func TestRequestScopesAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		dev := int64(42)
		ctx := models.WithAuditActor(context.Background(), models.AuditActor{ID: &dev, Name: "dev@example.test", IP: "198.51.100.7"})
		c, _, err := s.CreateClient(ctx, models.NewClient{Name: "Wallet", Type: models.ClientMachine, Scopes: []string{"INVOICE.READ"}, PendingScopes: []string{"EWALLET.WRITE"}})
		if err != nil {
			t.Fatal(err)
		}
		entries := func() []models.AuditEvent {
			t.Helper()
			evs, err := s.AuditEvents(ctx, models.AuditFilter{Type: models.AuditScopeRequested, Target: c.ID})
			if err != nil {
				t.Fatal(err)
			}
			return evs
		}
		if evs := entries(); len(evs) != 1 || evs[0].Detail != "EWALLET.WRITE" || evs[0].Actor != "dev@example.test" || evs[0].ActorID == nil || *evs[0].ActorID != dev || evs[0].IP != "198.51.100.7" {
			t.Fatalf("after creating: %+v", evs)
		}
		if err := s.RequestScopes(ctx, c.ID, []string{"EWALLET.WRITE", "INVOICE.WRITE"}); err != nil {
			t.Fatal(err)
		}
		if evs := entries(); len(evs) != 2 || evs[0].Detail != "INVOICE.WRITE" {
			t.Fatalf("asking again with one more: %+v, want a second entry for INVOICE.WRITE only", evs)
		}
		boom := errors.New("the edit failed")
		err = s.InTx(ctx, func(tx *models.Store) error {
			if err := tx.RequestScopes(ctx, c.ID, []string{"EWALLET.READ"}); err != nil {
				return err
			}
			return boom
		})
		if reqs, _ := s.ScopeRequestsFor(ctx, c.ID); !errors.Is(err, boom) || len(reqs) != 2 || len(entries()) != 2 {
			t.Fatalf("rolled back (%v): requests %+v, %d entries; want neither kept", err, reqs, len(entries()))
		}
	})
}
