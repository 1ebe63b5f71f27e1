package oauth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models/oauth"
)

// Issue #8 finding 12; RFC 9700 §4.14.2 (refresh tokens should have an absolute expiry): a
// refresh-token family ends RefreshFamilyTTL after the user authorized, however often it
// rotated. Each successor's expiry is capped at that instant, and a refresh at or after it is
// invalid_grant, even as a lost-response retry inside the grace window.
func TestRefreshFamilyAbsoluteLifetime(t *testing.T) {
	type step struct {
		at      time.Duration // since the code exchange
		retry   bool          // present the previous refresh token again instead of the latest
		ended   bool          // want "maximum lifetime"
		expires time.Duration // the new refresh token's expiry, since the code exchange
	}
	for _, tc := range []struct {
		name        string
		cfg         oauth.Config
		firstExpiry time.Duration
		steps       []step
	}{
		{
			name: "rotations inside the family; the last successors are capped; the end refuses",
			cfg:  oauth.Config{RefreshTTL: 4 * time.Hour, RefreshFamilyTTL: 10 * time.Hour}, firstExpiry: 4 * time.Hour,
			steps: []step{
				{at: 3 * time.Hour, expires: 7 * time.Hour},
				{at: 6 * time.Hour, expires: 10 * time.Hour},
				{at: 10*time.Hour - time.Second, expires: 10 * time.Hour},
				{at: 10 * time.Hour, ended: true},
			},
		},
		{
			name: "a refresh lifetime longer than the family is capped from the first token",
			cfg:  oauth.Config{RefreshTTL: 30 * 24 * time.Hour, RefreshFamilyTTL: 2 * time.Hour}, firstExpiry: 2 * time.Hour,
			steps: []step{
				{at: time.Hour, expires: 2 * time.Hour},
				{at: 2*time.Hour + time.Minute, ended: true},
			},
		},
		{
			name: "a retry inside the grace window after the end is refused too, not taken for theft",
			cfg:  oauth.Config{RefreshTTL: 4 * time.Hour, RefreshFamilyTTL: 5 * time.Hour, RefreshGrace: time.Minute}, firstExpiry: 4 * time.Hour,
			steps: []step{
				{at: 3 * time.Hour, expires: 5 * time.Hour},
				{at: 5*time.Hour - 10*time.Second, expires: 5 * time.Hour},
				{at: 5*time.Hour + 10*time.Second, retry: true, ended: true},
				{at: 5*time.Hour + 20*time.Second, ended: true},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := newTSEnv(t, tc.cfg)
			start := e.clock.Now()
			first := e.mustCodeTokens(t)
			expiryOf := func(token string) time.Time {
				t.Helper()
				in, err := e.srv.Introspect(ctx, e.web, token)
				if err != nil || !in.Active {
					t.Fatalf("introspect refresh token: %+v, %v", in, err)
				}
				return time.Unix(in.Exp, 0)
			}
			if got, want := expiryOf(first.RefreshToken), start.Add(tc.firstExpiry).Truncate(time.Second); !got.Equal(want) {
				t.Fatalf("first refresh token expires %v, want %v", got, want)
			}
			previous, latest := "", first.RefreshToken
			for _, st := range tc.steps {
				e.clock.Advance(start.Add(st.at).Sub(e.clock.Now()))
				presented := latest
				if st.retry {
					presented = previous
				}
				resp, err := e.refresh(presented)
				if st.ended {
					if !errors.Is(err, oauth.ErrInvalidGrant) || errors.Is(err, oauth.ErrRefreshTokenReused) || !strings.Contains(err.Error(), "maximum lifetime") {
						t.Fatalf("at +%v: err = %v, want invalid_grant for the family's maximum lifetime", st.at, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("at +%v: %v", st.at, err)
				}
				if got, want := expiryOf(resp.RefreshToken), start.Add(st.expires).Truncate(time.Second); !got.Equal(want) {
					t.Fatalf("at +%v: successor expires %v, want %v", st.at, got, want)
				}
				previous, latest = presented, resp.RefreshToken
			}
		})
	}
}

// The family lifetime defaults to 90 days, raised to the refresh-token lifetime when that is
// longer, so a deployment that set only DEVPORTAL_REFRESH_TOKEN_TTL keeps its tokens' lifetime.
func TestRefreshFamilyDefault(t *testing.T) {
	for _, tc := range []struct {
		cfg  oauth.Config
		want time.Duration
	}{
		{oauth.Config{}, 90 * 24 * time.Hour},
		{oauth.Config{RefreshTTL: 200 * 24 * time.Hour}, 200 * 24 * time.Hour},
		{oauth.Config{RefreshFamilyTTL: 3 * time.Hour}, 3 * time.Hour},
	} {
		e := newTSEnv(t, tc.cfg)
		if got := e.srv.Config().RefreshFamilyTTL; got != tc.want {
			t.Errorf("config %+v: RefreshFamilyTTL %v, want %v", tc.cfg, got, tc.want)
		}
	}
}
