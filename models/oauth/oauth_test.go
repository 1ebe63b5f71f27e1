package oauth_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

const (
	issuer   = "https://auth.example.test"
	password = "correct horse battery staple"

	webRedirect     = "https://app.example.test/callback"
	multiRedirectA  = "https://multi.example.test/cb"
	multiRedirectB  = "https://multi.example.test/cb?tenant=7"
	nativeLoopback  = "http://127.0.0.1/callback"
	nativePrivate   = "com.example.app:/cb"
	machineScopeOne = "INVOICE.READ"
	machineScopeTwo = "VIRTUAL_ACCOUNT.READ"

	// verifier and its challenge are the example of RFC 7636 Appendix B.
	verifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

var secret = []byte("0123456789abcdef0123456789abcdef") // 32 bytes, as the server secret

// fixture is a server over a real SQLite (or PostgreSQL) store with one user and one
// application of each kind.
type fixture struct {
	store *models.Store
	srv   *oauth.Server
	user  *models.User

	web           *models.Client // one redirect URI, INVOICE.READ INVOICE.WRITE
	webSecret     string
	multi         *models.Client // two redirect URIs, INVOICE.READ
	multiSecret   string
	native        *models.Client // loopback and private-use redirects, INVOICE.READ EWALLET.READ
	machine       *models.Client // INVOICE.READ VIRTUAL_ACCOUNT.READ
	machineSecret string
}

func mustFixture(t testing.TB, store *models.Store) *fixture {
	t.Helper()
	f := &fixture{store: store, srv: mustServer(t, store, oauth.Config{Issuer: issuer})}
	u, err := store.CreateUser(context.Background(), "user@example.test", password, false)
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	f.user = u
	f.web, f.webSecret = mustClient(t, store, models.ClientWeb, []string{webRedirect}, "INVOICE.READ", "INVOICE.WRITE")
	f.multi, f.multiSecret = mustClient(t, store, models.ClientWeb, []string{multiRedirectA, multiRedirectB}, "INVOICE.READ")
	f.native, _ = mustClient(t, store, models.ClientNative, []string{nativeLoopback, nativePrivate}, "INVOICE.READ", "EWALLET.READ")
	f.machine, f.machineSecret = mustClient(t, store, models.ClientMachine, nil, machineScopeOne, machineScopeTwo)
	return f
}

func mustServer(t testing.TB, store *models.Store, cfg oauth.Config) *oauth.Server {
	t.Helper()
	srv, err := oauth.NewServer(cfg, store, secret)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	if err := srv.LoadKeys(context.Background()); err != nil {
		t.Fatalf("LoadKeys: %v", err)
	}
	return srv
}

func mustClient(t testing.TB, store *models.Store, typ models.ClientType, redirects []string, scopes ...string) (*models.Client, string) {
	t.Helper()
	c, sec, err := store.CreateClient(context.Background(), models.NewClient{Name: "Test " + string(typ), Type: typ, RedirectURIs: redirects, Scopes: scopes})
	if err != nil {
		t.Fatalf("create %s client: %v", typ, err)
	}
	return c, sec
}

// mustCode runs a successful authorization request for the fixture's user and returns the code.
func (f *fixture) mustCode(t *testing.T, p oauth.AuthorizeParams) string {
	t.Helper()
	if p.ResponseType == "" {
		p.ResponseType = "code"
	}
	ctx := context.Background()
	req, err := f.srv.ValidateAuthorize(ctx, p)
	if err != nil {
		t.Fatalf("ValidateAuthorize: %v", err)
	}
	resp, err := f.srv.Approve(ctx, req, signIn(t, f.store, f.user))
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	loc := resp.URL()
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("Approve returned %q: %v", loc, err)
	}
	code := u.Query().Get("code")
	if code == "" {
		t.Fatalf("Approve returned %q without a code", loc)
	}
	return code
}

// mustWebTokens runs the authorization code flow for the web client with both its scopes.
func (f *fixture) mustWebTokens(t *testing.T) *oauth.TokenResponse {
	t.Helper()
	code := f.mustCode(t, oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect, State: "s"})
	resp, err := f.srv.Token(context.Background(), f.webCodeRequest(code))
	if err != nil {
		t.Fatalf("exchange code: %v", err)
	}
	if resp.RefreshToken == "" {
		t.Fatal("no refresh token issued for an authorization code")
	}
	return resp
}

func (f *fixture) webCodeRequest(code string) oauth.TokenRequest {
	return oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: code, RedirectURI: webRedirect, ClientID: f.web.ID, ClientSecret: f.webSecret}
}

func (f *fixture) webRefresh(refresh string, scope ...string) oauth.TokenRequest {
	return oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: refresh, Scope: scope, ClientID: f.web.ID, ClientSecret: f.webSecret}
}

// mustCodeRow stores an authorization code directly, so tests can choose its expiry.
func (f *fixture) mustCodeRow(t *testing.T, expiresAt time.Time) string {
	t.Helper()
	code := models.NewToken("dpc_")
	row := &models.AuthCode{
		Hash: models.HashToken(code), ClientID: f.web.ID, UserID: f.user.ID, RedirectURI: webRedirect,
		Scope: models.Words{"INVOICE.READ"}, CreatedAt: expiresAt.Add(-time.Minute), ExpiresAt: expiresAt,
	}
	if err := f.store.CreateAuthCode(context.Background(), row); err != nil {
		t.Fatalf("CreateAuthCode: %v", err)
	}
	return code
}

// mustRefreshRow stores a grant of the web client and one refresh token of it directly.
func (f *fixture) mustRefreshRow(t *testing.T, expiresAt time.Time) string {
	t.Helper()
	ctx := context.Background()
	g := &models.Grant{ID: models.NewID(16), ClientID: f.web.ID, UserID: &f.user.ID, Scope: models.Words{"INVOICE.READ"}}
	if err := f.store.CreateGrant(ctx, g); err != nil {
		t.Fatalf("CreateGrant: %v", err)
	}
	refresh := models.NewToken("dpr_")
	row := &models.RefreshToken{Hash: models.HashToken(refresh), GrantID: g.ID, Scope: g.Scope, ExpiresAt: expiresAt}
	if err := f.store.CreateRefreshToken(ctx, row); err != nil {
		t.Fatalf("CreateRefreshToken: %v", err)
	}
	return refresh
}

// checkErr fails unless err matches want (nil meaning success) and none of notWant.
func checkErr(t *testing.T, err, want error, notWant ...error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("err = %v, want success", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("err = %v, want %v", err, want)
	}
	for _, nw := range notWant {
		if errors.Is(err, nw) {
			t.Fatalf("err = %v, must not match %v", err, nw)
		}
	}
}

// mustAccessClaims verifies an access token against the server's JWKS (RFC 9068 §4) and returns
// its claims and header.
func mustAccessClaims(t *testing.T, srv *oauth.Server, token string, alg jose.SignatureAlgorithm) (oauth.AccessClaims, jose.Header) {
	t.Helper()
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{alg})
	if err != nil {
		t.Fatalf("parse access token as %s: %v", alg, err)
	}
	if len(tok.Headers) != 1 {
		t.Fatalf("%d JOSE headers, want 1", len(tok.Headers))
	}
	h := tok.Headers[0]
	jwks := srv.JWKS()
	keys := jwks.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("JWKS has %d keys with kid %q, want 1", len(keys), h.KeyID)
	}
	var claims oauth.AccessClaims
	if err := tok.Claims(keys[0].Key, &claims); err != nil {
		t.Fatalf("verify access token with JWKS key %s: %v", h.KeyID, err)
	}
	return claims, h
}

func scopesOf(req *oauth.AuthorizeRequest) []string {
	if req == nil {
		return nil
	}
	return req.ScopeNames()
}

// race runs fn n times at once: every goroutine waits on one closed channel, so they start
// together without sleeps.
func race(n int, fn func() error) []error {
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn()
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func TestNewServer(t *testing.T) {
	store := storetest.SQLite(t)
	t.Run("defaults", func(t *testing.T) {
		srv, err := oauth.NewServer(oauth.Config{Issuer: issuer}, store, secret)
		if err != nil {
			t.Fatal(err)
		}
		got := srv.Config()
		for _, c := range []struct {
			field     string
			got, want any
		}{
			{"Issuer", got.Issuer, issuer},
			{"Audience", got.Audience, issuer},
			{"SigningAlg", got.SigningAlg, oauth.AlgES256},
			{"AccessTTL", got.AccessTTL, 15 * time.Minute},
			{"RefreshTTL", got.RefreshTTL, 30 * 24 * time.Hour},
			{"CodeTTL", got.CodeTTL, time.Minute},
		} {
			if c.got != c.want {
				t.Errorf("Config().%s = %v, want %v", c.field, c.got, c.want)
			}
		}
	})
	t.Run("code lifetime is capped at 60s (RFC 6749 §4.1.2 asks for short-lived codes)", func(t *testing.T) {
		srv, err := oauth.NewServer(oauth.Config{Issuer: issuer, CodeTTL: 10 * time.Minute}, store, secret)
		if err != nil {
			t.Fatal(err)
		}
		if got := srv.Config().CodeTTL; got != time.Minute {
			t.Fatalf("CodeTTL = %v, want 1m", got)
		}
	})
	for _, tc := range []struct {
		name string
		cfg  oauth.Config
	}{
		{"no issuer", oauth.Config{}},
		{"HS256 is not an asymmetric algorithm", oauth.Config{Issuer: issuer, SigningAlg: "HS256"}},
		{"none", oauth.Config{Issuer: issuer, SigningAlg: "none"}},
	} {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			if _, err := oauth.NewServer(tc.cfg, store, secret); err == nil {
				t.Fatal("NewServer accepted the config")
			}
		})
	}
}

