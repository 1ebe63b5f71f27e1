package web_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserSignupRegisterConsentToken drives real headless Chromium through the life of an
// application, finding every field by its label and every button by its text: a developer signs
// up and registers a web application, an end user approves it on the consent page, the client
// app receives the code at its callback and redeems it at the token endpoint, and a second
// authorization is denied.
func TestBrowserSignupRegisterConsentToken(t *testing.T) {
	chromium := mustChromium(t)
	env := newTestEnv(t)
	app := newClientApp(t)
	ctx := newChromium(t, chromium)

	const (
		developer = "developer@example.com"
		endUser   = "end.user@example.com"
		appName   = "Invoice Sync"
		scope     = "INVOICE.READ"
	)
	// The page's "callback ok", however Chromium wraps a text/plain body.
	callbackPage := chromedp.Search(`//body[normalize-space()="callback ok"]`)

	// 1. A developer signs up and lands on their (empty) list of applications.
	mustDo(t, ctx, "sign up",
		chromedp.Navigate(env.URL+"/signup"),
		chromedp.SendKeys(byLabel("Email"), developer),
		chromedp.SendKeys(byLabel("Password"), testPassword),
		chromedp.Click(button("Create account")),
		chromedp.WaitVisible(heading("Applications")),
	)
	mustLocation(t, ctx, env.URL+"/apps")

	// 2. They register a web application whose redirect URI is the client app's callback.
	mustDo(t, ctx, "fill in the new application form",
		chromedp.Navigate(env.URL+"/apps/new"),
		chromedp.SendKeys(byLabel("Name"), appName),
		chromedp.Click(choice("Web application")),
		chromedp.SendKeys(byLabel("Redirect URIs"), app.callback),
		chromedp.Click(choice(scope)),
	)
	for _, label := range []string{"Web application", scope} {
		if !mustRun(t, ctx, "read "+label, chromedp.JavascriptAttribute[bool](choice(label), "checked")) {
			t.Fatalf("%q is not checked after clicking it", label)
		}
	}
	mustDo(t, ctx, "create the application",
		chromedp.Click(button("Create application")),
		chromedp.WaitVisible(chromedp.ID("client-secret")),
	)
	clientID := strings.TrimSpace(mustRun(t, ctx, "read the client id", chromedp.Text(chromedp.ID("client-id"))))
	clientSecret := strings.TrimSpace(mustRun(t, ctx, "read the client secret", chromedp.Text(chromedp.ID("client-secret"))))
	if clientID == "" || clientSecret == "" {
		t.Fatalf("application page shows client id %q and secret %q; want both", clientID, clientSecret)
	}
	saveScreenshot(t, ctx, "application.png")

	// 3. The developer logs out; an end user starts an authorization, logs in and is asked to consent.
	mustDo(t, ctx, "log out",
		chromedp.Click(button("Log out")),
		chromedp.WaitVisible(button("Log in")),
	)
	env.mustUser(t, endUser, false)
	var description string
	scopes, err := env.Store.ActiveScopes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scopes {
		if s.Name == scope {
			description = s.Description
		}
	}
	if description == "" {
		t.Fatalf("scope %s has no description in the active catalog %v", scope, scopes)
	}

	verifier, authURL := authorizationURL(env.URL, clientID, app.callback, scope, "xyz123")
	mustDo(t, ctx, "open the authorization URL signed out", chromedp.Navigate(authURL), chromedp.WaitVisible(button("Log in")))
	if loc := mustRun(t, ctx, "read location", chromedp.Location()); !strings.HasPrefix(loc, env.URL+"/login?next=") {
		t.Fatalf("signed-out authorization went to %s; want the log-in page with next", loc)
	}
	mustDo(t, ctx, "log in as the end user",
		chromedp.SendKeys(byLabel("Email"), endUser),
		chromedp.SendKeys(byLabel("Password"), testPassword),
		chromedp.Click(button("Log in")),
		chromedp.WaitVisible(button("Allow")),
	)
	mustLocation(t, ctx, authURL)
	title := mustRun(t, ctx, "read the consent heading", chromedp.Text(chromedp.Search(`//h1`)))
	page := mustRun(t, ctx, "read the consent page", chromedp.Text(chromedp.Search(`//main`)))
	if !strings.Contains(title, appName) {
		t.Errorf("consent heading %q does not name the application %q", title, appName)
	}
	for _, want := range []string{scope, description, endUser} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page does not show %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "INVOICE.WRITE") {
		t.Errorf("consent page lists a scope that was not requested:\n%s", page)
	}
	saveScreenshot(t, ctx, "consent.png")

	// 4. Allow: the browser lands on the client app's callback with code, state and iss.
	mustDo(t, ctx, "allow", chromedp.Click(button("Allow")), chromedp.WaitVisible(callbackPage))
	if loc := mustRun(t, ctx, "read location", chromedp.Location()); !strings.HasPrefix(loc, app.callback+"?") {
		t.Fatalf("after Allow the browser is at %s; want the callback %s", loc, app.callback)
	}
	q := app.mustReceive(t, ctx)
	code := q.Get("code")
	if code == "" || q.Get("state") != "xyz123" || q.Get("iss") != env.URL || q.Has("error") {
		t.Fatalf("callback query = %v; want code, state=xyz123, iss=%s and no error", q, env.URL)
	}

	// 5. The client app redeems the code with its secret (client_secret_basic) and the verifier.
	tok := mustRedeem(t, env.URL, clientID, clientSecret, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {app.callback},
		"code_verifier": {verifier},
	})
	if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.RefreshToken == "" || tok.Scope != scope {
		t.Errorf("token response = %+v; want an access token, token_type Bearer, a refresh token and scope %s", tok, scope)
	}

	// 6. Deny: the end user is still signed in and allowed this scope before, so prompt=consent
	// asks again; they decline.
	_, denyURL := authorizationURL(env.URL, clientID, app.callback, scope, "deny456")
	denyURL += "&prompt=consent"
	mustDo(t, ctx, "open a second authorization", chromedp.Navigate(denyURL), chromedp.WaitVisible(button("Deny")))
	mustDo(t, ctx, "deny", chromedp.Click(button("Deny")), chromedp.WaitVisible(callbackPage))
	q = app.mustReceive(t, ctx)
	if q.Get("error") != "access_denied" || q.Get("state") != "deny456" || q.Get("iss") != env.URL || q.Has("code") {
		t.Errorf("callback query after Deny = %v; want error=access_denied, state=deny456, iss=%s and no code", q, env.URL)
	}
}

