package oauth_test

import (
	"context"
	"testing"

	"github.com/devportal/devportal/models/oauth"
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
