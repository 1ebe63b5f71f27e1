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

// The token endpoint's and the resource servers' hot paths without HTTP (issue 14), on a real
// database: SQLite in a temporary folder, and PostgreSQL when DEVPORTAL_TEST_POSTGRES_URL is
// set. Names are benchstat-friendly: BenchmarkX/db=…/alg=….

// hotEnv is a protocol core with one client of each role and a user who can sign in.
type hotEnv struct {
	srv                      *oauth.Server
	store                    *models.Store
	user                     *models.User
	web, machine, rs         *models.Client
	webSecret, machineSecret string
	rsSecret                 string
	redirect                 string
}

func newHotEnv(b *testing.B, store *models.Store, alg string, adjust ...func(*oauth.Config)) *hotEnv {
	b.Helper()
	ctx := context.Background()
	e := &hotEnv{store: store, redirect: "https://app.example/cb"}
	cfg := oauth.Config{Issuer: "https://auth.example.test", SigningAlg: alg}
	for _, fn := range adjust {
		fn(&cfg)
	}
	var err error
	if e.srv, err = oauth.NewServer(cfg, store, []byte(strings.Repeat("k", 32))); err != nil {
		b.Fatal(err)
	}
	if err := e.srv.LoadKeys(ctx); err != nil {
		b.Fatal(err)
	}
	if e.user, err = store.CreateUser(ctx, "bench@example.com", "a long enough password", false); err != nil {
		b.Fatal(err)
	}
	mk := func(typ models.ClientType, redirects []string, introspect bool) (*models.Client, string) {
		c, s, err := store.CreateClient(ctx, models.NewClient{Name: string(typ), Type: typ, RedirectURIs: redirects,
			Scopes: []string{"INVOICE.READ", "INVOICE.WRITE"}, CanIntrospect: introspect})
		if err != nil {
			b.Fatal(err)
		}
		return c, s
	}
	e.web, e.webSecret = mk(models.ClientWeb, []string{e.redirect}, false)
	e.machine, e.machineSecret = mk(models.ClientMachine, nil, false)
	e.rs, e.rsSecret = mk(models.ClientMachine, nil, true)
	return e
}

// eachDB runs fn as sub-benchmark db=sqlite, and db=postgres when a server is configured.
func eachDB(b *testing.B, fn func(b *testing.B, store func(testing.TB) *models.Store)) {
	b.Run("db=sqlite", func(b *testing.B) { fn(b, storetest.SQLite) })
	b.Run("db=postgres", func(b *testing.B) { fn(b, storetest.Postgres) })
}

// mustCodeTokens is an authorization-code exchange of the web client for the user.
func (e *hotEnv) mustCodeTokens(b *testing.B) *oauth.TokenResponse {
	b.Helper()
	ctx := context.Background()
	req, err := e.srv.ValidateAuthorize(ctx, oauth.AuthorizeParams{ClientID: e.web.ID, RedirectURI: e.redirect, ResponseType: "code", Scope: []string{"INVOICE.READ"}})
	if err != nil {
		b.Fatal(err)
	}
	ar, err := e.srv.Approve(ctx, req, signIn(b, e.store, e.user))
	if err != nil {
		b.Fatal(err)
	}
	t, err := e.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: ar.Params.Get("code"), RedirectURI: e.redirect, ClientID: e.web.ID, ClientSecret: e.webSecret})
	if err != nil {
		b.Fatal(err)
	}
	return t
}

func (e *hotEnv) mustMachineToken(b *testing.B) string {
	b.Helper()
	t, err := e.srv.Token(context.Background(), oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: e.machine.ID, ClientSecret: e.machineSecret})
	if err != nil {
		b.Fatal(err)
	}
	return t.AccessToken
}

// BenchmarkAuthenticateClient is client authentication alone (RFC 6749 §2.3.1): load the
// client and its secrets, compare the secret's SHA-256 in constant time.
func BenchmarkAuthenticateClient(b *testing.B) {
	eachDB(b, func(b *testing.B, store func(testing.TB) *models.Store) {
		// cache=on is the default (verified client records kept ClientCacheTTL); cache=off reads
		// the client and its secrets on every request.
		for _, tc := range []struct {
			name string
			ttl  time.Duration
		}{{"cache=on", 0}, {"cache=off", -1}} {
			b.Run(tc.name, func(b *testing.B) {
				e := newHotEnv(b, store(b), "", func(c *oauth.Config) { c.ClientCacheTTL = tc.ttl })
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if _, err := e.srv.AuthenticateClient(ctx, e.machine.ID, e.machineSecret); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// BenchmarkClientCredentialsGrant is a whole client-credentials token request (authenticate,
// check scopes, mint and sign) for each signing algorithm.
func BenchmarkClientCredentialsGrant(b *testing.B) {
	eachDB(b, func(b *testing.B, store func(testing.TB) *models.Store) {
		for _, alg := range []string{oauth.AlgES256, oauth.AlgRS256} {
			b.Run("alg="+alg, func(b *testing.B) {
				e := newHotEnv(b, store(b), alg)
				ctx := context.Background()
				req := oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: e.machine.ID, ClientSecret: e.machineSecret, Scope: []string{"INVOICE.READ"}}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if _, err := e.srv.Token(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}

// BenchmarkIntrospect is RFC 7662 introspection by a resource server of a client-credentials
// token (checked against the client and the revocation list) and of a user's token (checked
// against its grant), the caller already authenticated.
func BenchmarkIntrospect(b *testing.B) {
	eachDB(b, func(b *testing.B, store func(testing.TB) *models.Store) {
		e := newHotEnv(b, store(b), "")
		for _, tc := range []struct {
			name  string
			token func() string
		}{
			{"token=client_credentials", func() string { return e.mustMachineToken(b) }},
			{"token=authorization_code", func() string { return e.mustCodeTokens(b).AccessToken }},
		} {
			b.Run(tc.name, func(b *testing.B) {
				token, ctx := tc.token(), context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					in, err := e.srv.Introspect(ctx, e.rs, token)
					if err != nil || !in.Active {
						b.Fatalf("introspect: %+v, %v", in, err)
					}
				}
			})
		}
	})
}

// BenchmarkValidateAccessToken is what the sample API does per request: verify the signature
// and claims, then ask the store whether the token is still live.
func BenchmarkValidateAccessToken(b *testing.B) {
	eachDB(b, func(b *testing.B, store func(testing.TB) *models.Store) {
		e := newHotEnv(b, store(b), "")
		token, ctx := e.mustMachineToken(b), context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			c, err := e.srv.ValidateAccessToken(ctx, token)
			if err != nil || !c.HasScope("INVOICE.READ") {
				b.Fatalf("validate: %v, %v", c, err)
			}
		}
	})
}

// BenchmarkRefresh is one refresh-token rotation (RFC 6749 §6, RFC 9700 §4.14.2) per
// iteration, along one chain: use the token, store its successor, sign an access token.
func BenchmarkRefresh(b *testing.B) {
	eachDB(b, func(b *testing.B, store func(testing.TB) *models.Store) {
		e := newHotEnv(b, store(b), "")
		rt, ctx := e.mustCodeTokens(b).RefreshToken, context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			t, err := e.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: rt, ClientID: e.web.ID, ClientSecret: e.webSecret})
			if err != nil {
				b.Fatal(err)
			}
			rt = t.RefreshToken
		}
	})
}
