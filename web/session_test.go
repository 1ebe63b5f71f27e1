package web_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devportal/devportal/handlers"
	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
	"github.com/devportal/devportal/web"
)

// setCookie puts a cookie of the attacker's choosing into b's jar, as a sibling subdomain or
// a page on another port of the same host could.
func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// Issue #8 finding 12: the flash cookie is signed under a key derived from the server secret,
// so a planted cookie cannot put a message of the attacker's choosing on our pages, while the
// flashes the server sets still show.
func TestFlashCookieIsSigned(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "flash@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin("flash@example.com")

	// A real flash: signing out everywhere says so on the login page.
	b.get("/account/sign-out-everywhere")
	resp, _ := b.post("/account/sign-out-everywhere", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: status %d", resp.StatusCode)
	}
	var real string
	for _, ck := range resp.Cookies() {
		if ck.Name == handlers.FlashCookie && ck.Value != "" {
			real = ck.Value
		}
	}
	if real == "" {
		t.Fatal("no flash cookie set")
	}
	if _, body := b.get(resp.Header.Get("Location")); !strings.Contains(body, "You were signed out everywhere") {
		t.Fatalf("the server's own flash is not shown:\n%s", body)
	}

	forged := base64.RawURLEncoding.EncodeToString([]byte("error|You have been hacked"))
	payload, mac, _ := strings.Cut(real, ".")
	altered := base64.RawURLEncoding.EncodeToString([]byte("error|You have been hacked")) + "." + mac
	for name, value := range map[string]string{
		"unsigned, the old format":         forged,
		"another message under a real MAC": altered,
		"a made-up signature":              forged + "." + base64.RawURLEncoding.EncodeToString([]byte("not a mac at all, 32 bytes long!")),
		"a real payload with no MAC":       payload,
	} {
		t.Run(name, func(t *testing.T) {
			b.setCookie(handlers.FlashCookie, value)
			_, body := b.get("/login")
			if strings.Contains(body, "hacked") || strings.Contains(body, "signed out everywhere") {
				t.Fatalf("a forged flash cookie was shown:\n%s", body)
			}
		})
	}
}

// concretePath fills a route's parameters with things that exist, so each page answers as it
// would in use; a parameter this test does not know still gets a (404) page.
func concretePath(route string, ids map[string]string) string {
	return routeParam.ReplaceAllStringFunc(route, func(p string) string {
		name := p[1:]
		if name == "id" && strings.HasPrefix(route, "/admin/users/") {
			name = "user"
		}
		if v, ok := ids[name]; ok {
			return v
		}
		return "unknown"
	})
}

var routeParam = regexp.MustCompile(`:[A-Za-z_]+`)

