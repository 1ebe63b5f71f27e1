package oauth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// RFC 7662 §2.2 and docs/oauth.md: a refresh token is inactive once expired, while its client is
// suspended or revoked, and to a caller that is neither its client nor a resource server.
func TestIntrospectRefreshTokens(t *testing.T) {
	ctx := context.Background()
	e := newTSEnv(t, oauth.Config{RefreshTTL: time.Hour})
	active := func(t *testing.T, caller *models.Client, token string) bool {
		t.Helper()
		got, err := e.srv.Introspect(ctx, caller, token)
		if err != nil {
			t.Fatalf("Introspect: %v", err)
		}
		if !got.Active && (got.ClientID != "" || got.Scope != "" || got.Sub != "") {
			t.Fatalf("an inactive answer leaks details: %+v", got)
		}
		return got.Active
	}

	t.Run("control: its own client and a resource server see it active", func(t *testing.T) {
		refresh := e.mustCodeTokens(t).RefreshToken
		if !active(t, e.web, refresh) || !active(t, e.rs, refresh) {
			t.Fatal("a live refresh token is inactive")
		}
	})
	t.Run("§2.2 expired", func(t *testing.T) {
		refresh := e.mustCodeTokens(t).RefreshToken
		e.clock.Advance(time.Hour + time.Second)
		defer e.clock.Advance(-time.Hour - time.Second)
		for _, caller := range []*models.Client{e.web, e.rs} {
			if active(t, caller, refresh) {
				t.Fatalf("an expired refresh token is active for %s", caller.Name)
			}
		}
	})
	t.Run("§2.1 caller is neither its client nor a resource server", func(t *testing.T) {
		refresh := e.mustCodeTokens(t).RefreshToken
		if active(t, e.machine, refresh) {
			t.Fatal("another client sees the refresh token active")
		}
	})
	for _, status := range []string{models.ClientSuspended, models.ClientRevoked} {
		t.Run("§2.2 client "+status, func(t *testing.T) {
			refresh := e.mustCodeTokens(t).RefreshToken
			if err := e.store.SetClientStatus(ctx, e.web.ID, status); err != nil {
				t.Fatal(err)
			}
			defer e.store.SetClientStatus(ctx, e.web.ID, models.ClientActive)
			for _, caller := range []*models.Client{e.web, e.rs} {
				if active(t, caller, refresh) {
					t.Fatalf("a refresh token of a %s client is active for %s", status, caller.Name)
				}
			}
		})
	}
}

// RFC 7636 §4.1: code_verifier is 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." /
// "_" / "~". A verifier outside that syntax is refused even when its S256 matches the challenge,
// so the check is not left to the hash comparison.
func TestPKCEVerifierSyntax(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		verifier string
		ok       bool
	}{
		{"43 characters", strings.Repeat("a", 43), true},
		{"128 characters of the whole alphabet", strings.Repeat("AZaz09-._~", 12) + "abcdefgh", true},
		{"42 characters", strings.Repeat("a", 42), false},
		{"129 characters", strings.Repeat("a", 129), false},
		{"plus sign (base64, not base64url)", strings.Repeat("a", 42) + "+", false},
		{"slash", strings.Repeat("a", 42) + "/", false},
		{"padding", strings.Repeat("a", 42) + "=", false},
		{"space", strings.Repeat("a", 21) + " " + strings.Repeat("a", 21), false},
		{"non-ASCII", strings.Repeat("a", 41) + "é", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code := f.mustCode(t, oauth.AuthorizeParams{ClientID: f.native.ID, RedirectURI: nativeLoopback,
				CodeChallenge: oauth.S256Challenge(tc.verifier), CodeChallengeMethod: oauth.MethodS256})
			_, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: code,
				RedirectURI: nativeLoopback, CodeVerifier: tc.verifier, ClientID: f.native.ID})
			if tc.ok {
				checkErr(t, err, nil)
			} else {
				checkErr(t, err, oauth.ErrPKCE)
			}
		})
	}
}

