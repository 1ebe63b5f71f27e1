package oauth_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// tsEnv is a protocol server over a real SQLite store, with a user, a web client, a machine
// client and a resource server.
type tsEnv struct {
	store    *models.Store
	srv      *oauth.Server
	clock    *clock
	user     *models.User
	web      *models.Client
	webSec   string
	machine  *models.Client
	machSec  string
	rs       *models.Client
	native   *models.Client
	redirect string
}

func newTSEnv(t testing.TB, cfg oauth.Config) *tsEnv {
	t.Helper()
	ctx := context.Background()
	e := &tsEnv{store: storetest.SQLite(t), clock: &clock{t: time.Now().UTC()}, redirect: "https://app.example/cb"}
	cfg.Issuer = "https://auth.example.test"
	cfg.Now = e.clock.Now
	var err error
	if e.srv, err = oauth.NewServer(cfg, e.store, []byte(strings.Repeat("k", 32))); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.LoadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if e.user, err = e.store.CreateUser(ctx, "ts@example.com", "a long enough password", false); err != nil {
		t.Fatal(err)
	}
	mk := func(typ models.ClientType, redirects []string, rs bool) (*models.Client, string) {
		c, s, err := e.store.CreateClient(ctx, models.NewClient{Name: string(typ), Type: typ, RedirectURIs: redirects, Scopes: []string{"INVOICE.READ", "INVOICE.WRITE"}, CanIntrospect: rs})
		if err != nil {
			t.Fatal(err)
		}
		return c, s
	}
	e.web, e.webSec = mk(models.ClientWeb, []string{e.redirect}, false)
	e.machine, e.machSec = mk(models.ClientMachine, nil, false)
	e.rs, _ = mk(models.ClientMachine, nil, true)
	e.native, _ = mk(models.ClientNative, []string{"http://127.0.0.1/cb"}, false)
	return e
}

// mustCodeTokens runs the authorization code grant for the web client.
func (e *tsEnv) mustCodeTokens(t *testing.T) *oauth.TokenResponse {
	t.Helper()
	ctx := context.Background()
	req, err := e.srv.ValidateAuthorize(ctx, oauth.AuthorizeParams{ClientID: e.web.ID, RedirectURI: e.redirect, ResponseType: "code", Scope: []string{"INVOICE.READ"}})
	if err != nil {
		t.Fatal(err)
	}
	ar, err := e.srv.Approve(ctx, req, signIn(t, e.store, e.user))
	if err != nil {
		t.Fatal(err)
	}
	to := ar.URL()
	u, _ := url.Parse(to)
	resp, err := e.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: u.Query().Get("code"), RedirectURI: e.redirect, ClientID: e.web.ID, ClientSecret: e.webSec})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func (e *tsEnv) mustMachineToken(t *testing.T) string {
	t.Helper()
	resp, err := e.srv.Token(context.Background(), oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: e.machine.ID, ClientSecret: e.machSec})
	if err != nil {
		t.Fatal(err)
	}
	return resp.AccessToken
}

func (e *tsEnv) refresh(token string) (*oauth.TokenResponse, error) {
	return e.srv.Token(context.Background(), oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: token, ClientID: e.web.ID, ClientSecret: e.webSec})
}

