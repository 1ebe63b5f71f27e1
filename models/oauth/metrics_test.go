package oauth_test

import (
	"context"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// countingMetrics is an oauth.Metrics that remembers what it was told.
type countingMetrics struct {
	issued, authFailed map[string]int
	reused             int
}

func (m *countingMetrics) TokenIssued(g string)      { m.issued[g]++ }
func (m *countingMetrics) ClientAuthFailed(r string) { m.authFailed[r]++ }
func (m *countingMetrics) RefreshReused()            { m.reused++ }

// Issue 12 (metrics): the token endpoint reports each issued token by grant type, each refused
// client authentication by reason (RFC 6749 §2.3), and each detected refresh-token reuse
// (RFC 9700 §4.14.2), on every backend.
func TestTokenEndpointReportsMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		f := mustFixture(t, store)
		m := &countingMetrics{issued: map[string]int{}, authFailed: map[string]int{}}
		f.srv = mustServer(t, store, oauth.Config{Issuer: issuer, Metrics: m})

		first := f.mustWebTokens(t)
		if _, err := f.srv.Token(ctx, f.webRefresh(first.RefreshToken)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.srv.Token(ctx, f.webRefresh(first.RefreshToken)); err == nil {
			t.Fatal("a rotated refresh token was accepted again")
		}
		if _, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: f.machine.ID, ClientSecret: "wrong"}); err == nil {
			t.Fatal("a wrong secret was accepted")
		}
		if _, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: "nobody", ClientSecret: "x"}); err == nil {
			t.Fatal("an unknown client was accepted")
		}
		want := map[string]int{oauth.GrantAuthorizationCode: 1, oauth.GrantRefreshToken: 1}
		for g, n := range want {
			if m.issued[g] != n {
				t.Errorf("tokens issued %s = %d, want %d (all: %v)", g, m.issued[g], n, m.issued)
			}
		}
		if m.authFailed["bad_secret"] != 1 || m.authFailed["unknown_client"] != 1 || len(m.authFailed) != 2 {
			t.Errorf("client auth failures = %v, want bad_secret and unknown_client once each", m.authFailed)
		}
		if m.reused != 1 {
			t.Errorf("refresh reuse = %d, want 1", m.reused)
		}
	})
}