func TestS256Challenge(t *testing.T) {
	// RFC 7636 Appendix B.
	if got := oauth.S256Challenge(verifier); got != challenge {
		t.Fatalf("S256Challenge = %q, want %q", got, challenge)
	}
}

func TestParseScope(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"INVOICE.READ", []string{"INVOICE.READ"}},
		{" INVOICE.READ  INVOICE.WRITE\tEWALLET.READ ", []string{"INVOICE.READ", "INVOICE.WRITE", "EWALLET.READ"}},
		{"B A B A", []string{"B", "A"}}, // RFC 6749 §3.3: a set; order of first appearance kept
	} {
		t.Run(strconv.Quote(tc.in), func(t *testing.T) {
			if got := oauth.ParseScope(tc.in); !slices.Equal(got, tc.want) {
				t.Fatalf("ParseScope(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestValidateRedirectURI(t *testing.T) {
	const (
		web    = models.ClientWeb
		native = models.ClientNative
	)
	for _, tc := range []struct {
		name string
		typ  models.ClientType
		uri  string
		ok   bool
	}{
		{"RFC 6749 §3.1.2.1: https", web, "https://app.example.test/callback", true},
		{"RFC 6749 §3.1.2: query allowed", web, "https://app.example.test/callback?tenant=7", true},
		{"RFC 6749 §3.1.2.1: plain http on a public host", web, "http://app.example.test/callback", false},
		{"RFC 8252 §7.3: http on 127.0.0.1", web, "http://127.0.0.1:8080/callback", true},
		{"RFC 8252 §7.3: http on [::1]", native, "http://[::1]/callback", true},
		{"RFC 8252 §8.3: http on localhost", web, "http://localhost:3000/callback", true},
		{"http on a host that merely starts with localhost", web, "http://localhost.evil.example/callback", false},
		{"RFC 6749 §3.1.2: fragment", web, "https://app.example.test/callback#frag", false},
		{"RFC 6749 §3.1.2: empty fragment", web, "https://app.example.test/callback#", false},
		{"RFC 6749 §3.1.2: relative path", web, "/callback", false},
		{"RFC 6749 §3.1.2: no scheme", web, "app.example.test/callback", false},
		{"RFC 9700 §4.1: userinfo", web, "https://user:pass@app.example.test/callback", false},
		{"RFC 9700 §4.1: user only", web, "https://evil.example@app.example.test/callback", false},
		{"https without a host", web, "https:///callback", false},
		{"empty", web, "", false},
		{"surrounding space", web, " https://app.example.test/callback", false},
		{"embedded newline", web, "https://app.example.test/call\nback", false},
		{"RFC 8252 §7.1: private-use scheme for native", native, "com.example.app:/cb", true},
		{"RFC 8252 §7.1: private-use scheme for web", web, "com.example.app:/cb", false},
		{"RFC 8252 §7.1: scheme without a dot is not reverse-domain", native, "myapp:/cb", false},
		{"RFC 9700 §4.1: javascript (web)", web, "javascript:alert(1)", false},
		{"RFC 9700 §4.1: javascript (native)", native, "javascript:alert(1)", false},
		{"data URI", native, "data:text/html,<script>alert(1)</script>", false},
		// Finding 10 of the hardening review: ports no socket can listen on.
		{"RFC 8252 §7.3: loopback port 0", native, "http://127.0.0.1:0/callback", false},
		{"RFC 8252 §7.3: loopback port above 65535", native, "http://127.0.0.1:65536/callback", false},
		{"RFC 8252 §7.3: loopback port 99999", native, "http://127.0.0.1:99999/callback", false},
		{"RFC 8252 §7.3: loopback port 65535", native, "http://127.0.0.1:65535/callback", true},
		{"RFC 8252 §7.3: loopback empty port", native, "http://127.0.0.1:/callback", false},
		{"RFC 9700 §4.1: loopback userinfo", native, "http://user@127.0.0.1:8080/callback", false},
		{"https port 0", web, "https://app.example.test:0/callback", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := oauth.ValidateRedirectURI(tc.typ, tc.uri)
			if tc.ok && err != nil {
				t.Fatalf("ValidateRedirectURI(%s, %q) = %v, want ok", tc.typ, tc.uri, err)
			}
			if !tc.ok && err == nil {
				t.Fatalf("ValidateRedirectURI(%s, %q) accepted it", tc.typ, tc.uri)
			}
		})
	}
}

func TestMatchRedirectURI(t *testing.T) {
	web := &models.Client{Type: models.ClientWeb, RedirectURIs: models.Lines{"https://app.example.test/callback", "http://127.0.0.1/callback"}}
	native := &models.Client{Type: models.ClientNative, RedirectURIs: models.Lines{
		"http://127.0.0.1/callback", "http://[::1]:8080/cb", "http://localhost/callback", "com.example.app:/cb",
	}}
	for _, tc := range []struct {
		name      string
		client    *models.Client
		requested string
		want      string // the registered URI matched; "" for no match
	}{
		{"RFC 9700 §4.1.3: exact match", web, "https://app.example.test/callback", "https://app.example.test/callback"},
		{"RFC 9700 §4.1.3: trailing slash differs", web, "https://app.example.test/callback/", ""},
		{"RFC 9700 §4.1.3: path case differs", web, "https://app.example.test/Callback", ""},
		{"RFC 9700 §4.1.3: added query", web, "https://app.example.test/callback?x=1", ""},
		{"RFC 9700 §4.1.3: web port variation", web, "https://app.example.test:8443/callback", ""},
		{"RFC 8252 §7.3 is for native apps only: web loopback port variation", web, "http://127.0.0.1:5000/callback", ""},
		{"RFC 8252 §7.3: native loopback IPv4 port added", native, "http://127.0.0.1:51234/callback", "http://127.0.0.1/callback"},
		{"RFC 8252 §7.3: native loopback IPv6 port changed", native, "http://[::1]:9090/cb", "http://[::1]:8080/cb"},
		{"RFC 8252 §7.3: native loopback IPv6 port removed", native, "http://[::1]/cb", "http://[::1]:8080/cb"},
		{"RFC 8252 §7.3: native loopback path differs", native, "http://127.0.0.1:51234/other", ""},
		{"RFC 8252 §7.3: native loopback trailing slash", native, "http://127.0.0.1:51234/callback/", ""},
		{"RFC 8252 §7.3: native loopback query added", native, "http://127.0.0.1:51234/callback?x=1", ""},
		{"RFC 8252 §7.3: native loopback fragment", native, "http://127.0.0.1:51234/callback#x", ""},
		{"RFC 8252 §7.3: other loopback address", native, "http://127.0.0.2:51234/callback", ""},
		{"RFC 8252 §7.3: IPv4 registered, IPv6 requested", native, "http://[::1]:51234/callback", ""},
		{"RFC 8252 §7.3: https is not the loopback exception", native, "https://127.0.0.1:51234/callback", ""},
		{"RFC 8252 §8.3: localhost exact", native, "http://localhost/callback", "http://localhost/callback"},
		{"RFC 8252 §8.3: localhost port variation", native, "http://localhost:5000/callback", ""},
		{"RFC 8252 §7.1: private-use exact", native, "com.example.app:/cb", "com.example.app:/cb"},
		{"RFC 8252 §7.1: private-use path differs", native, "com.example.app:/other", ""},
		// Finding 10: only the port may vary, and only to a port that exists.
		{"RFC 8252 §7.3: native loopback userinfo", native, "http://user@127.0.0.1:51234/callback", ""},
		{"RFC 8252 §7.3: native loopback user and password", native, "http://a:b@127.0.0.1:51234/callback", ""},
		{"RFC 8252 §7.3: native loopback port 0", native, "http://127.0.0.1:0/callback", ""},
		{"RFC 8252 §7.3: native loopback port 65536", native, "http://127.0.0.1:65536/callback", ""},
		{"RFC 8252 §7.3: native loopback port 99999", native, "http://127.0.0.1:99999/callback", ""},
		{"empty", native, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := oauth.MatchRedirectURI(tc.client, tc.requested)
			if ok != (tc.want != "") || got != tc.want {
				t.Fatalf("MatchRedirectURI(%q) = %q, %v; want %q", tc.requested, got, ok, tc.want)
			}
		})
	}
}

func TestValidateAuthorize(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	web := func(mod func(p *oauth.AuthorizeParams)) oauth.AuthorizeParams {
		p := oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect, ResponseType: "code", State: "xyz"}
		if mod != nil {
			mod(&p)
		}
		return p
	}
	native := func(mod func(p *oauth.AuthorizeParams)) oauth.AuthorizeParams {
		p := oauth.AuthorizeParams{ClientID: f.native.ID, RedirectURI: nativeLoopback, ResponseType: "code", CodeChallenge: challenge, CodeChallengeMethod: "S256"}
		if mod != nil {
			mod(&p)
		}
		return p
	}
	for _, tc := range []struct {
		name     string
		p        oauth.AuthorizeParams
		wantErr  error
		shown    bool     // the error must be shown to the user: no request, so nothing to redirect to
		redirect string   // on a request: where the response goes
		scopes   []string // on success: the scopes granted
	}{
		{name: "RFC 6749 §4.1.1: valid web request", p: web(nil), redirect: webRedirect, scopes: []string{"INVOICE.READ", "INVOICE.WRITE"}},
		{name: "RFC 6749 §4.1.2.1: missing client_id is shown", p: web(func(p *oauth.AuthorizeParams) { p.ClientID = "" }), wantErr: oauth.ErrInvalidRequest, shown: true},
		{name: "RFC 6749 §4.1.2.1: unknown client is shown", p: web(func(p *oauth.AuthorizeParams) { p.ClientID = "dp_nosuchclient" }), wantErr: oauth.ErrUnknownClient, shown: true},
		{name: "RFC 6749 §4.1.2.1: unregistered redirect_uri is shown", p: web(func(p *oauth.AuthorizeParams) { p.RedirectURI = "https://evil.example/callback" }), wantErr: oauth.ErrInvalidRedirectURI, shown: true},
		{name: "RFC 9700 §4.1.3: trailing slash is another redirect_uri", p: web(func(p *oauth.AuthorizeParams) { p.RedirectURI = webRedirect + "/" }), wantErr: oauth.ErrInvalidRedirectURI, shown: true},
		{name: "RFC 6749 §4.1.2.1: bad redirect_uri wins over a bad response_type", p: web(func(p *oauth.AuthorizeParams) { p.RedirectURI = "https://evil.example/cb"; p.ResponseType = "token" }), wantErr: oauth.ErrInvalidRedirectURI, shown: true},
		{name: "RFC 6749 §3.1.2.3: omitted redirect_uri, one registered", p: web(func(p *oauth.AuthorizeParams) { p.RedirectURI = "" }), redirect: webRedirect, scopes: []string{"INVOICE.READ", "INVOICE.WRITE"}},
		{name: "RFC 6749 §3.1.2.3: omitted redirect_uri, two registered", p: oauth.AuthorizeParams{ClientID: f.multi.ID, ResponseType: "code"}, wantErr: oauth.ErrInvalidRedirectURI, shown: true},
		{name: "RFC 6749 §3.1.2.3: second of two registered", p: oauth.AuthorizeParams{ClientID: f.multi.ID, RedirectURI: multiRedirectB, ResponseType: "code"}, redirect: multiRedirectB, scopes: []string{"INVOICE.READ"}},
		{name: "RFC 6749 §4.1.2.1: machine client may not use the authorization endpoint", p: oauth.AuthorizeParams{ClientID: f.machine.ID, ResponseType: "code"}, wantErr: oauth.ErrUnauthorizedClient, shown: true},
		{name: "RFC 6749 §4.1.2.1: missing response_type is redirected", p: web(func(p *oauth.AuthorizeParams) { p.ResponseType = "" }), wantErr: oauth.ErrInvalidRequest, redirect: webRedirect},
		{name: "RFC 6749 §4.1.2.1: response_type=token is redirected", p: web(func(p *oauth.AuthorizeParams) { p.ResponseType = "token" }), wantErr: oauth.ErrUnsupportedResponseType, redirect: webRedirect},
		{name: "RFC 6749 §3.1.1: response_type=code token", p: web(func(p *oauth.AuthorizeParams) { p.ResponseType = "code token" }), wantErr: oauth.ErrUnsupportedResponseType, redirect: webRedirect},
		{name: "OAuth Multiple Response Types §2.1: response_mode=fragment", p: web(func(p *oauth.AuthorizeParams) { p.ResponseMode = "fragment" }), wantErr: oauth.ErrInvalidRequest, redirect: webRedirect},
		{name: "OAuth Multiple Response Types §2.1: response_mode=query", p: web(func(p *oauth.AuthorizeParams) { p.ResponseMode = "query" }), redirect: webRedirect, scopes: []string{"INVOICE.READ", "INVOICE.WRITE"}},
		{name: "RFC 9700 §2.1.1: PKCE plain rejected", p: native(func(p *oauth.AuthorizeParams) { p.CodeChallenge = verifier; p.CodeChallengeMethod = "plain" }), wantErr: oauth.ErrInvalidRequest, redirect: nativeLoopback},
		{name: "RFC 7636 §4.3: missing method defaults to plain, rejected", p: native(func(p *oauth.AuthorizeParams) { p.CodeChallengeMethod = "" }), wantErr: oauth.ErrInvalidRequest, redirect: nativeLoopback},
		{name: "RFC 7636 §4.3: method without challenge", p: web(func(p *oauth.AuthorizeParams) { p.CodeChallengeMethod = "S256" }), wantErr: oauth.ErrInvalidRequest, redirect: webRedirect},
		{name: "RFC 7636 §4.2: challenge of 42 characters", p: native(func(p *oauth.AuthorizeParams) { p.CodeChallenge = challenge[:42] }), wantErr: oauth.ErrInvalidRequest, redirect: nativeLoopback},
		{name: "RFC 7636 §4.2: challenge of 44 characters", p: native(func(p *oauth.AuthorizeParams) { p.CodeChallenge = challenge + "A" }), wantErr: oauth.ErrInvalidRequest, redirect: nativeLoopback},
		{name: "RFC 7636 §4.2: challenge outside base64url", p: native(func(p *oauth.AuthorizeParams) { p.CodeChallenge = "+" + challenge[1:] }), wantErr: oauth.ErrInvalidRequest, redirect: nativeLoopback},
		{name: "RFC 9700 §2.1.1: native without PKCE", p: native(func(p *oauth.AuthorizeParams) { p.CodeChallenge, p.CodeChallengeMethod = "", "" }), wantErr: oauth.ErrInvalidRequest, redirect: nativeLoopback},
		{name: "RFC 7636 §4.3: native with S256", p: native(nil), redirect: nativeLoopback, scopes: []string{"EWALLET.READ", "INVOICE.READ"}},
		{name: "RFC 7636 §4.3: web may use S256", p: web(func(p *oauth.AuthorizeParams) { p.CodeChallenge, p.CodeChallengeMethod = challenge, "S256" }), redirect: webRedirect, scopes: []string{"INVOICE.READ", "INVOICE.WRITE"}},
		{name: "RFC 8252 §7.3: native loopback with an ephemeral port", p: native(func(p *oauth.AuthorizeParams) { p.RedirectURI = "http://127.0.0.1:49152/callback" }), redirect: "http://127.0.0.1:49152/callback", scopes: []string{"EWALLET.READ", "INVOICE.READ"}},
		{name: "RFC 8252 §7.1: native private-use scheme", p: native(func(p *oauth.AuthorizeParams) { p.RedirectURI = nativePrivate }), redirect: nativePrivate, scopes: []string{"EWALLET.READ", "INVOICE.READ"}},
		{name: "RFC 6749 §3.3: subset of the registered scopes", p: web(func(p *oauth.AuthorizeParams) { p.Scope = []string{"INVOICE.WRITE"} }), redirect: webRedirect, scopes: []string{"INVOICE.WRITE"}},
		{name: "RFC 6749 §3.3: empty scope means the registered ones", p: web(func(p *oauth.AuthorizeParams) { p.Scope = nil }), redirect: webRedirect, scopes: []string{"INVOICE.READ", "INVOICE.WRITE"}},
		{name: "RFC 6749 §4.1.2.1: unknown scope", p: web(func(p *oauth.AuthorizeParams) { p.Scope = []string{"INVOICE.READ", "PAYROLL.READ"} }), wantErr: oauth.ErrUnknownScope, redirect: webRedirect},
		{name: "RFC 6749 §3.3: scope token with a quote", p: web(func(p *oauth.AuthorizeParams) { p.Scope = []string{`INVOICE"READ`} }), wantErr: oauth.ErrUnknownScope, redirect: webRedirect},
		{name: "RFC 6749 §4.1.2.1: scope in the catalog but not registered", p: web(func(p *oauth.AuthorizeParams) { p.Scope = []string{"EWALLET.WRITE"} }), wantErr: oauth.ErrScopeNotAllowed, redirect: webRedirect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := f.srv.ValidateAuthorize(ctx, tc.p)
			checkErr(t, err, tc.wantErr)
			if tc.shown {
				if req != nil {
					t.Fatalf("request returned for an error that must be shown, would redirect to %q", req.RedirectURI)
				}
				return
			}
			if req == nil {
				t.Fatalf("no request returned (err %v): the error could not be redirected", err)
			}
			if req.RedirectURI != tc.redirect {
				t.Errorf("RedirectURI = %q, want %q", req.RedirectURI, tc.redirect)
			}
			if req.RequestedRedirect != tc.p.RedirectURI {
				t.Errorf("RequestedRedirect = %q, want %q", req.RequestedRedirect, tc.p.RedirectURI)
			}
			if req.State != tc.p.State {
				t.Errorf("State = %q, want %q", req.State, tc.p.State)
			}
			if err == nil && !slices.Equal(scopesOf(req), tc.scopes) {
				t.Errorf("scopes = %q, want %q", scopesOf(req), tc.scopes)
			}
		})
	}
}

