package web_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/devportal/devportal/models"
)

const (
	rpAppName = "Acme Notes"
	rpUser    = "end.user@example.com"
)

// rpCast is the cast of the OpenID Connect browser tests: a signed-out Chromium, devportal, the
// RP and its registered client, and the end user who signs in to it.
type rpCast struct {
	env    *testEnv
	rp     *relyingParty
	client *models.Client
	user   *models.User
	ctx    context.Context
}

func newRPCast(t *testing.T) *rpCast {
	t.Helper()
	chromium := mustChromium(t)
	env := newTestEnv(t)
	rp := newRelyingParty(t)
	dev := env.mustUser(t, "dev@example.com", false)
	client := env.mustRPClient(t, rp, dev, rpAppName)
	user := env.mustUser(t, rpUser, false)
	return &rpCast{env: env, rp: rp, client: client, user: user, ctx: newChromium(t, chromium)}
}

// mustRPSignedIn checks that the browser shows the RP's page saying who is signed in, and returns
// the callback that signed them in.
func (c *rpCast) mustRPSignedIn(t *testing.T) rpCallback {
	t.Helper()
	cb := c.rp.mustSignedIn(t, c.ctx)
	if got := mustRun(t, c.ctx, "read the RP's page", chromedp.Text(chromedp.Search(`//h1`))); got != "Signed in as "+rpUser {
		t.Errorf("the RP's page reads %q; want %q", got, "Signed in as "+rpUser)
	}
	return cb
}

// mustLogInAtPortal fills in devportal's log-in page, where the browser is, and submits it. The
// email field is cleared first: a fresh login of a signed-in user comes pre-filled.
func (c *rpCast) mustLogInAtPortal(t *testing.T, then chromedp.Search) {
	t.Helper()
	mustStep(t, c.ctx, "log in at devportal",
		chromedp.WaitVisible(button("Log in")),
		chromedp.Clear(byLabel("Email")),
		chromedp.SendKeys(byLabel("Email"), rpUser),
		chromedp.SendKeys(byLabel("Password"), testPassword),
		chromedp.Click(button("Log in")),
		chromedp.WaitVisible(then),
	)
}

// mustCheckSignIn checks what the RP got from a sign-in against devportal's own records: the
// user's opaque subject, the ID Token naming this browser's current session (sid) and its
// start (auth_time), and the client as azp.
func (c *rpCast) mustCheckSignIn(t *testing.T, cb rpCallback) *models.Session {
	t.Helper()
	if cb.Params.Get("code") == "" || cb.Params.Get("iss") != c.env.URL {
		t.Errorf("callback parameters %v; want a code and iss=%s", cb.Params, c.env.URL)
	}
	if cb.IDToken.Subject != c.user.Subject || cb.UserInfo.Subject != c.user.Subject {
		t.Errorf("ID Token sub %q, userinfo sub %q; want the user's subject %q", cb.IDToken.Subject, cb.UserInfo.Subject, c.user.Subject)
	}
	if cb.Claims.Email != rpUser || cb.UserInfo.Email != rpUser {
		t.Errorf("ID Token email %q, userinfo email %q; want %s", cb.Claims.Email, cb.UserInfo.Email, rpUser)
	}
	if cb.Claims.AZP != c.client.ID || !slices.Equal(cb.Claims.AMR, []string{"pwd"}) {
		t.Errorf("ID Token azp %q amr %v; want azp %s and amr [pwd]", cb.Claims.AZP, cb.Claims.AMR, c.client.ID)
	}
	cookie := mustSessionCookie(t, c.ctx, c.env.URL)
	if cookie == "" {
		t.Fatal("the browser has no devportal session after signing in")
	}
	s := c.env.mustSession(t, cookie)
	if cb.Claims.SID != s.SID || cb.Claims.AuthTime != s.CreatedAt.Unix() {
		t.Errorf("ID Token sid %q auth_time %d; want the browser's session: sid %q, auth_time %d", cb.Claims.SID, cb.Claims.AuthTime, s.SID, s.CreatedAt.Unix())
	}
	return s
}

