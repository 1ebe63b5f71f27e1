package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
	"github.com/devportal/devportal/web"
)

// RFC 6819 §5.1.1 and RFC 9700 §4.13: with an https issuer every response carries HSTS and every
// cookie is Secure; a client-supplied X-Forwarded-For never reaches the audit log.
func TestTransportSecurity(t *testing.T) {
	t.Run("https issuer: HSTS and Secure cookies", func(t *testing.T) {
		store := storetest.SQLite(t)
		const issuer = "https://auth.example.com"
		cfg, err := web.ConfigFromEnv(func(k string) string {
			return map[string]string{"DEVPORTAL_ISSUER": issuer, "DEVPORTAL_SECRET": strings.Repeat("s", 32)}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		srv, err := oauth.NewServer(oauth.Config{Issuer: issuer}, store, cfg.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.LoadKeys(context.Background()); err != nil {
			t.Fatal(err)
		}
		h := web.New(cfg, web.Deps{Store: store, OAuth: srv})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, issuer+"/login", nil))
		if got := rec.Header().Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=") {
			t.Errorf("Strict-Transport-Security %q", got)
		}
		cookies := rec.Result().Cookies()
		if len(cookies) == 0 {
			t.Fatal("the login page set no cookie to check")
		}
		for _, c := range cookies {
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("cookie %s: Secure %v HttpOnly %v SameSite %v", c.Name, c.Secure, c.HttpOnly, c.SameSite)
			}
		}
	})
	t.Run("X-Forwarded-For is not believed", func(t *testing.T) {
		env := newTestEnv(t)
		env.mustUser(t, "user@example.com", false)
		b := newBrowser(t, env.URL)
		b.get("/login")
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/login", strings.NewReader(url.Values{"email": {"user@example.com"}, "password": {"wrong password, long enough"}, "csrf_token": {b.csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		evs, err := env.Store.AuditEvents(context.Background(), models.AuditFilter{Type: models.AuditLoginFailed})
		if err != nil || len(evs) != 1 {
			t.Fatalf("%d failed-login events (%v), want 1 (status %d)", len(evs), err, resp.StatusCode)
		}
		if evs[0].IP != "127.0.0.1" {
			t.Errorf("audited IP %q, want the peer 127.0.0.1", evs[0].IP)
		}
	})
}