func TestAuthorizationResponseRedirect(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	mustRequest := func(t *testing.T, p oauth.AuthorizeParams) (*oauth.AuthorizeRequest, error) {
		t.Helper()
		req, err := f.srv.ValidateAuthorize(ctx, p)
		if req == nil {
			t.Fatalf("ValidateAuthorize returned no request: %v", err)
		}
		return req, err
	}
	mustQuery := func(t *testing.T, loc, wantBase string) url.Values {
		t.Helper()
		u, err := url.Parse(loc)
		if err != nil {
			t.Fatalf("redirect %q: %v", loc, err)
		}
		if got := u.Scheme + "://" + u.Host + u.Path; got != wantBase {
			t.Fatalf("redirect %q goes to %q, want %q", loc, got, wantBase)
		}
		if u.Fragment != "" {
			t.Fatalf("redirect %q has a fragment", loc)
		}
		return u.Query()
	}

	t.Run("RFC 6749 §4.1.2.1, RFC 9207 §2: error carries error, state and iss and keeps the registered query", func(t *testing.T) {
		state := "a b&c=d" // must survive encoding
		req, err := mustRequest(t, oauth.AuthorizeParams{ClientID: f.multi.ID, RedirectURI: multiRedirectB, ResponseType: "token", State: state})
		q := mustQuery(t, f.srv.ErrorRedirect(req, err), multiRedirectA)
		for k, want := range map[string]string{"error": "unsupported_response_type", "state": state, "iss": issuer, "tenant": "7"} {
			if got := q.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if q.Get("error_description") == "" {
			t.Error("no error_description")
		}
		if q.Has("code") {
			t.Error("error response carries a code")
		}
	})
	t.Run("RFC 6749 §4.1.2.1: no state sent, none returned", func(t *testing.T) {
		req, err := mustRequest(t, oauth.AuthorizeParams{ClientID: f.web.ID, ResponseType: "code", ResponseMode: "fragment"})
		q := mustQuery(t, f.srv.ErrorRedirect(req, err), webRedirect)
		if q.Get("error") != "invalid_request" || q.Has("state") || q.Get("iss") != issuer {
			t.Fatalf("query = %v, want error=invalid_request, iss and no state", q)
		}
	})
	t.Run("RFC 6749 §4.1.2.1: an internal error becomes server_error", func(t *testing.T) {
		req, _ := mustRequest(t, oauth.AuthorizeParams{ClientID: f.web.ID, ResponseType: "code", State: "s"})
		q := mustQuery(t, f.srv.ErrorRedirect(req, errors.New("database on fire")), webRedirect)
		if q.Get("error") != "server_error" || strings.Contains(q.Get("error_description"), "fire") {
			t.Fatalf("query = %v, want error=server_error without the internal message", q)
		}
	})
	t.Run("RFC 6749 §4.1.2, RFC 9207 §2: approval carries code, state and iss and keeps the registered query", func(t *testing.T) {
		req, err := mustRequest(t, oauth.AuthorizeParams{ClientID: f.multi.ID, RedirectURI: multiRedirectB, ResponseType: "code", State: "st"})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := f.srv.Approve(ctx, req, signIn(t, f.store, f.user))
		if err != nil {
			t.Fatal(err)
		}
		loc := resp.URL()
		q := mustQuery(t, loc, multiRedirectA)
		if !strings.HasPrefix(q.Get("code"), "dpc_") || q.Get("state") != "st" || q.Get("iss") != issuer || q.Get("tenant") != "7" || q.Has("error") {
			t.Fatalf("query = %v, want code, state=st, iss, tenant=7", q)
		}
	})
}

func TestTokenClientAuthentication(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	cc := func(id, sec string) oauth.TokenRequest {
		return oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: id, ClientSecret: sec}
	}
	for _, tc := range []struct {
		name    string
		req     oauth.TokenRequest
		wantErr error
		notErr  []error
	}{
		{"RFC 6749 §2.3.1: correct secret", cc(f.machine.ID, f.machineSecret), nil, nil},
		{"RFC 6749 §5.2: missing client_id", cc("", f.machineSecret), oauth.ErrInvalidClient, []error{oauth.ErrUnknownClient}},
		{"RFC 6749 §5.2: unknown client", cc("dp_nosuchclient", f.machineSecret), oauth.ErrUnknownClient, []error{oauth.ErrBadClientSecret}},
		{"RFC 6749 §5.2: wrong secret", cc(f.machine.ID, f.machineSecret+"x"), oauth.ErrBadClientSecret, []error{oauth.ErrUnknownClient}},
		{"RFC 6749 §5.2: missing secret", cc(f.machine.ID, ""), oauth.ErrBadClientSecret, nil},
		{"RFC 6749 §5.2: another client's secret", cc(f.machine.ID, f.webSecret), oauth.ErrBadClientSecret, nil},
		{"RFC 6749 §5.2: authentication precedes the grant", oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: "dpc_x", ClientID: f.web.ID, ClientSecret: "wrong"}, oauth.ErrBadClientSecret, nil},
		{"RFC 6749 §2.1: public client sending a secret", oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: "dpc_x", ClientID: f.native.ID, ClientSecret: "anything"}, oauth.ErrInvalidClient, []error{oauth.ErrUnknownClient}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.srv.Token(ctx, tc.req)
			checkErr(t, err, tc.wantErr, tc.notErr...)
		})
	}

	t.Run("RFC 6749 §2.3.1: a rotated-out secret stops working", func(t *testing.T) {
		client, old := mustClient(t, f.store, models.ClientMachine, nil, machineScopeOne)
		fresh, err := f.store.AddSecret(ctx, client.ID, &time.Time{}) // retire the old one now
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.srv.Token(ctx, cc(client.ID, old))
		checkErr(t, err, oauth.ErrBadClientSecret)
		_, err = f.srv.Token(ctx, cc(client.ID, fresh))
		checkErr(t, err, nil)
	})
	t.Run("AuthenticateClient returns the client", func(t *testing.T) {
		c, err := f.srv.AuthenticateClient(ctx, f.web.ID, f.webSecret)
		if err != nil || c.ID != f.web.ID {
			t.Fatalf("AuthenticateClient = %v, %v; want client %s", c, err, f.web.ID)
		}
		c, err = f.srv.AuthenticateClient(ctx, f.native.ID, "")
		if err != nil || c.ID != f.native.ID {
			t.Fatalf("AuthenticateClient(native) = %v, %v; want client %s", c, err, f.native.ID)
		}
	})
}