// TestBrowserOpenIDSignIn drives real Chromium through an RP's sign-in with devportal as its
// OpenID Provider: the first sign-in with log-in and consent, prompt=none, prompt=login,
// max_age=0 and response_mode=form_post, checking what the user sees and what the RP receives.
func TestBrowserOpenIDSignIn(t *testing.T) {
	c := newRPCast(t)
	env, rp, ctx := c.env, c.rp, c.ctx

	// OIDC Core §3.1.2: signed out, the RP's sign-in link leads to devportal's log-in page,
	// then to a consent page that, for openid profile email only, reads as a sign-in.
	mustStep(t, ctx, "open the RP's sign-in link", chromedp.Navigate(rp.loginURL(nil)), chromedp.WaitVisible(button("Log in")))
	if loc := mustRun(t, ctx, "read location", chromedp.Location()); !strings.HasPrefix(loc, env.URL+"/login?next=") {
		t.Fatalf("signed out, the RP's sign-in went to %s; want devportal's log-in page", loc)
	}
	c.mustLogInAtPortal(t, button("Allow"))
	consentHeading := "Sign in to " + rpAppName + " as " + rpUser
	if got := mustRun(t, ctx, "read the consent heading", chromedp.Text(chromedp.Search(`//h1`))); strings.Join(strings.Fields(got), " ") != consentHeading {
		t.Errorf("consent heading %q; want %q", got, consentHeading)
	}
	saveScreenshot(t, ctx, "oidc-consent.png")
	mustStep(t, ctx, "allow", chromedp.Click(button("Allow")), chromedp.WaitVisible(rpLanded))
	first := c.mustRPSignedIn(t)
	if first.Method != "GET" {
		t.Errorf("the response came by %s; want a redirect (GET) in the default query mode", first.Method)
	}
	firstSession := c.mustCheckSignIn(t, first)
	firstCookie := mustSessionCookie(t, ctx, env.URL)

	// OIDC Core §3.1.2.1 prompt=none: signed in and consented, straight back with a code and
	// no page on the way.
	pages := watchPages(t, ctx)
	mustStep(t, ctx, "sign in with prompt=none", chromedp.Navigate(rp.loginURL(url.Values{"prompt": {"none"}})), chromedp.WaitVisible(rpLanded))
	if shown := pages.mustPagesBefore(t, rp.callback); len(shown) != 0 {
		t.Errorf("prompt=none showed pages on the way back to the RP: %v", shown)
	}
	silent := c.mustRPSignedIn(t)
	if s := c.mustCheckSignIn(t, silent); s.SID != firstSession.SID || silent.Claims.AuthTime != first.Claims.AuthTime {
		t.Errorf("prompt=none gave sid %q auth_time %d; want the same sign-in as before (sid %q, auth_time %d)", s.SID, silent.Claims.AuthTime, firstSession.SID, first.Claims.AuthTime)
	}

	// OIDC Core §3.1.2.1 prompt=login, and max_age=0, which asks for a login just as often:
	// signed in, the user is asked to log in again, then goes back to the RP without consent
	// (allowed before, confidential client), and the ID Token tells of the new login. No clock
	// can be moved here (sessions start at the real time), so the new auth_time is checked
	// against the new session and not against the old one's second: the new login is a new
	// session with a new sid and cookie, its auth_time is that session's start, and it is not
	// before the first sign-in.
	prevCB, prevCookie, prevSession := first, firstCookie, firstSession
	for _, demand := range []url.Values{{"prompt": {"login"}}, {"max_age": {"0"}}} {
		mustStep(t, ctx, "sign in with "+demand.Encode(), chromedp.Navigate(rp.loginURL(demand)), chromedp.WaitVisible(button("Log in")))
		page := strings.Join(strings.Fields(mustRun(t, ctx, "read the log-in page", chromedp.Text(chromedp.Search(`//main`)))), " ")
		if !strings.Contains(page, "You are signed in as "+rpUser) {
			t.Errorf("%s: the log-in page does not say who is signed in:\n%s", demand.Encode(), page)
		}
		if got := mustRun(t, ctx, "read the email field", chromedp.Value(byLabel("Email"))); got != rpUser {
			t.Errorf("%s: the email field holds %q; want the signed-in user's %q", demand.Encode(), got, rpUser)
		}
		mustStep(t, ctx, "log in again",
			chromedp.SendKeys(byLabel("Password"), testPassword),
			chromedp.Click(button("Log in")),
			chromedp.WaitVisible(rpLanded),
		)
		cb := c.mustRPSignedIn(t)
		s := c.mustCheckSignIn(t, cb)
		cookie := mustSessionCookie(t, ctx, env.URL)
		if cookie == prevCookie || s.SID == prevSession.SID {
			t.Errorf("%s: logging in again kept the session (cookie changed: %v, sid %q)", demand.Encode(), cookie != prevCookie, s.SID)
		}
		if cb.Claims.AuthTime < prevCB.Claims.AuthTime {
			t.Errorf("%s: auth_time %d is before the previous sign-in's %d", demand.Encode(), cb.Claims.AuthTime, prevCB.Claims.AuthTime)
		}
		if _, _, err := env.Store.SessionUser(t.Context(), prevCookie, s.CreatedAt, 0); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s: the session before the new login still works (%v)", demand.Encode(), err)
		}
		prevCB, prevCookie, prevSession = cb, cookie, s
	}

	// OAuth 2.0 Form Post Response Mode §2: the response comes as a POST of code, state (the RP
	// refuses one it did not send) and iss, submitted by /static/js/form_post.js under the page's strict CSP; first straight from
	// the authorization endpoint, then from the consent page's Allow (prompt=consent).
	for _, demand := range []url.Values{{"response_mode": {"form_post"}}, {"response_mode": {"form_post"}, "prompt": {"consent"}}} {
		console := watchConsole(t, ctx)
		steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(rp.loginURL(demand))}
		if demand.Has("prompt") {
			steps = append(steps, chromedp.WaitVisible(button("Allow")), chromedp.Click(button("Allow")))
		}
		mustStep(t, ctx, "sign in with "+demand.Encode(), append(steps, chromedp.WaitVisible(rpLanded))...)
		cb := c.mustRPSignedIn(t)
		if cb.Method != "POST" || len(cb.Query) != 0 {
			t.Errorf("%s: the RP got a %s with query %v; want a POST with nothing in the URL", demand.Encode(), cb.Method, cb.Query)
		}
		c.mustCheckSignIn(t, cb)
		for _, m := range console.mustDrain(t, ctx) {
			if strings.Contains(m.Text, "Content Security Policy") || m.IsException() {
				t.Errorf("%s: the browser reported %s (at %s)", demand.Encode(), m, m.URL)
			}
		}
	}
}

