package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
)

// Issue #8 finding 7: the login email was never length-checked; each failed login stored it
// twice in the audit log (10 requests grew the database by 27 MB) and the page echoed it. Every
// form checks its documented maxima (models/limits.go) before writing or auditing anything.
func TestFormInputLimits(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "ada@example.com", false)
	signedIn := newBrowser(t, env.URL)
	signedIn.mustLogin("ada@example.com")
	huge := strings.Repeat("x", 60000) + "@example.com"
	tooLong := strings.Repeat("a", models.MaxEmailLength-len("@example.com")+1) + "@example.com"
	spaces := strings.Repeat(" ", 16)

	for _, tc := range []struct {
		name, page, path string
		b                *browser
		form             url.Values
		want             string
	}{
		{"log in: RFC 5321 §4.5.3.1.3 email over 254", "/login", "/login", nil, url.Values{"email": {tooLong}, "password": {testPassword}}, "at most 254 characters"},
		{"log in: 60,000-character email", "/login", "/login", nil, url.Values{"email": {huge}, "password": {testPassword}}, "at most 254 characters"},
		{"log in: NUL in the email", "/login", "/login", nil, url.Values{"email": {"ada\x00@example.com"}, "password": {testPassword}}, "control characters"},
		{"log in: password over 1024 bytes", "/login", "/login", nil, url.Values{"email": {"ada@example.com"}, "password": {strings.Repeat("p", models.MaxPasswordLength+1)}}, "1024 characters at most"},
		{"sign up: email over 254", "/signup", "/signup", nil, url.Values{"email": {tooLong}, "password": {testPassword}}, "at most 254 characters"},
		{"sign up: 60,000-character email", "/signup", "/signup", nil, url.Values{"email": {huge}, "password": {testPassword}}, "at most 254 characters"},
		{"sign up: control character in the email", "/signup", "/signup", nil, url.Values{"email": {"new\x1b@example.com"}, "password": {testPassword}}, "control characters"},
		{"sign up: password of spaces", "/signup", "/signup", nil, url.Values{"email": {"new@example.com"}, "password": {spaces}}, "something other than spaces"},
		{"sign up: password over 1024 bytes", "/signup", "/signup", nil, url.Values{"email": {"new@example.com"}, "password": {strings.Repeat("p", models.MaxPasswordLength+1)}}, "at most 1024 characters"},
		{"change password: new password of spaces", "/account", "/account/password", signedIn, url.Values{"current_password": {testPassword}, "new_password": {spaces}}, "something other than spaces"},
		{"change password: current password over 1024 bytes", "/account", "/account/password", signedIn, url.Values{"current_password": {strings.Repeat("p", models.MaxPasswordLength+1)}, "new_password": {testPassword + "!"}}, "not your current password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			if b == nil {
				b = newBrowser(t, env.URL)
			}
			b.get(tc.page)
			resp, body := b.post(tc.path, tc.form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d, want 422 saying %q\n%.2000s", resp.StatusCode, tc.want, body)
			}
			if len(body) > 20000 || strings.Contains(body, strings.Repeat("x", models.MaxEmailLength+1)) {
				t.Fatalf("the page (%d bytes) echoes more of the input than an email can be", len(body))
			}
		})
	}
	if evs := auditEvents(t, env, models.AuditLoginFailed); len(evs) != 0 {
		t.Fatalf("%d failed-login events, want none: oversized input is refused before the audit", len(evs))
	}
	if n, _ := env.Store.CountUsers(context.Background()); n != 1 {
		t.Fatalf("%d users, want only ada", n)
	}

	t.Run("an overlong next is dropped", func(t *testing.T) {
		next := "/apps/" + strings.Repeat("n", models.MaxURLLength)
		_, body := newBrowser(t, env.URL).get("/login?next=" + url.QueryEscape(next))
		if strings.Contains(body, strings.Repeat("n", 100)) {
			t.Fatal("the login form carries a next longer than any URL")
		}
	})
	t.Run("registration: redirect URI over MaxURLLength", func(t *testing.T) {
		signedIn.get("/apps/new")
		uri := "https://app.example.com/" + strings.Repeat("c", models.MaxURLLength)
		resp, body := signedIn.post("/apps", url.Values{"name": {"A"}, "type": {"web"}, "redirect_uris": {uri}, "scopes": {"INVOICE.READ"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "at most 2000 characters") {
			t.Fatalf("status %d, want 422 naming the limit", resp.StatusCode)
		}
	})
}

// Issue #8 finding 11: a 60,000-character admin search returned 500 (SQLite's LIKE pattern limit).
// Searches and audit filters over their maxima get a 400 page saying so, on every backend.
func TestAdminSearchLimits(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *testEnv) {
		env.mustUser(t, "admin@example.com", true)
		admin := newBrowser(t, env.URL)
		admin.mustLogin("admin@example.com")
		long := strings.Repeat("%", 60000)
		for _, tc := range []struct{ path, want string }{
			{"/admin/users?q=" + url.QueryEscape(long), "The search may be at most 200 characters"},
			{"/admin/clients?q=" + url.QueryEscape(long), "The search may be at most 200 characters"},
			{"/admin/clients?status=active&q=" + url.QueryEscape(strings.Repeat("é", models.MaxSearchLength+1)), "The search may be at most 200 characters"},
			{"/admin/audit?actor=" + url.QueryEscape(strings.Repeat("a", models.MaxAuditFilterLength+1)), "The actor filter may be at most 254 characters"},
			{"/admin/audit?target=" + url.QueryEscape(long), "The target filter may be at most 254 characters"},
		} {
			resp, body := admin.get(tc.path)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) {
				t.Errorf("%.40s…: status %d, want 400 saying %q", tc.path, resp.StatusCode, tc.want)
			}
		}
		for _, path := range []string{
			"/admin/users?q=" + url.QueryEscape(strings.Repeat("é", models.MaxSearchLength)),
			"/admin/clients?q=" + url.QueryEscape(strings.Repeat("%", models.MaxSearchLength)),
		} {
			if resp, _ := admin.get(path); resp.StatusCode != http.StatusOK {
				t.Errorf("%.40s…: status %d, want 200 at the limit", path, resp.StatusCode)
			}
		}
	})
}