func TestTokenGrantTypes(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		req     oauth.TokenRequest
		wantErr error
	}{
		{"RFC 6749 §5.2: missing grant_type", oauth.TokenRequest{ClientID: f.web.ID, ClientSecret: f.webSecret}, oauth.ErrInvalidRequest},
		{"RFC 6749 §5.2: password grant", oauth.TokenRequest{GrantType: "password", ClientID: f.web.ID, ClientSecret: f.webSecret}, oauth.ErrUnsupportedGrantType},
		{"RFC 8628 §3.4: device code grant, device sign-in not turned on", oauth.TokenRequest{GrantType: "urn:ietf:params:oauth:grant-type:device_code", ClientID: f.native.ID}, oauth.ErrDeviceNotAllowed},
		{"RFC 6749 §5.2: machine client with authorization_code", oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: "dpc_x", ClientID: f.machine.ID, ClientSecret: f.machineSecret}, oauth.ErrUnauthorizedClient},
		{"RFC 6749 §5.2: machine client with refresh_token", oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: "dpr_x", ClientID: f.machine.ID, ClientSecret: f.machineSecret}, oauth.ErrUnauthorizedClient},
		{"RFC 6749 §5.2: web client with client_credentials", oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: f.web.ID, ClientSecret: f.webSecret}, oauth.ErrUnauthorizedClient},
		{"RFC 6749 §4.4: public client with client_credentials", oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: f.native.ID}, oauth.ErrUnauthorizedClient},
		{"RFC 6749 §4.1.3: missing code", oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, ClientID: f.web.ID, ClientSecret: f.webSecret}, oauth.ErrInvalidRequest},
		{"RFC 6749 §6: missing refresh_token", oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, ClientID: f.web.ID, ClientSecret: f.webSecret}, oauth.ErrInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.srv.Token(ctx, tc.req)
			checkErr(t, err, tc.wantErr)
			if resp != nil {
				t.Fatalf("tokens issued along with error %v", err)
			}
		})
	}
}

