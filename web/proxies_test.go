package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
	"github.com/devportal/devportal/web"
)

// forwardedFor makes every request of a browser claim, as a proxy would, that it came from ip.
type forwardedFor string

func (ip forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", string(ip))
	return http.DefaultTransport.RoundTrip(r)
}

// mustSignupFrom signs up a new account from a browser claiming ip and returns the status.
func mustSignupFrom(t *testing.T, env *testEnv, ip string, i int) int {
	t.Helper()
	b := newBrowser(t, env.URL)
	b.c.Transport = forwardedFor(ip)
	b.get("/signup")
	resp, _ := b.post("/signup", url.Values{"email": {fmt.Sprintf("new%d@example.com", i)}, "password": {testPassword}})
	return resp.StatusCode
}

// Issue 12 (DEVPORTAL_TRUSTED_PROXIES): X-Forwarded-For is believed only from a trusted peer.
// From one, the client it names is the one the per-IP sign-up throttle counts and the audit log
// records; from anyone else it is ignored, so it can neither forge the audit IP nor buy a fresh
// throttle budget.
func TestTrustedProxies(t *testing.T) {
	t.Run("trusted", func(t *testing.T) {
		env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{vars: map[string]string{"DEVPORTAL_TRUSTED_PROXIES": "10.9.0.0/16, 127.0.0.1/32"}})
		for i := range models.SignupIPMax {
			if got := mustSignupFrom(t, env, "198.51.100.7", i); got != http.StatusSeeOther {
				t.Fatalf("sign-up %d: %d", i, got)
			}
		}
		if got := mustSignupFrom(t, env, "198.51.100.7", 100); got != http.StatusTooManyRequests {
			t.Fatalf("sign-up past the limit: %d, want 429", got)
		}
		if evs := auditEvents(t, env, models.AuditSignupThrottled); len(evs) != 1 || evs[0].Target != "198.51.100.7" || evs[0].IP != "198.51.100.7" {
			t.Fatalf("throttle events %+v, want one about the forwarded client 198.51.100.7", evs)
		}
		if got := mustSignupFrom(t, env, "198.51.100.8", 101); got != http.StatusSeeOther {
			t.Fatalf("another client behind the proxy: %d, want its own budget", got)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{vars: map[string]string{"DEVPORTAL_TRUSTED_PROXIES": "10.9.0.0/16"}})
		for i := range models.SignupIPMax {
			if got := mustSignupFrom(t, env, fmt.Sprintf("198.51.100.%d", i), i); got != http.StatusSeeOther {
				t.Fatalf("sign-up %d: %d", i, got)
			}
		}
		if got := mustSignupFrom(t, env, "198.51.100.200", 100); got != http.StatusTooManyRequests {
			t.Fatalf("a forged X-Forwarded-For bought a fresh budget: %d, want 429", got)
		}
		if evs := auditEvents(t, env, models.AuditSignupThrottled); len(evs) != 1 || evs[0].Target != "127.0.0.1" || evs[0].IP != "127.0.0.1" {
			t.Fatalf("throttle events %+v, want one about the peer 127.0.0.1", evs)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		if _, err := web.ConfigFromEnv(func(k string) string {
			return map[string]string{"DEVPORTAL_TRUSTED_PROXIES": "10.0.0.1", "DEVPORTAL_SECRET": "0123456789abcdef0123456789abcdef"}[k]
		}); err == nil {
			t.Fatal("a proxy address without a prefix length was accepted")
		}
	})
}
