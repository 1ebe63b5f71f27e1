package models_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// Finding 5 of the hardening review (RFC 6749 §10.5, codes are short-lived and single-use):
// revoking an application's access, or disabling the user, deletes the codes not yet exchanged,
// so none can be redeemed into a grant the user cannot see. Codes of other users or clients stay.
func TestStoreRevokeDeletesCodes(t *testing.T) {
	ctx := context.Background()
	for name, end := range map[string]func(s *models.Store, user *models.User, client *models.Client) error{
		"revoke consent": func(s *models.Store, u *models.User, c *models.Client) error { return s.RevokeConsent(ctx, u.ID, c.ID) },
		"disable user": func(s *models.Store, u *models.User, c *models.Client) error {
			return s.SetUserDisabled(ctx, u.ID, true)
		},
	} {
		t.Run(name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *models.Store) {
				user, err := s.CreateUser(ctx, "user@example.test", "correct horse battery staple", false)
				if err != nil {
					t.Fatal(err)
				}
				other, err := s.CreateUser(ctx, "other@example.test", "correct horse battery staple", false)
				if err != nil {
					t.Fatal(err)
				}
				client, _, err := s.CreateClient(ctx, models.NewClient{Name: "Shop", Type: models.ClientWeb, RedirectURIs: []string{"https://shop.example/cb"}, Scopes: []string{"INVOICE.READ"}})
				if err != nil {
					t.Fatal(err)
				}
				code := func(u *models.User) string {
					hash := models.HashToken(models.NewToken("dpc_"))
					now := time.Now().UTC()
					if err := s.CreateAuthCode(ctx, &models.AuthCode{Hash: hash, ClientID: client.ID, UserID: u.ID, Scope: models.Words{"INVOICE.READ"}, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
						t.Fatal(err)
					}
					if err := s.SaveConsent(ctx, u.ID, client.ID, []string{"INVOICE.READ"}); err != nil {
						t.Fatal(err)
					}
					return hash
				}
				mine, theirs := code(user), code(other)
				if err := end(s, user, client); err != nil {
					t.Fatal(err)
				}
				if _, err := s.ConsumeAuthCode(ctx, mine, client.ID, time.Now().UTC()); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("the user's outstanding code: %v, want ErrNotFound", err)
				}
				if _, err := s.ConsumeAuthCode(ctx, theirs, client.ID, time.Now().UTC()); err != nil {
					t.Errorf("another user's code was touched: %v", err)
				}
			})
		})
	}
}

// RFC 6819 §5.1.4.2.2: every server-generated credential carries 256 bits from crypto/rand.
func TestNewTokenEntropy(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok := models.NewToken("dps_")
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "dps_"))
		if err != nil || len(raw) != 32 {
			t.Fatalf("NewToken = %q: %d bytes (%v), want 32", tok, len(raw), err)
		}
		if seen[tok] {
			t.Fatalf("NewToken repeated %q", tok)
		}
		seen[tok] = true
	}
}