func TestAuthorizationCodeGrant(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	webCode := func(t *testing.T) string {
		return f.mustCode(t, oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect})
	}
	webPKCECode := func(t *testing.T) string {
		return f.mustCode(t, oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect, CodeChallenge: challenge, CodeChallengeMethod: "S256"})
	}
	nativeCode := func(t *testing.T) string {
		return f.mustCode(t, oauth.AuthorizeParams{ClientID: f.native.ID, RedirectURI: nativeLoopback, CodeChallenge: challenge, CodeChallengeMethod: "S256", Scope: []string{"EWALLET.READ"}})
	}
	webReq := f.webCodeRequest
	with := func(r oauth.TokenRequest, mod func(r *oauth.TokenRequest)) oauth.TokenRequest { mod(&r); return r }
	nativeReq := func(code string) oauth.TokenRequest {
		return oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: code, RedirectURI: nativeLoopback, CodeVerifier: verifier, ClientID: f.native.ID}
	}

	for _, tc := range []struct {
		name    string
		code    func(t *testing.T) string
		req     func(code string) oauth.TokenRequest
		wantErr error
		scope   []string // on success
	}{
		{"RFC 6749 §4.1.3: web client without PKCE", webCode, webReq, nil, []string{"INVOICE.READ", "INVOICE.WRITE"}},
		{"RFC 7636 §4.5: web client with PKCE", webPKCECode, func(c string) oauth.TokenRequest {
			return with(webReq(c), func(r *oauth.TokenRequest) { r.CodeVerifier = verifier })
		}, nil, []string{"INVOICE.READ", "INVOICE.WRITE"}},
		{"RFC 7636 §4.5: native client with PKCE", nativeCode, nativeReq, nil, []string{"EWALLET.READ"}},
		{"RFC 6749 §4.1.3: redirect_uri omitted at both steps", func(t *testing.T) string {
			return f.mustCode(t, oauth.AuthorizeParams{ClientID: f.web.ID})
		}, func(c string) oauth.TokenRequest {
			return with(webReq(c), func(r *oauth.TokenRequest) { r.RedirectURI = "" })
		}, nil, []string{"INVOICE.READ", "INVOICE.WRITE"}},
		{"RFC 6749 §4.1.3: redirect_uri omitted at authorize, registered one at token", func(t *testing.T) string {
			return f.mustCode(t, oauth.AuthorizeParams{ClientID: f.web.ID})
		}, webReq, nil, []string{"INVOICE.READ", "INVOICE.WRITE"}},
		{"RFC 8252 §7.3: native loopback port kept identical at token", func(t *testing.T) string {
			return f.mustCode(t, oauth.AuthorizeParams{ClientID: f.native.ID, RedirectURI: "http://127.0.0.1:50000/callback", CodeChallenge: challenge, CodeChallengeMethod: "S256"})
		}, func(c string) oauth.TokenRequest {
			return with(nativeReq(c), func(r *oauth.TokenRequest) { r.RedirectURI = "http://127.0.0.1:50000/callback" })
		}, nil, []string{"EWALLET.READ", "INVOICE.READ"}},
		{"RFC 6749 §4.1.3: direct row, not expired (control for the expiry case)", func(t *testing.T) string {
			return f.mustCodeRow(t, time.Now().UTC().Add(time.Minute))
		}, webReq, nil, []string{"INVOICE.READ"}},
		{"RFC 6749 §4.1.2: expired code", func(t *testing.T) string {
			return f.mustCodeRow(t, time.Now().UTC().Add(-time.Second))
		}, webReq, oauth.ErrInvalidGrant, nil},
		{"RFC 6749 §5.2: unknown code", func(*testing.T) string { return models.NewToken("dpc_") }, webReq, oauth.ErrInvalidGrant, nil},
		{"RFC 6749 §4.1.3: code issued to another client", webCode, func(c string) oauth.TokenRequest {
			return oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: c, RedirectURI: webRedirect, ClientID: f.multi.ID, ClientSecret: f.multiSecret}
		}, oauth.ErrInvalidGrant, nil},
		{"RFC 6749 §4.1.3: redirect_uri differs from the authorization request", func(t *testing.T) string {
			return f.mustCode(t, oauth.AuthorizeParams{ClientID: f.multi.ID, RedirectURI: multiRedirectA})
		}, func(c string) oauth.TokenRequest {
			return oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: c, RedirectURI: multiRedirectB, ClientID: f.multi.ID, ClientSecret: f.multiSecret}
		}, oauth.ErrInvalidGrant, nil},
		{"RFC 6749 §4.1.3: redirect_uri sent at authorize, omitted at token", webCode, func(c string) oauth.TokenRequest {
			return with(webReq(c), func(r *oauth.TokenRequest) { r.RedirectURI = "" })
		}, oauth.ErrInvalidGrant, nil},
		{"RFC 6749 §4.1.3: redirect_uri omitted at authorize, unregistered one at token", func(t *testing.T) string {
			return f.mustCode(t, oauth.AuthorizeParams{ClientID: f.web.ID})
		}, func(c string) oauth.TokenRequest {
			return with(webReq(c), func(r *oauth.TokenRequest) { r.RedirectURI = "https://evil.example/callback" })
		}, oauth.ErrInvalidGrant, nil},
		{"RFC 8252 §7.3: native loopback port changed between authorize and token", func(t *testing.T) string {
			return f.mustCode(t, oauth.AuthorizeParams{ClientID: f.native.ID, RedirectURI: "http://127.0.0.1:50000/callback", CodeChallenge: challenge, CodeChallengeMethod: "S256"})
		}, func(c string) oauth.TokenRequest {
			return with(nativeReq(c), func(r *oauth.TokenRequest) { r.RedirectURI = "http://127.0.0.1:50001/callback" })
		}, oauth.ErrInvalidGrant, nil},
		{"RFC 7636 §4.6: wrong verifier", nativeCode, func(c string) oauth.TokenRequest {
			return with(nativeReq(c), func(r *oauth.TokenRequest) { r.CodeVerifier = strings.Repeat("a", 43) })
		}, oauth.ErrPKCE, nil},
		{"RFC 7636 §4.1: verifier too short", nativeCode, func(c string) oauth.TokenRequest {
			return with(nativeReq(c), func(r *oauth.TokenRequest) { r.CodeVerifier = verifier[:42] })
		}, oauth.ErrPKCE, nil},
		{"RFC 7636 §4.5: missing verifier when a challenge was sent (native)", nativeCode, func(c string) oauth.TokenRequest {
			return with(nativeReq(c), func(r *oauth.TokenRequest) { r.CodeVerifier = "" })
		}, oauth.ErrPKCE, nil},
		{"RFC 7636 §4.5: missing verifier when a challenge was sent (web)", webPKCECode, webReq, oauth.ErrPKCE, nil},
		{"RFC 9700 §2.1.1: verifier sent when no challenge was", webCode, func(c string) oauth.TokenRequest {
			return with(webReq(c), func(r *oauth.TokenRequest) { r.CodeVerifier = verifier })
		}, oauth.ErrPKCE, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.srv.Token(ctx, tc.req(tc.code(t)))
			checkErr(t, err, tc.wantErr, oauth.ErrCodeReused)
			if tc.wantErr != nil {
				if resp != nil {
					t.Fatal("tokens issued along with an error")
				}
				return
			}
			if resp.TokenType != "Bearer" || resp.AccessToken == "" || resp.ExpiresIn != 900 {
				t.Errorf("response = %+v, want a Bearer access token for 900 s", resp)
			}
			if !strings.HasPrefix(resp.RefreshToken, "dpr_") {
				t.Errorf("refresh token %q, want one starting dpr_", resp.RefreshToken)
			}
			if !slices.Equal(resp.Scope, tc.scope) {
				t.Errorf("scope = %q, want %q", resp.Scope, tc.scope)
			}
		})
	}

	t.Run("RFC 6749 §4.1.3: a code presented by another client stays usable by its own", func(t *testing.T) {
		code := webCode(t)
		_, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: code, RedirectURI: webRedirect, ClientID: f.multi.ID, ClientSecret: f.multiSecret})
		checkErr(t, err, oauth.ErrInvalidGrant)
		_, err = f.srv.Token(ctx, webReq(code))
		checkErr(t, err, nil)
	})
	t.Run("RFC 6749 §10.5, §4.1.2: code single use; a replay revokes what the code produced", func(t *testing.T) {
		code := webCode(t)
		first, err := f.srv.Token(ctx, webReq(code))
		if err != nil {
			t.Fatalf("first exchange: %v", err)
		}
		resp, err := f.srv.Token(ctx, webReq(code))
		checkErr(t, err, oauth.ErrCodeReused)
		if resp != nil {
			t.Fatal("second exchange issued tokens")
		}
		_, err = f.srv.Token(ctx, f.webRefresh(first.RefreshToken))
		checkErr(t, err, oauth.ErrInvalidGrant, oauth.ErrRefreshTokenReused)
		// Replaying it once more is still refused.
		_, err = f.srv.Token(ctx, webReq(code))
		checkErr(t, err, oauth.ErrCodeReused)
	})
	t.Run("RFC 6749 §4.1.2: refresh token of a revoked grant is refused", func(t *testing.T) {
		// Revocation itself (what a replayed code should trigger) ends the refresh token.
		resp := f.mustWebTokens(t)
		claims, _ := mustAccessClaims(t, f.srv, resp.AccessToken, jose.ES256)
		if claims.GrantID == "" {
			t.Fatal("access token has no gid")
		}
		if err := f.store.RevokeGrant(ctx, claims.GrantID, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		_, err := f.srv.Token(ctx, f.webRefresh(resp.RefreshToken))
		checkErr(t, err, oauth.ErrInvalidGrant, oauth.ErrRefreshTokenReused)
	})
}

