package web_test

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/devportal/devportal/handlers"
	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
	"github.com/devportal/devportal/web"
)

// axeSource is axe-core, vendored as test data (testdata/axe/README.md). It is injected through
// the DevTools protocol, never served, so the pages' CSP (script-src 'self') stays as it is.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// axeTags are the rule sets every page must pass: WCAG 2.0 and 2.1, levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// pageWidths are the widths every page is checked at: a laptop and a phone (390 px, an iPhone).
var pageWidths = []int64{1280, 390}

// notPages are the GET routes that are no page for people: health checks, static files, the
// protocol's JSON documents, the sample API and the OpenAPI document (YAML).
var notPages = []string{
	handlers.RouteHealthz, handlers.RouteReadyz, handlers.RouteStatic,
	handlers.RouteMetadata, handlers.RouteJWKS, handlers.RouteOpenIDConfig, handlers.RouteUserInfo,
	handlers.RouteInvoices, handlers.RouteOpenAPI, handlers.RouteBrandCSS,
	handlers.RouteProtectedResource,
	handlers.RouteRegistrationClient, // RFC 7592 JSON
}

// screenshotPages are the pages docs/screenshots shows, at both widths; regenerate them with
//
//	DEVPORTAL_SCREENSHOTS_DIR=$PWD/docs/screenshots go test ./web -run TestBrowserEveryPageFitsAndPassesAxe
var screenshotPages = map[string]bool{
	"home": true, "signup": true, "login": true, "apps": true, "apps-new": true, "app": true,
	"app-rotate": true, "app-activity": true, "consent": true, "consent-auth": true, "account": true,
	"account-security": true, "authorized-apps": true, "authorized-app-revoke": true, "admin": true,
	"admin-clients": true, "admin-client": true, "admin-client-suspend": true, "admin-users": true,
	"admin-user": true, "admin-scopes": true, "admin-audit": true, "docs": true, "not-found-signed-in": true,
	"bad-authorization": true, "admin-apis": true, "admin-registration-tokens": true, "admin-client-hosts": true,
	"device": true, "consent-cimd": true,
}

// Roles of the walk, one browser context (cookies of its own) each.
const (
	anonymous = "anonymous"
	developer = "developer"
	admin     = "admin"
)

// pageVisit is one page of the walk: who looks at it, and where (url may set things up first).
type pageVisit struct {
	name string // screenshot name: <name>-1280.png, <name>-390.png
	role string
	url  func(t *testing.T) string
	// last visits run after every other visit of their role: they use up the tab's session
	// (a pending second factor) or a one-time link.
	last bool
}