func TestIntrospectRFC7662(t *testing.T) {
	ctx := context.Background()
	e := newTSEnv(t, oauth.Config{})
	tokens := e.mustCodeTokens(t)
	rotated := e.mustCodeTokens(t)
	if _, err := e.refresh(rotated.RefreshToken); err != nil {
		t.Fatal(err)
	}
	other := newTSEnv(t, oauth.Config{}) // a different server: its tokens are not ours
	foreign := other.mustMachineToken(t)

	for _, tc := range []struct {
		name   string
		caller *models.Client
		token  string
		active bool
		typ    string
	}{
		{"§2.2 own access token", e.web, tokens.AccessToken, true, "Bearer"},
		{"§2.2 own refresh token (no token_type: RFC 6749 §7.1 types are for access tokens)", e.web, tokens.RefreshToken, true, ""},
		{"§2.1 another client's token, caller not a resource server", e.machine, tokens.AccessToken, false, ""},
		{"§2.1 another client's token, caller is a resource server", e.rs, tokens.AccessToken, true, "Bearer"},
		{"§2.1 resource server, refresh token", e.rs, tokens.RefreshToken, true, ""},
		{"§2.2 a rotated (used) refresh token", e.web, rotated.RefreshToken, false, ""},
		{"§2.2 unknown opaque token", e.web, "dpr_nothing", false, ""},
		{"§2.2 garbage", e.web, "a.b.c", false, ""},
		{"§2.2 token signed by another server", e.rs, foreign, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.srv.Introspect(ctx, tc.caller, tc.token)
			if err != nil {
				t.Fatal(err)
			}
			if got.Active != tc.active || got.TokenType != tc.typ {
				t.Fatalf("got %+v, want active=%v type=%q", got, tc.active, tc.typ)
			}
			if !got.Active && (got.ClientID != "" || got.Scope != "") {
				t.Fatalf("an inactive answer leaks details: %+v", got)
			}
			if got.Active && (got.ClientID != e.web.ID || got.Scope != "INVOICE.READ" || got.Sub == "" || got.Exp <= got.Iat) {
				t.Fatalf("active answer incomplete: %+v", got)
			}
		})
	}

	t.Run("§2.1 public clients cannot introspect", func(t *testing.T) {
		if _, err := e.srv.Introspect(ctx, e.native, tokens.AccessToken); !errors.Is(err, oauth.ErrUnauthorizedClient) {
			t.Fatalf("err = %v, want unauthorized_client", err)
		}
	})
	t.Run("§2.1 token is required", func(t *testing.T) {
		if _, err := e.srv.Introspect(ctx, e.web, ""); !errors.Is(err, oauth.ErrInvalidRequest) {
			t.Fatalf("err = %v, want invalid_request", err)
		}
	})
	t.Run("§2.2 expired access token", func(t *testing.T) {
		e.clock.Advance(16 * time.Minute)
		defer e.clock.Advance(-16 * time.Minute)
		if got, _ := e.srv.Introspect(ctx, e.web, tokens.AccessToken); got.Active {
			t.Fatal("expired token is active")
		}
	})
	t.Run("suspended client: its tokens stop at once", func(t *testing.T) {
		tok := e.mustMachineToken(t)
		if err := e.store.SetClientStatus(ctx, e.machine.ID, models.ClientSuspended); err != nil {
			t.Fatal(err)
		}
		defer e.store.SetClientStatus(ctx, e.machine.ID, models.ClientActive)
		if got, _ := e.srv.Introspect(ctx, e.rs, tok); got.Active {
			t.Fatal("token of a suspended client is active")
		}
		if _, err := e.srv.ValidateAccessToken(ctx, tok); !errors.Is(err, oauth.ErrInvalidToken) {
			t.Fatalf("ValidateAccessToken = %v, want invalid_token", err)
		}
	})
}