func TestRefreshTokenGrant(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	both := []string{"INVOICE.READ", "INVOICE.WRITE"}

	t.Run("RFC 9700 §4.14.2: rotation issues a new refresh token", func(t *testing.T) {
		first := f.mustWebTokens(t)
		second, err := f.srv.Token(ctx, f.webRefresh(first.RefreshToken))
		if err != nil {
			t.Fatal(err)
		}
		if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
			t.Fatalf("refresh token after rotation = %q, want a new one", second.RefreshToken)
		}
		if second.AccessToken == first.AccessToken || !slices.Equal(second.Scope, both) {
			t.Fatalf("response = %+v, want a new access token with scope %q", second, both)
		}
		c1, _ := mustAccessClaims(t, f.srv, first.AccessToken, jose.ES256)
		c2, _ := mustAccessClaims(t, f.srv, second.AccessToken, jose.ES256)
		if c1.GrantID != c2.GrantID || c1.Subject != c2.Subject || c1.ID == c2.ID {
			t.Fatalf("claims %+v then %+v: want same grant and subject, new jti", c1, c2)
		}
		// The successor rotates too.
		if _, err := f.srv.Token(ctx, f.webRefresh(second.RefreshToken)); err != nil {
			t.Fatalf("refresh with the successor: %v", err)
		}
	})
	t.Run("RFC 9700 §4.14.2: reusing a rotated token is refused and revokes the family", func(t *testing.T) {
		first := f.mustWebTokens(t)
		second, err := f.srv.Token(ctx, f.webRefresh(first.RefreshToken))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := f.srv.Token(ctx, f.webRefresh(first.RefreshToken))
		checkErr(t, err, oauth.ErrRefreshTokenReused)
		if resp != nil {
			t.Fatal("reuse issued tokens")
		}
		_, err = f.srv.Token(ctx, f.webRefresh(second.RefreshToken))
		checkErr(t, err, oauth.ErrInvalidGrant, oauth.ErrRefreshTokenReused)
	})
	t.Run("RFC 6749 §6: narrowing scope; the new refresh token keeps the full scope", func(t *testing.T) {
		first := f.mustWebTokens(t)
		narrow, err := f.srv.Token(ctx, f.webRefresh(first.RefreshToken, "INVOICE.READ"))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(narrow.Scope, []string{"INVOICE.READ"}) {
			t.Fatalf("scope = %q, want INVOICE.READ", narrow.Scope)
		}
		if c, _ := mustAccessClaims(t, f.srv, narrow.AccessToken, jose.ES256); c.Scope != "INVOICE.READ" {
			t.Fatalf("access token scope = %q, want INVOICE.READ", c.Scope)
		}
		full, err := f.srv.Token(ctx, f.webRefresh(narrow.RefreshToken))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(full.Scope, both) {
			t.Fatalf("scope after narrowing then refreshing = %q, want %q", full.Scope, both)
		}
	})
	for _, tc := range []struct {
		name    string
		req     func(refresh string) oauth.TokenRequest
		wantErr error
	}{
		{"RFC 6749 §6: widening scope", func(r string) oauth.TokenRequest { return f.webRefresh(r, "INVOICE.READ", "EWALLET.READ") }, oauth.ErrScopeNotAllowed},
		{"RFC 6749 §6: scope outside the catalog", func(r string) oauth.TokenRequest { return f.webRefresh(r, "PAYROLL.READ") }, oauth.ErrInvalidScope},
		{"RFC 6749 §6: another client's refresh token", func(r string) oauth.TokenRequest {
			return oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: r, ClientID: f.multi.ID, ClientSecret: f.multiSecret}
		}, oauth.ErrInvalidGrant},
		{"RFC 6749 §5.2: unknown refresh token", func(string) oauth.TokenRequest { return f.webRefresh(models.NewToken("dpr_")) }, oauth.ErrInvalidGrant},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tokens := f.mustWebTokens(t)
			resp, err := f.srv.Token(ctx, tc.req(tokens.RefreshToken))
			checkErr(t, err, tc.wantErr, oauth.ErrRefreshTokenReused)
			if resp != nil {
				t.Fatal("tokens issued along with an error")
			}
			// A refused request must not burn the rightful client's token.
			if _, err := f.srv.Token(ctx, f.webRefresh(tokens.RefreshToken)); err != nil {
				t.Fatalf("refresh by its own client afterwards: %v", err)
			}
		})
	}
	t.Run("RFC 6749 §5.2: expired refresh token", func(t *testing.T) {
		_, err := f.srv.Token(ctx, f.webRefresh(f.mustRefreshRow(t, time.Now().UTC().Add(-time.Second))))
		checkErr(t, err, oauth.ErrInvalidGrant, oauth.ErrRefreshTokenReused)
		// Control: the same row, unexpired, works.
		_, err = f.srv.Token(ctx, f.webRefresh(f.mustRefreshRow(t, time.Now().UTC().Add(time.Hour))))
		checkErr(t, err, nil)
	})
}

func TestClientCredentialsGrant(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		scope   []string
		wantErr error
		want    []string
	}{
		{"RFC 6749 §3.3: no scope means the registered ones", nil, nil, []string{machineScopeOne, machineScopeTwo}},
		{"RFC 6749 §4.4.2: subset", []string{machineScopeTwo}, nil, []string{machineScopeTwo}},
		{"RFC 6749 §5.2: catalog scope not registered", []string{machineScopeOne, "EWALLET.READ"}, oauth.ErrScopeNotAllowed, nil},
		{"RFC 6749 §5.2: scope outside the catalog", []string{"PAYROLL.READ"}, oauth.ErrUnknownScope, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, Scope: tc.scope, ClientID: f.machine.ID, ClientSecret: f.machineSecret})
			checkErr(t, err, tc.wantErr)
			if tc.wantErr != nil {
				return
			}
			if !slices.Equal(resp.Scope, tc.want) {
				t.Errorf("scope = %q, want %q", resp.Scope, tc.want)
			}
			if resp.RefreshToken != "" {
				t.Errorf("RFC 6749 §4.4.3: refresh token %q issued for client credentials", resp.RefreshToken)
			}
			c, _ := mustAccessClaims(t, f.srv, resp.AccessToken, jose.ES256)
			if c.Subject != f.machine.ID || c.ClientID != f.machine.ID || c.Scope != strings.Join(tc.want, " ") || c.GrantID != "" {
				t.Errorf("claims = %+v, want sub and client_id %s, scope %q, no gid", c, f.machine.ID, tc.want)
			}
		})
	}
}

