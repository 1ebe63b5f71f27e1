package oauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/devportal/devportal/models/oauth"
)

// BenchmarkAuthenticateClient is client authentication at the token endpoint, with the client
// cache on (the default) and off (every request reads the client and its secrets).
func BenchmarkAuthenticateClient(b *testing.B) {
	for _, tc := range []struct {
		name string
		ttl  time.Duration
	}{{"cache=on", 0}, {"cache=off", -1}} {
		b.Run(tc.name, func(b *testing.B) {
			e := newTSEnv(b, oauth.Config{ClientCacheTTL: tc.ttl})
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.srv.AuthenticateClient(ctx, e.machine.ID, e.machSec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClientCredentialsAlg is a client-credentials token signed with each access-token
// algorithm.
func BenchmarkClientCredentialsAlg(b *testing.B) {
	for _, alg := range []string{oauth.AlgES256, oauth.AlgRS256} {
		b.Run("alg="+alg, func(b *testing.B) {
			e := newTSEnv(b, oauth.Config{SigningAlg: alg})
			req := oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: e.machine.ID, ClientSecret: e.machSec}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.srv.Token(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIntrospectJWT introspects a valid client-credentials access token, as a resource
// server does on every call it receives, for each access-token algorithm.
func BenchmarkIntrospectJWT(b *testing.B) {
	for _, alg := range []string{oauth.AlgES256, oauth.AlgRS256} {
		b.Run("alg="+alg, func(b *testing.B) {
			e := newTSEnv(b, oauth.Config{SigningAlg: alg})
			ctx := context.Background()
			resp, err := e.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: e.machine.ID, ClientSecret: e.machSec})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				in, err := e.srv.Introspect(ctx, e.machine, resp.AccessToken)
				if err != nil || !in.Active {
					b.Fatal(in, err)
				}
			}
		})
	}
}
