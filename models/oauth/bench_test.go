package oauth_test

import (
	"context"
	"testing"

	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// BenchmarkClientCredentials is the token endpoint's hottest path, minus HTTP: authenticate a
// machine client, check its scopes, sign a JWT.
func BenchmarkClientCredentials(b *testing.B) {
	e := newTSEnv(b, oauth.Config{})
	req := oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: e.machine.ID, ClientSecret: e.machSec}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.srv.Token(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCodeExchange is an authorization-code exchange (consent given, code issued outside
// the timer), plain OAuth 2.0 against OpenID Connect with an RS256 or ES256 ID Token: what
// signing in adds to the token endpoint.
func BenchmarkCodeExchange(b *testing.B) {
	for _, tc := range []struct {
		name  string
		scope []string
		es    bool
	}{
		{"oauth2", []string{"INVOICE.READ"}, false},
		{"openid-rs256", []string{"openid", "profile", "email"}, false},
		{"openid-es256", []string{"openid", "email"}, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			store := storetest.SQLite(b)
			f := mustOIDCFixture(b, store)
			client, secret := f.rp, f.rpSecret
			if tc.es {
				client, secret = f.es, f.esSecret
			}
			ctx := context.Background()
			a := signIn(b, store, f.user)
			req, err := f.srv.ValidateAuthorize(ctx, oauth.AuthorizeParams{ClientID: client.ID, RedirectURI: oidcRedirect, ResponseType: "code", Scope: tc.scope})
			if err != nil {
				b.Fatal(err)
			}
			codes := make([]string, b.N)
			for i := range codes {
				resp, err := f.srv.Approve(ctx, req, a)
				if err != nil {
					b.Fatal(err)
				}
				codes[i] = resp.Params.Get("code")
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: codes[i], RedirectURI: oidcRedirect, ClientID: client.ID, ClientSecret: secret}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