// TestConcurrentRedemption checks RFC 9700 §4.14 (refresh tokens) and RFC 6749 §10.5 (codes):
// of two requests racing with the same credential exactly one gets tokens, on every backend.
func TestConcurrentRedemption(t *testing.T) {
	const rounds = 5
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		f := mustFixture(t, store)
		ctx := context.Background()
		exactlyOne := func(t *testing.T, errs []error, loser error) {
			t.Helper()
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, loser):
					t.Errorf("loser err = %v, want %v", err, loser)
				}
			}
			if wins != 1 {
				t.Fatalf("%d of %d racing requests succeeded, want exactly 1 (errors %v)", wins, len(errs), errs)
			}
		}
		t.Run("RFC 9700 §4.14.2: same refresh token", func(t *testing.T) {
			for range rounds {
				refresh := f.mustWebTokens(t).RefreshToken
				errs := race(2, func() error {
					_, err := f.srv.Token(ctx, f.webRefresh(refresh))
					return err
				})
				exactlyOne(t, errs, oauth.ErrInvalidGrant)
			}
		})
		t.Run("RFC 6749 §10.5: same authorization code", func(t *testing.T) {
			for range rounds {
				code := f.mustCode(t, oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect})
				errs := race(2, func() error {
					_, err := f.srv.Token(ctx, f.webCodeRequest(code))
					return err
				})
				exactlyOne(t, errs, oauth.ErrCodeReused)
			}
		})
	})
}

func TestAccessToken(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  oauth.Config
		alg  jose.SignatureAlgorithm
		aud  string
		ttl  time.Duration
	}{
		// RFC 8707: the scopes all belong to the sample API, so aud is its identifier, not the
		// deployment's audience (which only tokens spanning several APIs carry).
		{"RFC 9068 §2.1: ES256 by default", oauth.Config{Issuer: issuer}, jose.ES256, issuer + "/api/v1", 15 * time.Minute},
		{"RFC 9068 §2.1: RS256 with its own lifetime", oauth.Config{Issuer: issuer, SigningAlg: oauth.AlgRS256, Audience: "https://api.example.test", AccessTTL: 5 * time.Minute}, jose.RS256, issuer + "/api/v1", 5 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mustFixture(t, storetest.SQLite(t))
			srv := mustServer(t, f.store, tc.cfg)
			f.srv = srv
			before := time.Now()
			resp := f.mustWebTokens(t)
			if resp.ExpiresIn != int64(tc.ttl/time.Second) {
				t.Errorf("expires_in = %d, want %d", resp.ExpiresIn, int64(tc.ttl/time.Second))
			}
			other := map[jose.SignatureAlgorithm]jose.SignatureAlgorithm{jose.ES256: jose.RS256, jose.RS256: jose.ES256}[tc.alg]
			if _, err := jwt.ParseSigned(resp.AccessToken, []jose.SignatureAlgorithm{other}); err == nil {
				t.Errorf("token parses as %s; want it signed with %s only", other, tc.alg)
			}
			c, h := mustAccessClaims(t, srv, resp.AccessToken, tc.alg)
			if h.Algorithm != string(tc.alg) {
				t.Errorf("alg = %q, want %q", h.Algorithm, tc.alg)
			}
			if typ := h.ExtraHeaders[jose.HeaderType]; typ != "at+jwt" {
				t.Errorf("RFC 9068 §2.1: typ = %v, want at+jwt", typ)
			}
			if err := c.Claims.ValidateWithLeeway(jwt.Expected{Issuer: issuer, Subject: f.user.Subject, AnyAudience: jwt.Audience{tc.aud}, Time: time.Now()}, 0); err != nil {
				t.Errorf("RFC 9068 §2.2: %v (claims %+v)", err, c.Claims)
			}
			if c.ClientID != f.web.ID || c.Scope != "INVOICE.READ INVOICE.WRITE" || c.ID == "" || c.GrantID == "" {
				t.Errorf("RFC 9068 §2.2: claims %+v, want client_id %s, scope, jti and gid", c, f.web.ID)
			}
			if c.IssuedAt == nil || c.Expiry == nil {
				t.Fatalf("RFC 9068 §2.2: iat %v, exp %v: both required", c.IssuedAt, c.Expiry)
			}
			iat, exp := c.IssuedAt.Time(), c.Expiry.Time()
			if iat.Before(before.Truncate(time.Second)) || iat.After(time.Now()) || exp.Sub(iat) != tc.ttl {
				t.Errorf("iat %v, exp %v: want iat now and exp iat+%v", iat, exp, tc.ttl)
			}
			second, err := srv.Token(context.Background(), f.webRefresh(resp.RefreshToken))
			if err != nil {
				t.Fatal(err)
			}
			if c2, _ := mustAccessClaims(t, srv, second.AccessToken, tc.alg); c2.ID == c.ID {
				t.Errorf("RFC 9068 §2.2: jti %q repeated", c.ID)
			}
		})
	}
}

func TestRotateKey(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	mint := func(t *testing.T, srv *oauth.Server) string {
		t.Helper()
		resp, err := srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: f.machine.ID, ClientSecret: f.machineSecret})
		if err != nil {
			t.Fatal(err)
		}
		return resp.AccessToken
	}
	oldToken := mint(t, f.srv)
	_, oldHeader := mustAccessClaims(t, f.srv, oldToken, jose.ES256)

	newKid, err := f.srv.RotateKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if newKid == oldHeader.KeyID {
		t.Fatalf("RotateKey returned the old kid %q", newKid)
	}
	if err := f.srv.LoadKeys(ctx); err != nil {
		t.Fatal(err)
	}

	t.Run("RFC 7517 §5: JWKS publishes old and new keys", func(t *testing.T) {
		jwks := f.srv.JWKS()
		for _, kid := range []string{oldHeader.KeyID, newKid} {
			keys := jwks.Key(kid)
			if len(keys) != 1 {
				t.Fatalf("JWKS has %d keys with kid %s, want 1", len(keys), kid)
			}
			if !keys[0].IsPublic() || keys[0].Use != "sig" || keys[0].Algorithm != "ES256" {
				t.Errorf("JWKS key %s = public %v, use %q, alg %q; want a public ES256 signing key", kid, keys[0].IsPublic(), keys[0].Use, keys[0].Algorithm)
			}
		}
	})
	t.Run("the new key signs", func(t *testing.T) {
		if _, h := mustAccessClaims(t, f.srv, mint(t, f.srv), jose.ES256); h.KeyID != newKid {
			t.Fatalf("kid = %q, want the new key %q", h.KeyID, newKid)
		}
	})
	t.Run("tokens of the old key still verify", func(t *testing.T) {
		mustAccessClaims(t, f.srv, oldToken, jose.ES256)
	})
	t.Run("another instance with the same secret signs with the new key", func(t *testing.T) {
		other := mustServer(t, f.store, oauth.Config{Issuer: issuer})
		if _, h := mustAccessClaims(t, other, mint(t, other), jose.ES256); h.KeyID != newKid {
			t.Fatalf("kid = %q, want %q", h.KeyID, newKid)
		}
	})
	t.Run("a wrong server secret cannot open the stored keys", func(t *testing.T) {
		srv, err := oauth.NewServer(oauth.Config{Issuer: issuer}, f.store, []byte("another secret, another key-encryption key"))
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.LoadKeys(ctx); err == nil {
			t.Fatal("LoadKeys opened keys sealed under another secret")
		}
	})
}

func TestMetadata(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	md, err := f.srv.Metadata(ctx, map[string]string{"authorization": "/oauth/authorize", "token": "/oauth/token", "jwks": "/.well-known/jwks.json", "docs": "/docs"})
	if err != nil {
		t.Fatal(err)
	}
	set := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"RFC 8414 §2: issuer", md.Issuer, issuer},
		{"RFC 8414 §2: authorization_endpoint", md.AuthorizationEndpoint, issuer + "/oauth/authorize"},
		{"RFC 8414 §2: token_endpoint", md.TokenEndpoint, issuer + "/oauth/token"},
		{"RFC 8414 §2: jwks_uri", md.JWKSURI, issuer + "/.well-known/jwks.json"},
		{"RFC 8414 §2: response_types_supported", md.ResponseTypesSupported, []string{"code"}},
		{"RFC 8414 §2, OAuth 2.0 Form Post Response Mode: response_modes_supported", md.ResponseModesSupported, []string{"query", "form_post"}},
		{"RFC 8414 §2: grant_types_supported", set(md.GrantTypesSupported), []string{"authorization_code", "client_credentials", "refresh_token", oauth.GrantDeviceCode}},
		{"RFC 8414 §2: token_endpoint_auth_methods_supported", set(md.TokenEndpointAuthMethodsSupported), []string{"client_secret_basic", "client_secret_post", "none"}},
		{"RFC 8414 §2, RFC 9700 §2.1.1: code_challenge_methods_supported is S256 only", md.CodeChallengeMethodsSupported, []string{"S256"}},
		{"RFC 9207 §3: authorization_response_iss_parameter_supported", md.AuthorizationResponseISSParameterSupported, true},
		{"RFC 8414 §2: scopes_supported is the catalog", set(md.ScopesSupported), []string{"EWALLET.READ", "EWALLET.WRITE", "INVOICE.READ", "INVOICE.WRITE", "VIRTUAL_ACCOUNT.READ", "VIRTUAL_ACCOUNT.WRITE", "email", "offline_access", "openid", "profile"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !equalAny(tc.got, tc.want) {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	t.Run("every advertised grant type is accepted by the token endpoint", func(t *testing.T) {
		for _, g := range md.GrantTypesSupported {
			_, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: g, ClientID: f.web.ID, ClientSecret: f.webSecret})
			if errors.Is(err, oauth.ErrUnsupportedGrantType) {
				t.Errorf("advertised grant %s is unsupported", g)
			}
		}
	})
	t.Run("every advertised challenge method is accepted, plain is not", func(t *testing.T) {
		for _, m := range append(slices.Clone(md.CodeChallengeMethodsSupported), "plain") {
			_, err := f.srv.ValidateAuthorize(ctx, oauth.AuthorizeParams{ClientID: f.native.ID, ResponseType: "code", RedirectURI: nativeLoopback, CodeChallenge: challenge, CodeChallengeMethod: m})
			if advertised := slices.Contains(md.CodeChallengeMethodsSupported, m); advertised != (err == nil) {
				t.Errorf("method %s: advertised %v, ValidateAuthorize err %v", m, advertised, err)
			}
		}
	})
}

