package models_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// TestClientChangesAnnounced: every write that can change what a client may do reaches
// OnClientChange's subscribers, whichever Store method made it, while a secret's last use (which
// the token endpoint writes) does not; and a transaction's write is announced again after the
// transaction ended, since a reader could have loaded the old row between the write and the
// commit. Issue 14: cached client records are invalidated at once on the instance that changes
// them.
func TestClientChangesAnnounced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var calls atomic.Int64
		s.OnClientChange(func() { calls.Add(1) })
		owner := mustUser(t, s, "owner@example.com")
		c, _ := mustClient(t, s, owner, models.ClientMachine, "INVOICE.READ")
		fresh, err := s.ClientByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		secretID := fresh.Secrets[0].ID
		for _, tc := range []struct {
			name     string
			write    func() error
			announce bool
		}{
			{"status", func() error { return s.SetClientStatus(ctx, c.ID, models.ClientSuspended) }, true},
			{"admin status", func() error {
				return s.ChangeClientStatus(ctx, c.ID, models.ClientSuspended, models.ClientActive)
			}, true},
			{"introspection right", func() error { return s.SetClientIntrospection(ctx, c.ID, true) }, true},
			{"profile", func() error {
				return s.UpdateClient(ctx, c.ID, models.ClientProfile{Name: "renamed", Scopes: []string{"INVOICE.READ"}})
			}, true},
			{"secret added", func() error { _, err := s.AddSecret(ctx, c.ID, nil); return err }, true},
			{"secret retired", func() error { return s.RetireSecret(ctx, c.ID, secretID) }, true},
			{"owner disabled", func() error { return s.SetUserDisabled(ctx, owner.ID, true) }, true},
			{"secret last use", func() error { return s.TouchSecret(ctx, secretID, time.Now().UTC()) }, false},
			{"sign-up", func() error {
				_, err := s.CreateUser(ctx, "new@example.com", "a long enough password", false)
				return err
			}, false},
			{"revoked", func() error { return s.RevokeClient(ctx, c.ID) }, true},
			{"deleted", func() error { return s.DeleteClient(ctx, c.ID) }, true},
		} {
			before := calls.Load()
			if err := tc.write(); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := calls.Load() > before; got != tc.announce {
				t.Errorf("%s: announced = %v, want %v", tc.name, got, tc.announce)
			}
		}

		other, _ := mustClient(t, s, nil, models.ClientMachine, "INVOICE.READ")
		var during int64
		if err := s.InTx(ctx, func(tx *models.Store) error {
			if err := tx.SetClientStatus(ctx, other.ID, models.ClientSuspended); err != nil {
				return err
			}
			during = calls.Load()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if calls.Load() <= during {
			t.Error("a transaction's client change was not announced again once it ended")
		}
	})
}