// Issue 13, "Phones and assistive technology": every page (each GET page route of the route
// table, as the person it is for) fits a 390 px phone without sideways scrolling, as it does at
// 1280 px, and passes axe-core's WCAG 2 A/AA rules at both widths. A GET page route without a
// fixture here fails the test, so no new page escapes the walk. With DEVPORTAL_SCREENSHOTS_DIR
// set, the walk also saves every page at both widths (docs/screenshots is regenerated this way).
func TestBrowserEveryPageFitsAndPassesAxe(t *testing.T) {
	chromium := mustChromium(t)
	env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{vars: cimdVars}) // CIMD on: its consent page too
	ctx := t.Context()
	st := env.Store

	// The cast: a developer with an app (two secrets, a passkey, an authorized app), an admin.
	dev := env.mustUser(t, "developer@example.com", false)
	adm := env.mustUser(t, "admin@example.com", true)
	other := env.mustUser(t, "other.user@example.com", false)
	mover := env.mustUser(t, "mover@example.com", false)
	redirect := "https://shop.example/cb"
	app, _ := env.mustClient(t, dev, models.ClientWeb, []string{redirect}, "INVOICE.READ")
	if _, err := st.AddSecret(ctx, app.ID, nil); err != nil {
		t.Fatal(err)
	}
	shop, _ := env.mustClient(t, adm, models.ClientWeb, []string{redirect}, "INVOICE.READ", "INVOICE.WRITE")
	if err := st.SaveConsent(ctx, dev.ID, shop.ID, []string{"INVOICE.READ"}); err != nil {
		t.Fatal(err)
	}
	pk := &models.Passkey{UserID: dev.ID, Name: "Work laptop", CredentialID: []byte("credential-1"), PublicKey: []byte("key")}
	if err := st.AddPasskey(ctx, pk); err != nil {
		t.Fatal(err)
	}
	// A second-factor user, for the second step of a login.
	totpUser := env.mustUser(t, "two.factor@example.com", false)
	tb := newBrowser(t, env.URL)
	tb.mustLogin(totpUser.Email)
	mustTurnOnTOTP(t, tb, &testClock{t: time.Now()})

	static := func(path string) func(*testing.T) string { return func(*testing.T) string { return env.URL + path } }
	// For the admin's confirmation pages: a suspended client, a disabled account, a second
	// admin (the last one cannot be demoted), and a client waiting for sensitive scopes.
	suspended, _ := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
	if err := st.SetClientStatus(ctx, suspended.ID, models.ClientSuspended); err != nil {
		t.Fatal(err)
	}
	disabled := env.mustUser(t, "disabled@example.com", false)
	if err := st.SetUserDisabled(ctx, disabled.ID, true); err != nil {
		t.Fatal(err)
	}
	adm2 := env.mustUser(t, "second.admin@example.com", true)
	requester, _, err := st.CreateClient(ctx, models.NewClient{Name: "Requester", Type: models.ClientMachine, OwnerID: &dev.ID,
		Scopes: []string{"INVOICE.READ"}, PendingScopes: []string{"EWALLET.WRITE"}})
	if err != nil {
		t.Fatal(err)
	}
	request := "/admin/scope-requests/" + url.PathEscape(requester.ID) + "/EWALLET.WRITE"
	regToken, _, err := st.CreateRegistrationToken(ctx, time.Hour, 3, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	user := func(u *models.User, suffix string) func(*testing.T) string {
		return static(fmt.Sprintf("/admin/users/%d%s", u.ID, suffix))
	}

	_, authURL := authorizationURL(env.URL, shop.ID, redirect, "INVOICE.READ INVOICE.WRITE", "state-1")
	authQuery := authURL[strings.Index(authURL, "?"):]
	mailed := func(to, path string, send func(b *browser)) func(t *testing.T) string {
		return func(t *testing.T) string {
			b := newBrowser(t, env.URL)
			send(b)
			return mustLink(t, env.mustMail(t, to), path)
		}
	}
	appPath := "/apps/" + url.PathEscape(app.ID)
	sampleAPI, err := st.APIByIdentifier(ctx, models.SampleAPIIdentifier)
	if err != nil {
		t.Fatal(err)
	}
	apiPath := fmt.Sprintf("/admin/apis/%d", sampleAPI.ID)
	// Client ID metadata documents: a blocked host, and an application known by its URL.
	if err := st.BlockHost(ctx, "blocked.example", "sends spam"); err != nil {
		t.Fatal(err)
	}
	cimd := newCIMDApp(t, nil)
	// Its clients row exists from the start, so the admin pages list it whatever the visit order.
	if _, err := st.SaveMetadataClient(ctx, models.MetadataClient{ID: cimd.ClientID, Name: "Loopback Agent", RedirectURIs: []string{cimd.Redirect},
		Scopes: []string{"INVOICE.READ"}, FetchedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	_, cimdAuth := authorizationURL(env.URL, cimd.ClientID, cimd.Redirect, "INVOICE.READ", "state-2")

	fixtures := map[string][]pageVisit{
		"/":                       {{name: "home", role: anonymous, url: static("/")}},
		"/docs":                   {{name: "docs", role: anonymous, url: static("/docs")}},
		"/docs/integration-guide": {{name: "docs-integration-guide", role: anonymous, url: static("/docs/integration-guide")}},
		"/docs/oidc":              {{name: "docs-oidc", role: anonymous, url: static("/docs/oidc")}},
		"/docs/api":               {{name: "docs-api", role: anonymous, url: static("/docs/api")}},
		"/docs/oauth":             {{name: "docs-oauth", role: anonymous, url: static("/docs/oauth")}},
		"/docs/apis":              {{name: "docs-apis", role: anonymous, url: static("/docs/apis")}},
		"/docs/agents":            {{name: "docs-agents", role: anonymous, url: static("/docs/agents")}},
		"/login":                  {{name: "login", role: anonymous, url: static("/login")}},
		"/signup":                 {{name: "signup", role: anonymous, url: static("/signup")}},
		"/forgot-password":        {{name: "forgot-password", role: anonymous, url: static("/forgot-password")}},
		"/reset-password": {{name: "reset-password", role: anonymous, url: mailed(other.Email, "/reset-password", func(b *browser) {
			b.get("/forgot-password")
			b.post("/forgot-password", url.Values{"email": {other.Email}})
		})}},
		"/verify-email": {{name: "verify-email", role: anonymous, last: true, url: mailed(other.Email, "/verify-email", func(b *browser) {
			b.mustLogin(other.Email)
			b.get("/account")
			b.post("/account/verify-email", url.Values{})
		})}},
		"/confirm-email": {{name: "confirm-email", role: anonymous, last: true, url: mailed("moved@example.com", "/confirm-email", func(b *browser) {
			b.mustLogin(mover.Email)
			b.get("/account")
			b.post("/account/email", url.Values{"new_email": {"moved@example.com"}, "password": {testPassword}})
		})}},
		"/login/verify":    {{name: "login-verify", role: anonymous, last: true, url: func(t *testing.T) string { return "" }}},
		"/oauth/authorize": {{name: "consent", role: developer, url: static("/oauth/authorize" + authQuery)}},
		"/auth":            {{name: "consent-auth", role: developer, url: static("/auth" + authQuery)}},
		"/oauth/logout":    {{name: "logout-confirm", role: developer, url: static("/oauth/logout")}},
		// Device sign-in: the code form as verification_uri_complete opens it, and its end.
		"/device": {{name: "device", role: developer, url: static("/device?user_code=WDJB-MJHT")},
			{name: "device-done", role: developer, url: static("/device?done=allowed")}},

		"/account":                         {{name: "account", role: developer, url: static("/account")}},
		"/apps":                            {{name: "apps", role: developer, url: static("/apps")}},
		"/apps/new":                        {{name: "apps-new", role: developer, url: static("/apps/new")}},
		"/apps/:id":                        {{name: "app", role: developer, url: static(appPath)}},
		"/apps/:id/rotate":                 {{name: "app-rotate", role: developer, url: static(appPath + "/rotate")}},
		"/apps/:id/delete":                 {{name: "app-delete", role: developer, url: static(appPath + "/delete")}},
		"/apps/:id/activity":               {{name: "app-activity", role: developer, url: static(appPath + "/activity")}},
		"/apps/:id/secrets/:secret/retire": {{name: "app-retire-secret", role: developer, url: nil}}, // read off the app page
		// With nothing to reveal (the codes are shown once, right after "Turn on"), the page sends
		// the person back to the security page; TestRecoveryCodesRevealedOnce covers the codes.
		"/account/security/totp/recovery-codes": {{name: "recovery-codes-gone", role: developer, url: static("/account/security/totp/recovery-codes")}},
		"/account/security":                     {{name: "account-security", role: developer, url: static("/account/security")}},
		"/account/passkeys/:id/rename":          {{name: "passkey-rename", role: developer, url: static(fmt.Sprintf("/account/passkeys/%d/rename", pk.ID))}},
		"/account/passkeys/:id/remove":          {{name: "passkey-remove", role: developer, url: static(fmt.Sprintf("/account/passkeys/%d/remove", pk.ID))}},
		"/account/sign-out-everywhere":          {{name: "sign-out-everywhere", role: developer, url: static("/account/sign-out-everywhere")}},
		"/account/apps":                         {{name: "authorized-apps", role: developer, url: static("/account/apps")}},
		"/account/apps/:client/revoke":          {{name: "authorized-app-revoke", role: developer, url: static("/account/apps/" + url.PathEscape(shop.ID) + "/revoke")}},

		"/admin":                                       {{name: "admin", role: admin, url: static("/admin")}},
		"/admin/clients":                               {{name: "admin-clients", role: admin, url: static("/admin/clients")}},
		"/admin/clients/:id/revoke":                    {{name: "admin-client-revoke", role: admin, url: static("/admin/clients/" + url.PathEscape(app.ID) + "/revoke")}},
		"/admin/scopes":                                {{name: "admin-scopes", role: admin, url: static("/admin/scopes")}},
		"/admin/scopes/:name":                          {{name: "admin-scope", role: admin, url: static("/admin/scopes/INVOICE.READ")}},
		"/admin/scopes/:name/retire":                   {{name: "admin-scope-retire", role: admin, url: static("/admin/scopes/INVOICE.READ/retire")}},
		"/admin/apis":                                  {{name: "admin-apis", role: admin, url: static("/admin/apis")}},
		"/admin/apis/:id":                              {{name: "admin-api", role: admin, url: static(apiPath)}},
		"/admin/apis/:id/delete":                       {{name: "admin-api-delete", role: admin, url: static(apiPath + "/delete")}},
		"/admin/users":                                 {{name: "admin-users", role: admin, url: static("/admin/users")}},
		"/admin/users/:id/reset-two-factor":            {{name: "admin-user-reset-two-factor", role: admin, url: static(fmt.Sprintf("/admin/users/%d/reset-two-factor", totpUser.ID))}},
		"/admin/clients/:id":                           {{name: "admin-client", role: admin, url: static("/admin/clients/" + url.PathEscape(app.ID))}, {name: "admin-client-cimd", role: admin, url: static("/admin/clients/" + url.PathEscape(cimd.ClientID))}},
		"/admin/clients/:id/suspend":                   {{name: "admin-client-suspend", role: admin, url: static("/admin/clients/" + url.PathEscape(app.ID) + "/suspend")}},
		"/admin/clients/:id/reinstate":                 {{name: "admin-client-reinstate", role: admin, url: static("/admin/clients/" + url.PathEscape(suspended.ID) + "/reinstate")}},
		"/admin/clients/:id/introspection":             {{name: "admin-client-introspection", role: admin, url: static("/admin/clients/" + url.PathEscape(app.ID) + "/introspection?allow=1")}},
		"/admin/scope-requests/:client/:scope/approve": {{name: "admin-scope-request-approve", role: admin, url: static(request + "/approve")}},
		"/admin/scope-requests/:client/:scope/reject":  {{name: "admin-scope-request-reject", role: admin, url: static(request + "/reject")}},
		"/admin/users/:id":                             {{name: "admin-user", role: admin, url: user(dev, "")}},
		"/admin/users/:id/disable":                     {{name: "admin-user-disable", role: admin, url: user(dev, "/disable")}},
		"/admin/users/:id/enable":                      {{name: "admin-user-enable", role: admin, url: user(disabled, "/enable")}},
		"/admin/users/:id/grant-admin":                 {{name: "admin-user-grant-admin", role: admin, url: user(dev, "/grant-admin")}},
		"/admin/users/:id/remove-admin":                {{name: "admin-user-remove-admin", role: admin, url: user(adm2, "/remove-admin")}},
		"/admin/audit":                                 {{name: "admin-audit", role: admin, url: static("/admin/audit")}},
		"/admin/registration-tokens":                   {{name: "admin-registration-tokens", role: admin, url: static("/admin/registration-tokens")}},
		"/admin/registration-tokens/:id/revoke":        {{name: "admin-registration-token-revoke", role: admin, url: static("/admin/registration-tokens/" + regToken.ID + "/revoke")}},
		"/admin/users/:id/send-reset":                  {{name: "admin-user-send-reset", role: admin, url: static(fmt.Sprintf("/admin/users/%d/send-reset", dev.ID))}},
		"/admin/users/:id/unlock":                      {{name: "admin-user-unlock", role: admin, url: static(fmt.Sprintf("/admin/users/%d/unlock", dev.ID))}},
		"/admin/users/:id/verify-publisher":            {{name: "admin-user-verify-publisher", role: admin, url: static(fmt.Sprintf("/admin/users/%d/verify-publisher", dev.ID))}},
		"/admin/users/:id/unverify-publisher":          {{name: "admin-user-unverify-publisher", role: admin, url: static(fmt.Sprintf("/admin/users/%d/unverify-publisher", dev.ID))}},
		"/admin/client-hosts":                          {{name: "admin-client-hosts", role: admin, url: static("/admin/client-hosts")}},
		"/admin/client-hosts/:host/unblock":            {{name: "admin-client-host-unblock", role: admin, url: static("/admin/client-hosts/blocked.example/unblock")}},
	}
	// Error pages are pages too: signed out (the standalone frame) and signed in (the portal's).
	extra := []pageVisit{
		{name: "not-found", role: anonymous, url: static("/no-such-page")},
		{name: "not-found-signed-in", role: developer, url: static("/no-such-page")},
		{name: "bad-authorization", role: developer, url: static("/oauth/authorize?response_type=code")},
		{name: "consent-cimd", role: developer, url: func(*testing.T) string { return cimdAuth }},
	}

	// Every GET page route of the route table has a fixture, and every fixture a route.
	routed := map[string]bool{}
	for _, r := range pageRoutes(t, env) {
		routed[r] = true
		if _, ok := fixtures[r]; !ok {
			t.Errorf("GET page route %s has no fixture in TestBrowserEveryPageFitsAndPassesAxe: add how to reach it (and as whom)", r)
		}
	}
	for r := range fixtures {
		if !routed[r] {
			t.Errorf("fixture %s names no GET page route; remove it", r)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	walk := map[string][]pageVisit{}
	var paths []string
	for p := range fixtures {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		for _, v := range fixtures[p] {
			walk[v.role] = append(walk[v.role], v)
		}
	}
	for _, v := range extra {
		walk[v.role] = append(walk[v.role], v)
	}
	for role := range walk {
		slices.SortStableFunc(walk[role], func(a, b pageVisit) int {
			switch {
			case a.last == b.last:
				return 0
			case a.last:
				return 1
			}
			return -1
		})
	}

	browserCtx := newChromiumFor(t, chromium, 6*time.Minute)
	emails := map[string]string{developer: dev.Email, admin: adm.Email}
	for _, role := range []string{anonymous, developer, admin} {
		tab, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
		defer cancel()
		if email, ok := emails[role]; ok {
			mustDo(t, tab, "log in as "+role,
				chromedp.Navigate(env.URL+"/login"),
				chromedp.SendKeys(byLabel("Email"), email),
				chromedp.SendKeys(byLabel("Password"), testPassword),
				chromedp.Click(button("Log in")),
				chromedp.WaitVisible(button("Log out")),
			)
		}
		for _, v := range walk[role] {
			var to string
			switch {
			case v.name == "app-retire-secret":
				mustDo(t, tab, "open the app page", chromedp.Navigate(env.URL+appPath))
				href := mustRun(t, tab, "find a Retire link", chromedp.Evaluate[string](
					`(document.querySelector('form[action*="/secrets/"][action$="/retire"]') || {action: ""}).action`))
				if href == "" {
					t.Fatalf("the app page of %s (two secrets) links to no secret's Retire page%s", app.ID, pageState(tab))
				}
				to = href
			case v.name == "login-verify":
				mustDo(t, tab, "log in with a second factor",
					chromedp.Navigate(env.URL+"/login"),
					chromedp.SendKeys(byLabel("Email"), totpUser.Email),
					chromedp.SendKeys(byLabel("Password"), testPassword),
					chromedp.Click(button("Log in")),
					chromedp.WaitVisible(button("Verify")),
				)
			default:
				to = v.url(t)
			}
			if to != "" {
				mustDo(t, tab, "open "+v.name, chromedp.Navigate(to))
			}
			checkPage(t, tab, v)
		}
	}
}

// pageRoutes lists the route table's GET page routes: every GET route but notPages.
func pageRoutes(t *testing.T, env *testEnv) []string {
	t.Helper()
	cfg, err := web.ConfigFromEnv(func(k string) string {
		return map[string]string{"DEVPORTAL_ISSUER": env.URL, "DEVPORTAL_SECRET": strings.Repeat("s", 32)}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	e := web.New(cfg, web.Deps{Store: env.Store, OAuth: env.OAuth})
	var out []string
	for _, r := range e.Routes() {
		if r.Method != http.MethodGet || slices.Contains(notPages, r.Name) || slices.Contains(out, r.Path) {
			continue
		}
		out = append(out, r.Path)
	}
	if len(out) < 20 {
		t.Fatalf("only %d GET page routes in the route table: %v", len(out), out)
	}
	return out
}

// checkPage checks the loaded page at each width: no sideways scrolling, no axe-core violation.
func checkPage(t *testing.T, tab context.Context, v pageVisit) {
	t.Helper()
	loc := mustRun(t, tab, "read location", chromedp.Location())
	// WCAG 2.4.1 (bypass blocks): the first thing Tab reaches is "Skip to content", to #main.
	if first := mustRun(t, tab, "find the first focusable element", chromedp.Evaluate[string](firstFocusableScript)); first != `Skip to content -> #main (exists)` {
		t.Errorf("%s (%s, %s): the first focusable element is %q; want the skip link to #main", v.name, v.role, loc, first)
	}
	for _, w := range pageWidths {
		mustDo(t, tab, fmt.Sprintf("set the width to %d", w), chromedp.EmulateViewport(w, 900))
		// Two animation frames: the page has laid itself out at the new width (and layout.js's
		// ResizeObserver has run) before it is measured.
		mustRun(t, tab, "wait for layout", chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise))
		if o := mustRun(t, tab, "measure overflow", chromedp.Evaluate[overflow](overflowScript)); o.ScrollWidth > o.ClientWidth {
			t.Errorf("%s (%s, %s) at %d px scrolls sideways: the document is %d px wide; widest element: %s",
				v.name, v.role, loc, w, o.ScrollWidth, o.Widest)
		}
		for _, viol := range mustAxe(t, tab) {
			var targets []string
			for _, n := range viol.Nodes {
				targets = append(targets, fmt.Sprint(n.Target))
			}
			t.Errorf("%s (%s, %s) at %d px: axe %s: %s (%s)\n  nodes: %s", v.name, v.role, loc, w, viol.ID, viol.Help, viol.Impact, strings.Join(targets, ", "))
		}
		if screenshotPages[v.name] {
			saveScreenshot(t, tab, fmt.Sprintf("%s-%d.png", v.name, w))
		}
	}
}

// firstFocusableScript describes the page's first focusable element: its text, its target and
// whether that target exists.
const firstFocusableScript = `(() => {
  const el = document.querySelector('a[href], button, input:not([type="hidden"]), select, textarea, [tabindex]:not([tabindex="-1"])');
  if (!el) return "none";
  const href = el.getAttribute("href") || "";
  const target = href.startsWith("#") && document.getElementById(href.slice(1)) ? " (exists)" : "";
  return el.textContent.trim() + " -> " + href + target;
})()`

// overflow is what overflowScript measures.
type overflow struct {
	ScrollWidth, ClientWidth int
	Widest                   string
}

// overflowScript measures the document's width against the viewport's and names the element
// reaching furthest right that no scrolling ancestor contains (the one to fix).
const overflowScript = `(() => {
  const de = document.documentElement, cw = de.clientWidth;
  let widest = "", right = cw;
  const clipped = el => {
    for (let p = el.parentElement; p && p !== de; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.right > right + 0.5 && !clipped(el)) {
      right = r.right;
      widest = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") +
        " (right edge at " + Math.round(r.right) + " px): " + JSON.stringify((el.textContent || "").trim().slice(0, 60));
    }
  }
  return {ScrollWidth: de.scrollWidth, ClientWidth: cw, Widest: widest};
})()`

// axeViolation is one failed axe-core rule.
type axeViolation struct {
	ID, Help, Impact string
	Nodes            []struct {
		Target []any
	}
}

// mustAxe runs axe-core with the WCAG 2 A/AA rules on the tab's page.
func mustAxe(t *testing.T, tab context.Context) []axeViolation {
	t.Helper()
	if !mustRun(t, tab, "look for axe", chromedp.Evaluate[bool](`typeof window.axe === "object"`)) {
		mustDo(t, tab, "inject axe-core", chromedp.Evaluate[chromedp.Void](axeSource))
	}
	tags, _ := json.Marshal(axeTags)
	return mustRun(t, tab, "run axe-core", chromedp.Evaluate[[]axeViolation](
		`axe.run(document, {runOnly: {type: "tag", values: `+string(tags)+`}, resultTypes: ["violations"]}).then(r => r.violations.map(v => ({ID: v.id, Help: v.help, Impact: v.impact || "", Nodes: v.nodes.map(n => ({Target: n.target}))})))`,
		chromedp.EvalAwaitPromise))
}