func equalAny(a, b any) bool {
	if as, ok := a.([]string); ok {
		bs, ok := b.([]string)
		return ok && slices.Equal(as, bs)
	}
	return a == b
}

func TestValidateRegistration(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	eleven := make([]string, oauth.MaxRedirectURIs+1)
	for i := range eleven {
		eleven[i] = "https://app.example.test/cb" + strconv.Itoa(i)
	}
	for _, tc := range []struct {
		name       string
		reg        oauth.Registration
		wantFields []string // fields with errors, sorted
		want       models.NewClient
	}{
		{
			name: "valid web application, trimmed and deduplicated",
			reg:  oauth.Registration{Name: "  Billing  ", Type: models.ClientWeb, RedirectURIs: []string{" https://app.example.test/cb ", "", "https://app.example.test/cb"}, Scopes: []string{"INVOICE.READ INVOICE.WRITE", "INVOICE.READ"}},
			want: models.NewClient{Name: "Billing", Type: models.ClientWeb, RedirectURIs: []string{"https://app.example.test/cb"}, Scopes: []string{"INVOICE.READ", "INVOICE.WRITE"}},
		},
		{
			name: "RFC 8252 §7.1: native application with a private-use scheme",
			reg:  oauth.Registration{Name: "Phone", Type: models.ClientNative, RedirectURIs: []string{"com.example.app:/cb", "http://127.0.0.1/cb"}, Scopes: []string{"EWALLET.READ"}},
			want: models.NewClient{Name: "Phone", Type: models.ClientNative, RedirectURIs: []string{"com.example.app:/cb", "http://127.0.0.1/cb"}, Scopes: []string{"EWALLET.READ"}},
		},
		{
			name: "machine application drops redirect URIs",
			reg:  oauth.Registration{Name: "Cron", Type: models.ClientMachine, RedirectURIs: []string{"https://app.example.test/cb"}, Scopes: []string{"INVOICE.READ"}},
			want: models.NewClient{Name: "Cron", Type: models.ClientMachine, Scopes: []string{"INVOICE.READ"}},
		},
		{name: "missing name", reg: oauth.Registration{Type: models.ClientMachine, Scopes: []string{"INVOICE.READ"}}, wantFields: []string{"name"}},
		{name: "blank name", reg: oauth.Registration{Name: " \t ", Type: models.ClientMachine, Scopes: []string{"INVOICE.READ"}}, wantFields: []string{"name"}},
		{name: "name over 80 characters", reg: oauth.Registration{Name: strings.Repeat("é", 81), Type: models.ClientMachine, Scopes: []string{"INVOICE.READ"}}, wantFields: []string{"name"}},
		{name: "bad type", reg: oauth.Registration{Name: "X", Type: "spa", RedirectURIs: []string{"https://app.example.test/cb"}, Scopes: []string{"INVOICE.READ"}}, wantFields: []string{"type"}},
		{name: "RFC 6749 §3.1.2.2: web without redirect URI", reg: oauth.Registration{Name: "X", Type: models.ClientWeb, Scopes: []string{"INVOICE.READ"}}, wantFields: []string{"redirect_uris"}},
		{name: "RFC 6749 §3.1.2.1: web with plain http", reg: oauth.Registration{Name: "X", Type: models.ClientWeb, RedirectURIs: []string{"https://ok.example.test/cb", "http://app.example.test/cb"}, Scopes: []string{"INVOICE.READ"}}, wantFields: []string{"redirect_uris"}},
		{name: "RFC 8252 §7.1: web with a private-use scheme", reg: oauth.Registration{Name: "X", Type: models.ClientWeb, RedirectURIs: []string{"com.example.app:/cb"}, Scopes: []string{"INVOICE.READ"}}, wantFields: []string{"redirect_uris"}},
		{name: "too many redirect URIs", reg: oauth.Registration{Name: "X", Type: models.ClientWeb, RedirectURIs: eleven, Scopes: []string{"INVOICE.READ"}}, wantFields: []string{"redirect_uris"}},
		{name: "no scopes", reg: oauth.Registration{Name: "X", Type: models.ClientMachine, Scopes: []string{" "}}, wantFields: []string{"scopes"}},
		{name: "unknown scope", reg: oauth.Registration{Name: "X", Type: models.ClientMachine, Scopes: []string{"INVOICE.READ", "PAYROLL.READ"}}, wantFields: []string{"scopes"}},
		{name: "everything wrong at once", reg: oauth.Registration{Type: models.ClientNative, RedirectURIs: []string{"javascript:alert(1)"}}, wantFields: []string{"name", "redirect_uris", "scopes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, fields, err := f.srv.ValidateRegistration(ctx, tc.reg)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k, msg := range fields {
				if msg == "" {
					t.Errorf("field %s has an empty message", k)
				}
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tc.wantFields) {
				t.Fatalf("field errors %v, want errors on %v", fields, tc.wantFields)
			}
			if tc.wantFields != nil {
				return
			}
			if got.Name != tc.want.Name || got.Type != tc.want.Type || !slices.Equal(got.RedirectURIs, tc.want.RedirectURIs) || !slices.Equal(got.Scopes, tc.want.Scopes) || got.OwnerID != nil {
				t.Fatalf("client = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// Issue 9 item 5: ValidateLink and ValidateRedirectURI share their first checks (parseAbsolute,
// hasUserInfo); each still words its errors for its own field, in the same order as before.
func TestLinkAndRedirectURIMessages(t *testing.T) {
	for _, tc := range []struct {
		name, raw, link, redirect string // "" : accepted
	}{
		{"https", "https://app.example.test/cb", "", ""},
		{"space inside", "https://app.example.test/c b", "must be a URL without spaces", "must be a URI without spaces"},
		{"tab", "https://app.example.test/\tcb", "must be a URL without spaces", "must be a URI without spaces"},
		{"relative", "/cb", "must be an absolute URL, such as https://app.example.com/privacy", "must be an absolute URI, such as https://app.example.com/callback"},
		{"unparsable", "https://app.example.test/%zz", "must be an absolute URL, such as https://app.example.com/privacy", "must be an absolute URI, such as https://app.example.com/callback"},
		{"opaque", "mailto:dev@example.test", "must be an absolute URL, such as https://app.example.com/privacy", "use https, loopback http, or (native apps) a reverse-domain scheme such as com.example.app:/callback"},
		{"user info", "https://user:pass@app.example.test/cb", "must not contain a user name or password", "must not contain a user name or password"},
		{"user info and a fragment", "https://user@app.example.test/cb#x", "must not contain a user name or password", "must not contain a fragment (#…)"},
		{"plain http", "http://app.example.test/cb", "must use https (http is allowed only for 127.0.0.1, [::1] or localhost)", "http is allowed only for loopback hosts (127.0.0.1, [::1], localhost); use https"},
		{"loopback http", "http://127.0.0.1:8080/cb", "", ""},
		{"ftp", "ftp://app.example.test/cb", "must be an https URL", "use https, loopback http, or (native apps) a reverse-domain scheme such as com.example.app:/callback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []struct {
				what string
				err  error
				want string
			}{
				{"ValidateLink", oauth.ValidateLink(tc.raw), tc.link},
				{"ValidateRedirectURI", oauth.ValidateRedirectURI(models.ClientWeb, tc.raw), tc.redirect},
			} {
				got := ""
				if c.err != nil {
					got = c.err.Error()
				}
				if got != c.want {
					t.Errorf("%s(%q) = %q, want %q", c.what, tc.raw, got, c.want)
				}
			}
		})
	}
}
