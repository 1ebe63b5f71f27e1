package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

func dynamicRegistration(policy, iat string) models.DynamicRegistration {
	return models.DynamicRegistration{
		Client:                  models.NewClient{Name: "Agent", Type: models.ClientNative, RedirectURIs: []string{"http://127.0.0.1/cb"}, Scopes: []string{"INVOICE.READ"}},
		TokenEndpointAuthMethod: "none", Policy: policy, InitialAccessToken: iat, RegistrationToken: models.NewToken("dpr_"),
	}
}

// RFC 7591 §3 (initial access token, issue 15): N registrations racing on a token with one
// use left create exactly one client, on SQLite and PostgreSQL; the others are refused with
// ErrRegistrationTokenInvalid and create nothing.
func TestRegistrationTokenUsesAreSpentAtomically(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		_, token, err := s.CreateRegistrationToken(ctx, time.Hour, 1, now)
		if err != nil {
			t.Fatal(err)
		}
		const n = 12
		errs := together(n, func(int) error {
			_, _, err := s.RegisterDynamicClient(ctx, dynamicRegistration(models.DCRToken, token), now)
			return err
		})
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, models.ErrRegistrationTokenInvalid):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d registrations succeeded on a one-use token, want exactly 1", ok)
		}
		var clients int64
		if err := models.RawDB(s).Model(&models.Client{}).Where("dynamic").Count(&clients).Error; err != nil {
			t.Fatal(err)
		}
		if clients != 1 {
			t.Fatalf("%d dynamic clients exist, want 1", clients)
		}
	})
}

// RFC 7591 §3: an expired, revoked or unknown initial access token registers nothing.
func TestRegistrationTokenRefused(t *testing.T) {
	s := storetest.SQLite(t)
	ctx := context.Background()
	now := time.Now().UTC()
	expired, expiredToken, err := s.CreateRegistrationToken(ctx, time.Minute, 5, now.Add(-time.Hour))
	if err != nil || expired.Status(now) != "expired" {
		t.Fatalf("%v %v", err, expired)
	}
	revoked, revokedToken, err := s.CreateRegistrationToken(ctx, time.Hour, 5, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeRegistrationToken(ctx, revoked.ID, now); err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"expired": expiredToken, "revoked": revokedToken, "unknown": models.NewToken("dpi_"), "empty": ""} {
		if _, _, err := s.RegisterDynamicClient(ctx, dynamicRegistration(models.DCRToken, tok), now); !errors.Is(err, models.ErrRegistrationTokenInvalid) {
			t.Errorf("%s token: err = %v, want ErrRegistrationTokenInvalid", name, err)
		}
	}
	if err := models.ValidateRegistrationToken(time.Hour, 0); err == nil {
		t.Error("0 uses accepted")
	}
}

// Issue 15: `devportal purge` deletes dynamic clients that never obtained a token within
// UnusedDynamicClientTTL, and keeps portal clients, young dynamic clients and used ones.
func TestPurgeDeletesUnusedDynamicClients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		reg := func() *models.Client {
			c, _, err := s.RegisterDynamicClient(ctx, dynamicRegistration(models.DCROpen, ""), now)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		old, used, young := reg(), reg(), reg()
		portal, _, err := s.CreateClient(ctx, models.NewClient{Name: "Portal", Type: models.ClientNative, RedirectURIs: []string{"http://127.0.0.1/cb"}, Scopes: []string{"INVOICE.READ"}})
		if err != nil {
			t.Fatal(err)
		}
		past := now.Add(-models.UnusedDynamicClientTTL - time.Hour)
		for _, id := range []string{old.ID, used.ID, portal.ID} {
			if err := models.RawDB(s).Model(&models.Client{}).Where("id = ?", id).Update("created_at", past).Error; err != nil {
				t.Fatal(err)
			}
		}
		u, err := s.CreateUser(ctx, "purge-dcr@example.com", "a long enough password", false)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateGrant(ctx, &models.Grant{ID: models.NewID(8), ClientID: used.ID, UserID: &u.ID, Scope: models.Words{"INVOICE.READ"}, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		report, err := s.PurgeExpired(ctx, models.PurgePolicy{UnusedDynamicClients: models.UnusedDynamicClientTTL, BatchSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := report[len(report)-1]; got.Kind != "unused dynamic clients" || got.Deleted != 1 {
			t.Fatalf("report %+v, want 1 unused dynamic client", report)
		}
		if _, err := s.ClientByID(ctx, old.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unused old dynamic client kept: %v", err)
		}
		for _, id := range []string{used.ID, young.ID, portal.ID} {
			if _, err := s.ClientByID(ctx, id); err != nil {
				t.Errorf("client %s deleted: %v", id, err)
			}
		}
		events, err := s.AuditEvents(ctx, models.AuditFilter{Type: models.AuditClientExpiredUnused})
		if err != nil || len(events) != 1 || events[0].Target != old.ID {
			t.Fatalf("audit %+v %v", events, err)
		}
	})
}