func TestRevokeRFC7009(t *testing.T) {
	ctx := context.Background()
	e := newTSEnv(t, oauth.Config{})
	inactive := func(t *testing.T, token string) {
		t.Helper()
		if got, err := e.srv.Introspect(ctx, e.rs, token); err != nil || got.Active {
			t.Fatalf("token still active after revocation (%v)", err)
		}
	}

	t.Run("§2.1 revoking a refresh token ends the grant's access tokens", func(t *testing.T) {
		tok := e.mustCodeTokens(t)
		if err := e.srv.Revoke(ctx, e.web, tok.RefreshToken); err != nil {
			t.Fatal(err)
		}
		inactive(t, tok.AccessToken)
		inactive(t, tok.RefreshToken)
		if _, err := e.refresh(tok.RefreshToken); !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Fatalf("refresh after revocation: %v", err)
		}
	})
	t.Run("§2.1 revoking a grant's access token ends its refresh token too", func(t *testing.T) {
		tok := e.mustCodeTokens(t)
		if err := e.srv.Revoke(ctx, e.web, tok.AccessToken); err != nil {
			t.Fatal(err)
		}
		inactive(t, tok.AccessToken)
		inactive(t, tok.RefreshToken)
	})
	t.Run("§2.1 revoking a client-credentials token ends only that token", func(t *testing.T) {
		a, b := e.mustMachineToken(t), e.mustMachineToken(t)
		if err := e.srv.Revoke(ctx, e.machine, a); err != nil {
			t.Fatal(err)
		}
		if err := e.srv.Revoke(ctx, e.machine, a); err != nil {
			t.Fatalf("revoking twice: %v", err)
		}
		inactive(t, a)
		if got, _ := e.srv.Introspect(ctx, e.rs, b); !got.Active {
			t.Fatal("a sibling token was revoked too")
		}
	})
	t.Run("§2.1 a client cannot revoke another client's token", func(t *testing.T) {
		tok := e.mustCodeTokens(t)
		for _, token := range []string{tok.AccessToken, tok.RefreshToken} {
			if err := e.srv.Revoke(ctx, e.machine, token); !errors.Is(err, oauth.ErrUnauthorizedClient) {
				t.Fatalf("err = %v, want unauthorized_client", err)
			}
		}
		if got, _ := e.srv.Introspect(ctx, e.web, tok.AccessToken); !got.Active {
			t.Fatal("a refused revocation revoked anyway")
		}
	})
	t.Run("§2.2 unknown and invalid tokens succeed silently", func(t *testing.T) {
		for _, token := range []string{"dpr_unknown", "x.y.z", "plain"} {
			if err := e.srv.Revoke(ctx, e.web, token); err != nil {
				t.Errorf("%q: %v", token, err)
			}
		}
		if err := e.srv.Revoke(ctx, e.web, ""); !errors.Is(err, oauth.ErrInvalidRequest) {
			t.Errorf("empty token: %v, want invalid_request", err)
		}
	})
}

