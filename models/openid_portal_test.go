package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// Issue #10 (OIDC Core §5.1, the name claim): a display name given at sign-up is stored with the
// account in the same insert; a bad one is refused before anything is written, so it costs no
// sign-up attempt either.
func TestSignupDisplayName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		const ip = "203.0.113.90"

		u, err := s.Signup(ctx, "named@example.test", password, "  Ada Lovelace ", ip)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.UserByID(ctx, u.ID); err != nil || got.DisplayName != "Ada Lovelace" || u.DisplayName != "Ada Lovelace" {
			t.Fatalf("stored %+v, %v; returned %q; want the trimmed name", got, err, u.DisplayName)
		}
		u, err = s.Signup(ctx, "nameless@example.test", password, "", ip)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.UserByID(ctx, u.ID); err != nil || got.DisplayName != "" {
			t.Fatalf("stored %+v, %v; want no name", got, err)
		}

		users, attempts := mustRows(t, s, "users"), mustRows(t, s, "login_attempts")
		for name, bad := range map[string]string{
			"too long":          strings.Repeat("a", models.MaxDisplayNameLength+1),
			"control character": "Ada\x00Lovelace",
			"line break":        "Ada\nLovelace",
		} {
			if _, err := s.Signup(ctx, "bad-"+strings.ReplaceAll(name, " ", "-")+"@example.test", password, bad, ip); !errors.Is(err, models.ErrInvalid) {
				t.Errorf("%s: Signup err = %v, want ErrInvalid", name, err)
			}
		}
		if u, a := mustRows(t, s, "users"), mustRows(t, s, "login_attempts"); u != users || a != attempts {
			t.Fatalf("refused names wrote users %d → %d, attempts %d → %d; want nothing", users, u, attempts, a)
		}
	})
}

// CreateAccount (the CLI's users create --name) validates the name like sign-up does.
func TestCreateAccountDisplayName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u, err := s.CreateAccount(ctx, models.NewUser{Email: "Admin@Example.test", Password: password, Name: "Grace Hopper", Admin: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.UserByID(ctx, u.ID); err != nil || got.DisplayName != "Grace Hopper" || !got.IsAdmin || got.Email != "admin@example.test" || got.Subject == "" {
			t.Fatalf("stored %+v, %v", got, err)
		}
		if _, err := s.CreateAccount(ctx, models.NewUser{Email: "b@example.test", Password: password, Name: "\u202e\x1b[31m"}); !errors.Is(err, models.ErrInvalid) {
			t.Fatalf("control characters: err = %v, want ErrInvalid", err)
		}
	})
}

// Issue #10: ClientByID (the one loader of the token, logout and settings paths) returns the
// OpenID registration fields (RP-Initiated Logout 1.0 §3.1 post-logout URIs, OIDC Registration §2
// id_token_signed_response_alg) as created and as edited.
func TestClientByIDOpenIDFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c, _, err := s.CreateClient(ctx, models.NewClient{Name: "Site", Type: models.ClientWeb, RedirectURIs: []string{"https://site.example/cb"},
			Scopes: []string{"openid"}, PostLogoutRedirectURIs: []string{"https://site.example/bye"}, IDTokenSignedResponseAlg: "ES256"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ClientByID(ctx, c.ID)
		if err != nil || strings.Join(got.PostLogoutRedirectURIs, " ") != "https://site.example/bye" || got.IDTokenSignedResponseAlg != "ES256" {
			t.Fatalf("created: %+v, %v", got, err)
		}
		err = s.UpdateClient(ctx, c.ID, models.ClientProfile{Name: "Site", RedirectURIs: got.RedirectURIs, Scopes: got.Scopes,
			PostLogoutRedirectURIs: []string{"https://site.example/a", "https://site.example/b"}})
		if err != nil {
			t.Fatal(err)
		}
		got, err = s.ClientByID(ctx, c.ID)
		if err != nil || strings.Join(got.PostLogoutRedirectURIs, " ") != "https://site.example/a https://site.example/b" || got.IDTokenSignedResponseAlg != "" {
			t.Fatalf("edited: %+v, %v", got, err)
		}
	})
}