// notPages are GET routes for programs, which keep their own caching.
func notPage(path string) bool {
	for _, p := range []string{"/static", "/healthz", "/readyz", "/.well-known/", "/api/"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// Issue #8 finding 12: every page a signed-in user sees is Cache-Control: no-store, so after
// signing out on a shared computer Back or a proxy cannot show the account again. The routes
// come from the server's own table, so a new page cannot be forgotten; what is not a page keeps
// its caching.
func TestSignedInPagesAreNotStored(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t)
	admin := env.mustUser(t, "nostore@example.com", true)
	other := env.mustUser(t, "other@example.com", false)
	client, _ := env.mustClient(t, admin, models.ClientWeb, []string{"https://app.example/cb"}, "INVOICE.READ")
	full, err := env.Store.ClientByID(ctx, client.ID)
	if err != nil || len(full.Secrets) == 0 {
		t.Fatalf("client secrets: %v", err)
	}
	if err := env.Store.SaveConsent(ctx, admin.ID, client.ID, []string{"INVOICE.READ"}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{
		"id": client.ID, "client": client.ID, "secret": strconv.FormatInt(full.Secrets[0].ID, 10),
		"user": strconv.FormatInt(other.ID, 10), "name": "INVOICE.READ", "scope": "INVOICE.READ",
	}

	cfg, err := web.ConfigFromEnv(func(k string) string {
		return map[string]string{"DEVPORTAL_ISSUER": env.URL, "DEVPORTAL_SECRET": strings.Repeat("s", 32)}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, r := range web.New(cfg, web.Deps{Store: env.Store, OAuth: env.OAuth}).Routes() {
		if r.Method == http.MethodGet && !notPage(r.Path) {
			routes = append(routes, r.Path)
		}
	}
	slices.Sort(routes)
	if len(routes) < 10 || !slices.Contains(routes, "/account") || !slices.Contains(routes, "/apps/:id") {
		t.Fatalf("page routes found: %v", routes)
	}

	b := newBrowser(t, env.URL)
	b.mustLogin("nostore@example.com")
	for _, route := range routes {
		path := concretePath(route, ids)
		t.Run(route, func(t *testing.T) {
			resp, _ := b.get(path)
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("GET %s signed in: status %d, Cache-Control %q; want no-store", path, resp.StatusCode, got)
			}
		})
	}
	t.Run("a missing page", func(t *testing.T) {
		if resp, _ := b.get("/no/such/page"); resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("404 page for a signed-in user: Cache-Control %q", resp.Header.Get("Cache-Control"))
		}
	})
	t.Run("not pages keep their caching", func(t *testing.T) {
		if resp, _ := b.get("/.well-known/jwks.json"); resp.Header.Get("Cache-Control") != "public, max-age=300" {
			t.Errorf("JWKS for a signed-in browser: Cache-Control %q", resp.Header.Get("Cache-Control"))
		}
		if resp, _ := b.get("/static/css/app.css"); resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") == "no-store" {
			t.Errorf("a static file for a signed-in browser: status %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	})
	t.Run("signed out pages are unchanged", func(t *testing.T) {
		if resp, _ := newBrowser(t, env.URL).get("/docs"); resp.Header.Get("Cache-Control") == "no-store" {
			t.Error("a signed-out /docs is no-store")
		}
	})
}

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Issue #8 finding 12: a portal session idle for DEVPORTAL_SESSION_IDLE_TIMEOUT (24 h by
// default) is signed out, while one in use lives on to its absolute lifetime.
func TestIdleSessionIsSignedOut(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	env := newTestEnvConfig(t, storetest.SQLite(t), func(c *oauth.Config) { c.Now = clock.Now })
	env.mustUser(t, "idle@example.com", false)
	signedIn := func(b *browser) bool {
		t.Helper()
		resp, _ := b.get("/account")
		switch {
		case resp.StatusCode == http.StatusOK:
			return true
		case resp.StatusCode == http.StatusFound && strings.HasPrefix(resp.Header.Get("Location"), "/login"):
			return false
		}
		t.Fatalf("/account: status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
		return false
	}

	active, idle := newBrowser(t, env.URL), newBrowser(t, env.URL)
	active.mustLogin("idle@example.com")
	idle.mustLogin("idle@example.com")
	if !signedIn(active) || !signedIn(idle) {
		t.Fatal("not signed in after login")
	}
	for range 3 { // 69 hours, in use every 23
		clock.Advance(23 * time.Hour)
		if !signedIn(active) {
			t.Fatalf("a session in use was signed out at %v", clock.Now())
		}
	}
	if signedIn(idle) {
		t.Fatal("a session idle for 69 hours is still signed in")
	}
	// The dead session's cookie is cleared, so the browser stops presenting it.
	u, _ := url.Parse(env.URL)
	for _, ck := range idle.c.Jar.Cookies(u) {
		if ck.Name == "devportal_session" {
			t.Fatal("the idle session's cookie was not cleared")
		}
	}
	clock.Advance(24 * time.Hour)
	if signedIn(active) {
		t.Fatal("a session idle for 24 hours is still signed in")
	}
}