// RFC 9700 §4.14.2 with a grace window: a lost response may be retried.
func TestRefreshGraceWindow(t *testing.T) {
	for _, tc := range []struct {
		name       string
		grace      time.Duration
		wait       time.Duration
		useNewOne  bool
		wantReplay bool
	}{
		{"no grace: any reuse revokes the family", 0, 0, false, true},
		{"retry inside the grace window gets the same token", 30 * time.Second, 10 * time.Second, false, false},
		{"retry after the grace window revokes", 30 * time.Second, 31 * time.Second, false, true},
		{"retry after the successor was used revokes", 30 * time.Second, time.Second, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTSEnv(t, oauth.Config{RefreshGrace: tc.grace})
			first := e.mustCodeTokens(t)
			second, err := e.refresh(first.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if tc.useNewOne {
				if _, err := e.refresh(second.RefreshToken); err != nil {
					t.Fatal(err)
				}
			}
			e.clock.Advance(tc.wait)
			retry, err := e.refresh(first.RefreshToken)
			if tc.wantReplay {
				if !errors.Is(err, oauth.ErrRefreshTokenReused) {
					t.Fatalf("err = %v, want refresh reuse", err)
				}
				if _, err := e.refresh(second.RefreshToken); !errors.Is(err, oauth.ErrInvalidGrant) {
					t.Fatalf("the family survived reuse: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if retry.RefreshToken != second.RefreshToken {
				t.Fatal("a retry inside the grace window got a different refresh token")
			}
			if _, err := e.refresh(retry.RefreshToken); err != nil {
				t.Fatalf("the retried pair does not work: %v", err)
			}
		})
	}
}

// RFC 6749 §6: a retry inside the grace window may narrow the scope but never widen it.
func TestRefreshGraceCannotWidenScope(t *testing.T) {
	e := newTSEnv(t, oauth.Config{RefreshGrace: 30 * time.Second})
	first := e.mustCodeTokens(t)
	if _, err := e.refresh(first.RefreshToken); err != nil {
		t.Fatal(err)
	}
	_, err := e.srv.Token(context.Background(), oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: first.RefreshToken,
		ClientID: e.web.ID, ClientSecret: e.webSec, Scope: []string{"INVOICE.READ", "INVOICE.WRITE"}})
	if !errors.Is(err, oauth.ErrScopeNotAllowed) {
		t.Fatalf("widening retry: %v, want invalid_scope", err)
	}
}

// A code presented with a wrong verifier is spent: the attacker gets no second guess and the
// rightful client must start over (RFC 6749 §4.1.2: a code is used once).
func TestFailedExchangeSpendsTheCode(t *testing.T) {
	ctx := context.Background()
	e := newTSEnv(t, oauth.Config{})
	verifier := strings.Repeat("v", 43)
	req, err := e.srv.ValidateAuthorize(ctx, oauth.AuthorizeParams{ClientID: e.web.ID, RedirectURI: e.redirect, ResponseType: "code",
		CodeChallenge: oauth.S256Challenge(verifier), CodeChallengeMethod: oauth.MethodS256})
	if err != nil {
		t.Fatal(err)
	}
	ar, err := e.srv.Approve(ctx, req, signIn(t, e.store, e.user))
	if err != nil {
		t.Fatal(err)
	}
	to := ar.URL()
	u, _ := url.Parse(to)
	exchange := func(v string) error {
		_, err := e.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: u.Query().Get("code"), RedirectURI: e.redirect,
			CodeVerifier: v, ClientID: e.web.ID, ClientSecret: e.webSec})
		return err
	}
	if err := exchange(strings.Repeat("w", 43)); !errors.Is(err, oauth.ErrPKCE) {
		t.Fatalf("wrong verifier: %v", err)
	}
	if err := exchange(verifier); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Fatalf("the code survived a failed exchange: %v", err)
	}
}

func TestKeyRotationActivation(t *testing.T) {
	ctx := context.Background()
	e := newTSEnv(t, oauth.Config{KeyActivation: 10 * time.Minute})
	oldKid := e.srv.SigningKeyID()
	oldToken := e.mustMachineToken(t)

	newKid, err := e.srv.RotateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.LoadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	// One key of each published algorithm (ES256, RS256) before, two after.
	if got := len(e.srv.JWKS().Keys); got != 4 {
		t.Fatalf("JWKS has %d keys, want the new keys published beside the old", got)
	}
	if e.srv.SigningKeyID() != oldKid {
		t.Fatal("the new key signs before its activation delay")
	}
	e.clock.Advance(11 * time.Minute)
	if err := e.srv.LoadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if e.srv.SigningKeyID() != newKid {
		t.Fatalf("signing with %s after activation, want %s", e.srv.SigningKeyID(), newKid)
	}
	e.clock.Advance(-11 * time.Minute)
	if _, err := e.srv.ValidateAccessToken(ctx, oldToken); err != nil {
		t.Fatalf("a token of the previous key no longer verifies: %v", err)
	}
}

func TestPerClientLifetimes(t *testing.T) {
	ctx := context.Background()
	e := newTSEnv(t, oauth.Config{AccessTTL: 20 * time.Minute})
	sixty := 60
	c, secret, err := e.store.CreateClient(ctx, models.NewClient{Name: "short", Type: models.ClientMachine, Scopes: []string{"INVOICE.READ"}, AccessTTLSeconds: &sixty})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id, secret string
		want       int64
	}{{c.ID, secret, 60}, {e.machine.ID, e.machSec, 1200}} {
		resp, err := e.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: tc.id, ClientSecret: tc.secret})
		if err != nil {
			t.Fatal(err)
		}
		if resp.ExpiresIn != tc.want {
			t.Errorf("client %s: expires_in %d, want %d", tc.id, resp.ExpiresIn, tc.want)
		}
	}
}