// byLabel finds the form field whose <label> reads text, as a screen reader names it.
func byLabel(text string) chromedp.Search {
	l := xpathString(text)
	return chromedp.Search(fmt.Sprintf(`//*[self::input or self::textarea or self::select][@id=//label[normalize-space()=%s]/@for or ancestor::label[normalize-space()=%s]]`, l, l))
}

// choice finds a radio button or checkbox by its label, whose accessible name begins with text
// (the label goes on with a hint or a description).
func choice(text string) chromedp.Search {
	l := xpathString(text)
	return chromedp.Search(fmt.Sprintf(`//input[@type="radio" or @type="checkbox"][@id=//label[normalize-space()=%s or starts-with(normalize-space(), concat(%s, " "))]/@for]`, l, l))
}

// button finds a button by its visible text.
func button(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//button[normalize-space()=%s]`, xpathString(text)))
}

// heading finds the page's main heading by its text.
func heading(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//h1[normalize-space()=%s]`, xpathString(text)))
}

// xpathString quotes s as an XPath 1.0 string literal, which has no escapes.
func xpathString(s string) string {
	switch {
	case !strings.Contains(s, `"`):
		return `"` + s + `"`
	case !strings.Contains(s, `'`):
		return `'` + s + `'`
	}
	parts := strings.Split(s, `"`)
	for i, p := range parts {
		parts[i] = `"` + p + `"`
	}
	return "concat(" + strings.Join(parts, `, '"', `) + ")"
}