// TestBrowserOpenIDLogout drives RP-Initiated Logout 1.0 in real Chromium: a hint for an older
// session asks first, a hint for the current session signs out at once and returns to the RP
// with state, after which prompt=none gets login_required, and no hint at all asks and then
// shows the portal's own signed-out page.
func TestBrowserOpenIDLogout(t *testing.T) {
	c := newRPCast(t)
	env, rp, ctx := c.env, c.rp, c.ctx
	loggedOutPage := heading("Signed out of the notes app")
	confirmPage := heading("Log out of devportal?")

	mustStep(t, ctx, "open the RP's sign-in link", chromedp.Navigate(rp.loginURL(nil)))
	c.mustLogInAtPortal(t, button("Allow"))
	mustStep(t, ctx, "allow", chromedp.Click(button("Allow")), chromedp.WaitVisible(rpLanded))
	stale := c.mustRPSignedIn(t)
	mustStep(t, ctx, "sign in again with prompt=login", chromedp.Navigate(rp.loginURL(url.Values{"prompt": {"login"}})))
	c.mustLogInAtPortal(t, rpLanded)
	c.mustRPSignedIn(t)

	// RP-Initiated Logout §2 ("SHOULD ask the End-User"): the hint names an earlier session of
	// this user, not this browser's current one, so devportal asks; Log out then signs out and
	// returns to the registered post-logout redirect URI with state.
	mustStep(t, ctx, "log out with a stale hint", chromedp.Navigate(rp.endSessionURL(url.Values{
		"id_token_hint": {stale.RawIDToken}, "post_logout_redirect_uri": {rp.loggedOut}, "state": {"stale-hint"},
	})), chromedp.WaitVisible(confirmPage))
	page := strings.Join(strings.Fields(mustRun(t, ctx, "read the confirmation", chromedp.Text(chromedp.Search(`//main`)))), " ")
	rpHost := strings.TrimPrefix(rp.URL, "http://")
	for _, want := range []string{rpAppName + " asked to sign you out", rpUser, "sent back to " + rpHost} {
		if !strings.Contains(page, want) {
			t.Errorf("the confirmation page does not say %q:\n%s", want, page)
		}
	}
	if mustSessionCookie(t, ctx, env.URL) == "" {
		t.Fatal("showing the confirmation page signed the user out")
	}
	mustStep(t, ctx, "confirm", chromedp.Click(button("Log out")), chromedp.WaitVisible(loggedOutPage))
	if q := rp.mustLoggedOut(t, ctx); q.Get("state") != "stale-hint" {
		t.Errorf("post-logout redirect query %v; want state=stale-hint", q)
	}
	if mustSessionCookie(t, ctx, env.URL) != "" {
		t.Error("the browser still has a devportal session after confirming the logout")
	}

	// RP-Initiated Logout §2–3: the hint names this browser's session, so no question: straight
	// to the RP's post-logout redirect URI with state=xyz, and the portal session is over, as a
	// following prompt=none request finds (OIDC Core §3.1.2.6 login_required).
	mustStep(t, ctx, "sign in", chromedp.Navigate(rp.loginURL(nil)))
	c.mustLogInAtPortal(t, rpLanded)
	current := c.mustRPSignedIn(t)
	cookie := mustSessionCookie(t, ctx, env.URL)
	pages := watchPages(t, ctx)
	mustStep(t, ctx, "log out with the current hint", chromedp.Navigate(rp.endSessionURL(url.Values{
		"id_token_hint": {current.RawIDToken}, "post_logout_redirect_uri": {rp.loggedOut}, "state": {"xyz"},
	})), chromedp.WaitVisible(loggedOutPage))
	if shown := pages.mustPagesBefore(t, rp.loggedOut); len(shown) != 0 {
		t.Errorf("the logout with the current session's hint showed pages before the RP's: %v", shown)
	}
	if q := rp.mustLoggedOut(t, ctx); q.Get("state") != "xyz" || len(q) != 1 {
		t.Errorf("post-logout redirect query %v; want state=xyz alone", q)
	}
	if got := mustSessionCookie(t, ctx, env.URL); got != "" {
		t.Error("the browser still has a devportal session cookie after the logout")
	}
	if _, _, err := env.Store.SessionUser(t.Context(), cookie, time.Now().UTC(), 0); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the logged-out session still works (%v)", err)
	}
	c.mustLoginRequired(t)

	// Without a hint devportal cannot tell who asks, so it asks; Log out ends at the portal's
	// own signed-out page, since no post-logout redirect URI was given.
	mustStep(t, ctx, "sign in", chromedp.Navigate(rp.loginURL(nil)))
	c.mustLogInAtPortal(t, rpLanded)
	c.mustRPSignedIn(t)
	mustStep(t, ctx, "log out without a hint", chromedp.Navigate(rp.endSessionURL(nil)), chromedp.WaitVisible(confirmPage))
	saveScreenshot(t, ctx, "oidc-logout-confirm.png")
	mustStep(t, ctx, "confirm", chromedp.Click(button("Log out")), chromedp.WaitVisible(heading("You are logged out")))
	mustLocation(t, ctx, env.URL+"/oauth/logout")
	if mustSessionCookie(t, ctx, env.URL) != "" {
		t.Error("the browser still has a devportal session after confirming the logout")
	}
	c.mustLoginRequired(t)
}

// mustLoginRequired checks that a prompt=none sign-in comes back to the RP with
// error=login_required (OIDC Core §3.1.2.6), state and iss, and no code.
func (c *rpCast) mustLoginRequired(t *testing.T) {
	t.Helper()
	mustStep(t, c.ctx, "sign in with prompt=none", chromedp.Navigate(c.rp.loginURL(url.Values{"prompt": {"none"}})), chromedp.WaitVisible(rpLanded))
	h1 := mustRun(t, c.ctx, "read the RP's page", chromedp.Text(chromedp.Search(`//h1`)))
	if got := mustRun(t, c.ctx, "read the RP's error", chromedp.Text(chromedp.ID("detail"))); h1 != "Sign-in failed" || got != "login_required" {
		t.Errorf("the RP shows %q: %q; want Sign-in failed: login_required", h1, got)
	}
	cb := c.rp.mustCallback(t, c.ctx)
	p := cb.Params
	if p.Get("error") != "login_required" || p.Has("code") || cb.State == "" || p.Get("iss") != c.env.URL {
		t.Errorf("prompt=none after logout: callback %v (state known: %v); want error=login_required, the RP's state, iss and no code", p, cb.State != "")
	}
}
