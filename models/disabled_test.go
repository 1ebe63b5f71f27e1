package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// mustDisabled disables u through the store, as the admin console does.
func mustDisabled(t *testing.T, s *models.Store, u *models.User) {
	t.Helper()
	if err := s.SetUserDisabled(context.Background(), u.ID, true); err != nil {
		t.Fatalf("SetUserDisabled: %v", err)
	}
}

// Issue #8: disabling a user ends everything they hold. Each check is also made with the
// state a race can leave behind (a session or grant created just after the disable, by a login
// or a code exchange already under way), so the query conditions matter on their own and not
// only through the clean-up SetUserDisabled does.
func TestDisabledUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		owner := mustUser(t, s, "owner@example.test")
		client, _ := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ")

		t.Run("disabling revokes the user's grants, so refresh tokens stop", func(t *testing.T) {
			u := mustUser(t, s, "grants@example.test")
			g := mustGrant(t, s, client.ID, &u.ID, "INVOICE.READ")
			other := mustGrant(t, s, client.ID, &owner.ID, "INVOICE.READ")
			mustDisabled(t, s, u)
			got, err := s.GrantByID(ctx, g.ID)
			if err != nil || got.RevokedAt == nil {
				t.Fatalf("grant of the disabled user: %+v, %v; want revoked", got, err)
			}
			if got, _ := s.GrantByID(ctx, other.ID); got.RevokedAt != nil {
				t.Fatal("another user's grant was revoked too")
			}
			if err := s.SetUserDisabled(ctx, u.ID, false); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.GrantByID(ctx, g.ID); got.RevokedAt == nil {
				t.Fatal("enabling the user again brought the grant back")
			}
		})

		t.Run("AccessTokenActive refuses an unrevoked grant of a disabled user", func(t *testing.T) {
			u := mustUser(t, s, "tokens@example.test")
			mustDisabled(t, s, u)
			// Created after the disable, as a code redeemed a moment later would be.
			g := mustGrant(t, s, client.ID, &u.ID, "INVOICE.READ")
			ok, err := s.AccessTokenActive(ctx, client.ID, g.ID, models.NewID(16))
			if err != nil || ok {
				t.Fatalf("AccessTokenActive = %v, %v; want false for a disabled user's grant", ok, err)
			}
			enabled := mustGrant(t, s, client.ID, &owner.ID, "INVOICE.READ")
			if ok, err := s.AccessTokenActive(ctx, client.ID, enabled.ID, models.NewID(16)); err != nil || !ok {
				t.Fatalf("AccessTokenActive of an enabled user's grant = %v, %v; want true", ok, err)
			}
		})

		t.Run("SessionUser refuses a session of a disabled user", func(t *testing.T) {
			u := mustUser(t, s, "sessions@example.test")
			before, _, err := s.CreateSession(ctx, u.ID, time.Hour, "127.0.0.1", "test")
			if err != nil {
				t.Fatal(err)
			}
			mustDisabled(t, s, u)
			// Created after the disable, as a login that had already checked the password would.
			after, _, err := s.CreateSession(ctx, u.ID, time.Hour, "127.0.0.1", "test")
			if err != nil {
				t.Fatal(err)
			}
			for name, token := range map[string]string{"before": before, "after": after} {
				if got, _, err := s.SessionUser(ctx, token, time.Now().UTC(), time.Hour); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("session created %s disabling: SessionUser = %+v, %v; want ErrNotFound", name, got, err)
				}
			}
		})
	})
}