// mustChromium finds Debian's Chromium. Without it the test skips, unless
// DEVPORTAL_REQUIRE_BROWSER=1 (set in CI), where a missing browser must fail rather than pass silently.
func mustChromium(t *testing.T) string {
	t.Helper()
	if st, err := os.Stat("/usr/bin/chromium"); err == nil && !st.IsDir() {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	msg := "Chromium not found (neither /usr/bin/chromium nor chromium on PATH); install Debian's chromium package to run the browser tests"
	if os.Getenv("DEVPORTAL_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + " (DEVPORTAL_REQUIRE_BROWSER=1)")
	}
	t.Skip(msg)
	return ""
}

// newChromium starts a headless Chromium with a fresh profile, stopped when the test ends. Its
// context also bounds the whole test, so a page that never shows what a step waits for fails
// the test instead of hanging it.
func newChromium(t *testing.T, execPath string) context.Context {
	t.Helper()
	return newChromiumFor(t, execPath, 90*time.Second)
}

// newChromiumFor is newChromium with its own deadline (a walk over every page needs longer).
func newChromiumFor(t *testing.T, execPath string, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root, where Chromium refuses its sandbox
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancel()
	})
	if err := chromedp.Do(browserCtx); err != nil { // start it now: a broken install fails here, clearly
		t.Fatalf("start Chromium %s: %v", execPath, err)
	}
	return browserCtx
}

// mustDo runs browser steps, failing the test with where the browser is and what it shows.
func mustDo(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v%s", what, err, pageState(ctx))
	}
}

// mustRun runs one browser action and returns its value.
func mustRun[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v%s", what, err, pageState(ctx))
	}
	return v
}

// mustLocation checks the address the browser shows.
func mustLocation(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	if got := mustRun(t, ctx, "read location", chromedp.Location()); got != want {
		t.Fatalf("browser is at %s; want %s%s", got, want, pageState(ctx))
	}
}

// pageState describes the browser's page for a failure message, within a short time even when
// the test's own deadline has passed.
func pageState(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return ""
	}
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.Search(`//body`)))
	if len(text) > 2000 {
		text = text[:2000] + "…"
	}
	return fmt.Sprintf("\nbrowser at %s showing:\n%s", loc, text)
}

// saveScreenshot writes a PNG of the whole page to $DEVPORTAL_SCREENSHOTS_DIR, if it is set, so
// by default the test writes nothing into the repository.
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("DEVPORTAL_SCREENSHOTS_DIR")
	if dir == "" {
		return
	}
	png := mustRun(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// clientApp is a stand-in for a developer's web application: a callback that records the query
// the authorization server redirected the browser with.
type clientApp struct {
	callback string
	got      chan url.Values
}

func newClientApp(t *testing.T) *clientApp {
	t.Helper()
	a := &clientApp{got: make(chan url.Values, 8)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		select {
		case a.got <- r.URL.Query():
		default:
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "callback ok")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a.callback = srv.URL + "/callback"
	return a
}

// mustReceive returns the query of the callback's next request.
func (a *clientApp) mustReceive(t *testing.T, ctx context.Context) url.Values {
	t.Helper()
	select {
	case q := <-a.got:
		return q
	case <-ctx.Done():
		t.Fatalf("the callback received no request: %v", ctx.Err())
		return nil
	}
}

// authorizationURL builds an authorization code request with a fresh PKCE verifier (S256).
func authorizationURL(base, clientID, redirectURI, scope, state string) (verifier, authURL string) {
	verifier = rand.Text() + rand.Text() // 52 characters of base32, within RFC 7636's 43 to 128
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {redirectURI},
		"scope":                 {scope},
		"state":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	return verifier, base + "/oauth/authorize?" + q.Encode()
}

// tokenResponse is the RFC 6749 §5.1 body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// mustRedeem posts a token request as a confidential client using client_secret_basic, whose id
// and secret RFC 6749 §2.3.1 form-encodes before they are joined.
func mustRedeem(t *testing.T, base, clientID, secret string, form url.Values) tokenResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token endpoint: status %d\n%s", resp.StatusCode, body)
	}
	var tok tokenResponse
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatalf("token endpoint: %v\n%s", err, body)
	}
	return tok
}
