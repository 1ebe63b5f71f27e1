package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/devportal/devportal/web"
)

// machineEndpoints are the POST routes that authenticate a client rather than a browser session
// and so take no CSRF token (routes.go). Every other POST route is a page form.
var machineEndpoints = []string{
	web.Paths["token"], web.Paths["introspection"], web.Paths["revocation"], "/oauth/tokens", web.Paths["userinfo"],
	web.Paths["device_authorization"],
	web.Paths["registration"], // RFC 7591: bearer tokens, JSON, no cookies
}

// mustPageForms lists every state-changing page route the server serves, with each :param
// filled in. The CSRF check runs before any handler, so a placeholder id is enough.
func mustPageForms(t *testing.T, env *testEnv) []string {
	t.Helper()
	cfg, err := web.ConfigFromEnv(func(k string) string {
		return map[string]string{"DEVPORTAL_ISSUER": env.URL, "DEVPORTAL_SECRET": string(testSecret)}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`:[a-z]+`)
	var paths []string
	for _, r := range web.New(cfg, web.Deps{Store: env.Store, OAuth: env.OAuth}).Routes() {
		if r.Method != http.MethodPost || slices.Contains(machineEndpoints, r.Path) || strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		paths = append(paths, param.ReplaceAllString(r.Path, "x1"))
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	if len(paths) < 20 {
		t.Fatalf("only %d page forms found: %v", len(paths), paths)
	}
	return paths
}

// postToken posts an empty form with exactly this csrf_token ("" leaves the field out), same
// origin, so the token alone decides.
func (b *browser) postToken(path, token string) (*http.Response, string) {
	b.t.Helper()
	form := url.Values{}
	if token != "" {
		form.Set("csrf_token", token)
	}
	return b.postExactly(path, form)
}

// Issue #8 (OWASP CSRF prevention, synchronizer token bound to the session): for a signed-in
// user, every state-changing page form refuses a request without the token, with the token of
// another user's session, with the token of the same user's previous session, and with the
// token the browser had before signing in. The user is an admin, so no route refuses for lack
// of a role, and the refusal is checked to be the CSRF check's own.
func TestCSRFSignedIn(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "admin@example.com", true)
	env.mustUser(t, "other@example.com", true)
	forms := mustPageForms(t, env)

	other := newBrowser(t, env.URL)
	other.mustLogin("other@example.com")
	other.get("/account")
	othersToken := other.csrf

	b := newBrowser(t, env.URL)
	b.get("/login")
	signedOutToken := b.csrf
	b.mustLogin("admin@example.com")
	b.get("/account")
	previousToken := b.csrf
	b.postToken("/logout", previousToken)
	if resp, _ := b.get("/account"); resp.StatusCode != http.StatusFound {
		t.Fatalf("still signed in after logging out: %d", resp.StatusCode)
	}
	b.mustLogin("admin@example.com")
	_, body := b.get("/account")
	if b.csrf == "" || b.csrf == previousToken || b.csrf == othersToken || b.csrf == signedOutToken {
		t.Errorf("the new session's token %q repeats an old one\n%s", b.csrf, body)
	}
	current := b.csrf

	for _, tc := range []struct{ name, token string }{
		{"no token", ""},
		{"another user's session", othersToken},
		{"the previous session's (stale)", previousToken},
		{"from before signing in (stale)", signedOutToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range forms {
				resp, body := b.postToken(path, tc.token)
				if tc.token == "" && (path == web.Paths["end_session"] || path == web.Paths["authorization"]) {
					// RP-Initiated Logout 1.0 §2 and OIDC Core §3.1.2.1: a POST without the portal
					// form's field is an application's logout or authorization request, re-sent as
					// a GET (which asks before signing anyone out, and shows consent before any
					// code); the /account check below shows the session is untouched.
					if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), path) {
						t.Errorf("POST %s without csrf_token: %d %q, want 303 to the same request by GET", path, resp.StatusCode, resp.Header.Get("Location"))
					}
					continue
				}
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "This form has expired") {
					t.Errorf("POST %s: %d, want 403 from the CSRF check", path, resp.StatusCode)
				}
			}
			if resp, _ := b.get("/account"); resp.StatusCode != http.StatusOK {
				t.Fatalf("the refused requests changed the session: /account answers %d", resp.StatusCode)
			}
		})
	}

	t.Run("control: the session's own token passes the check", func(t *testing.T) {
		resp, body := b.postToken("/apps", current)
		if resp.StatusCode == http.StatusForbidden || strings.Contains(body, "This form has expired") {
			t.Fatalf("POST /apps with the current token: %d, refused by the CSRF check", resp.StatusCode)
		}
	})
}
