package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// Issue 13, "Forms and words": a signed-in person's error page keeps the portal's top
// navigation (signed out, it stays a standalone card), and parameter names are written as
// they are sent, in code type: `client_id`, never "Client_id".
func TestErrorPagesKeepNavigationAndParameterNames(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "dev@example.com", false)
	anon := newBrowser(t, env.URL)
	dev := newBrowser(t, env.URL)
	dev.mustLogin("dev@example.com")

	const nav = `<nav class="topnav" aria-label="Main">`
	for _, tc := range []struct {
		who     string
		b       *browser
		path    string
		status  int
		withNav bool
		has     []string
	}{
		{"signed out", anon, "/no-such-page", http.StatusNotFound, false, []string{"Page not found", `class="standalone"`}},
		{"signed in", dev, "/no-such-page", http.StatusNotFound, true, []string{"Page not found", ">Log out</button>", ">Applications</a>"}},
		{"signed out", anon, "/oauth/authorize?response_type=code", http.StatusBadRequest, false, []string{"<code>client_id</code> is missing."}},
		{"signed in", dev, "/oauth/authorize?response_type=code", http.StatusBadRequest, true, []string{"<code>client_id</code> is missing."}},
		{"signed in", dev, "/oauth/authorize?response_type=code&client_id=dp_nope", http.StatusBadRequest, true, []string{"check that <code>client_id</code> matches"}},
	} {
		resp, page := tc.b.get(tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("%s GET %s: status %d, want %d", tc.who, tc.path, resp.StatusCode, tc.status)
		}
		if got := strings.Contains(page, nav); got != tc.withNav {
			t.Errorf("%s GET %s: top navigation shown = %v, want %v", tc.who, tc.path, got, tc.withNav)
		}
		for _, want := range tc.has {
			if !strings.Contains(page, want) {
				t.Errorf("%s GET %s: page lacks %q", tc.who, tc.path, want)
			}
		}
		if strings.Contains(page, "Client_id") {
			t.Errorf("%s GET %s: the page capitalises a parameter name (Client_id)", tc.who, tc.path)
		}
	}
}