// RFC 6749 §2.3.1: a client secret authenticates only while usable; an expired or retired one
// is a wrong secret, while the client's other secret keeps working.
func TestClientSecretExpiry(t *testing.T) {
	ctx := context.Background()
	e := newTSEnv(t, oauth.Config{})
	until := e.clock.Now().Add(time.Hour)
	fresh, err := e.store.AddSecret(ctx, e.machine.ID, &until)
	if err != nil {
		t.Fatal(err)
	}
	auth := func(secret string) error {
		_, err := e.srv.AuthenticateClient(ctx, e.machine.ID, secret)
		return err
	}
	checkErr(t, auth(e.machSec), nil)
	checkErr(t, auth(fresh), nil)

	e.clock.Advance(time.Hour + time.Second)
	t.Run("expired secret", func(t *testing.T) {
		checkErr(t, auth(e.machSec), oauth.ErrBadClientSecret)
		_, err := e.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: e.machine.ID, ClientSecret: e.machSec})
		checkErr(t, err, oauth.ErrBadClientSecret)
	})
	t.Run("the new secret still works", func(t *testing.T) {
		checkErr(t, auth(fresh), nil)
	})
	t.Run("retired secret", func(t *testing.T) {
		c, err := e.store.ClientByID(ctx, e.machine.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, cs := range c.Secrets {
			if cs.Hash == models.HashToken(fresh) {
				if err := e.store.RetireSecret(ctx, c.ID, cs.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		checkErr(t, auth(fresh), oauth.ErrBadClientSecret)
	})
}

// RFC 6749 §5.2 invalid_client and §4.1.2.1: a suspended or revoked client gets no tokens from
// any grant, and its authorization requests are shown an error instead of being redirected.
func TestDisabledClient(t *testing.T) {
	ctx := context.Background()
	for _, status := range []string{models.ClientSuspended, models.ClientRevoked} {
		t.Run(status, func(t *testing.T) {
			f := mustFixture(t, storetest.SQLite(t))
			tokens := f.mustWebTokens(t)
			code := f.mustCode(t, oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect})
			for _, id := range []string{f.web.ID, f.machine.ID, f.native.ID} {
				if err := f.store.SetClientStatus(ctx, id, status); err != nil {
					t.Fatal(err)
				}
			}
			for _, tc := range []struct {
				name string
				req  oauth.TokenRequest
			}{
				{"client_credentials", oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: f.machine.ID, ClientSecret: f.machineSecret}},
				{"authorization_code", f.webCodeRequest(code)},
				{"refresh_token", f.webRefresh(tokens.RefreshToken)},
			} {
				t.Run("token endpoint, "+tc.name, func(t *testing.T) {
					resp, err := f.srv.Token(ctx, tc.req)
					checkErr(t, err, oauth.ErrClientDisabled)
					if resp != nil {
						t.Fatalf("tokens issued to a %s client: %+v", status, resp)
					}
				})
			}
			t.Run("authorization endpoint", func(t *testing.T) {
				for _, p := range []oauth.AuthorizeParams{
					{ClientID: f.web.ID, RedirectURI: webRedirect, ResponseType: "code"},
					{ClientID: f.native.ID, RedirectURI: nativeLoopback, ResponseType: "code", CodeChallenge: challenge, CodeChallengeMethod: oauth.MethodS256},
				} {
					req, err := f.srv.ValidateAuthorize(ctx, p)
					checkErr(t, err, oauth.ErrClientDisabled)
					if req != nil {
						t.Fatalf("%s: a %s client's request was validated, so its error would be redirected", p.ClientID, status)
					}
				}
			})
		})
	}
}

// OpenID Connect Core §3.1.2.1 prompt=consent: the user is asked again even when they allowed
// every requested scope before. A confidential client is used, since public clients see the
// consent page every time regardless (RFC 8252 §8.6).
func TestPromptConsent(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	p := oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect, ResponseType: "code", Scope: []string{"INVOICE.READ"}}
	f.mustCode(t, p) // the user allows INVOICE.READ once
	for _, tc := range []struct {
		prompt string
		want   bool
	}{
		{"", false},
		{"consent", true},
	} {
		t.Run("prompt="+tc.prompt, func(t *testing.T) {
			q := p
			q.Prompt = tc.prompt
			req, err := f.srv.ValidateAuthorize(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			needed, fresh, err := f.srv.ConsentNeeded(ctx, req, f.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			if needed != tc.want || len(fresh) != 0 {
				t.Fatalf("ConsentNeeded = %v, new scopes %v; want %v and none new", needed, fresh, tc.want)
			}
		})
	}
}

// Issue #8: disabling a user revokes their grants, so a refresh token minted before cannot mint
// new access tokens (which offline verifiers, blind to the user's state, would accept), and
// enabling the user again does not revive it. RFC 6749 §10.4 asks revocable refresh tokens.
func TestRefreshAfterUserDisabled(t *testing.T) {
	ctx := context.Background()
	e := newTSEnv(t, oauth.Config{})
	tokens := e.mustCodeTokens(t)
	if err := e.store.SetUserDisabled(ctx, e.user.ID, true); err != nil {
		t.Fatal(err)
	}
	_, err := e.refresh(tokens.RefreshToken)
	checkErr(t, err, oauth.ErrInvalidGrant)
	if err := e.store.SetUserDisabled(ctx, e.user.ID, false); err != nil {
		t.Fatal(err)
	}
	_, err = e.refresh(tokens.RefreshToken)
	checkErr(t, err, oauth.ErrInvalidGrant)
}
