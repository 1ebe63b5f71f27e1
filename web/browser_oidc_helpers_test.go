package web_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html"
	"iter"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/devportal/devportal/handlers"
	"github.com/devportal/devportal/models"
)

// relyingParty is a developer's web application signing people in with OpenID Connect, as a real
// one would: it discovers devportal, sends the browser to the authorization endpoint with state,
// nonce and PKCE, and at its callback (a GET, or a POST for response_mode=form_post) redeems the
// code with golang.org/x/oauth2, verifies the ID Token with go-oidc (signature, iss, aud, exp,
// nonce, at_hash) and asks userinfo who the user is. Every callback is recorded for the test.
type relyingParty struct {
	URL, callback, loggedOut string
	issuer                   string

	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
	endURL   string // end_session_endpoint, from discovery

	mu      sync.Mutex
	pending map[string]pendingLogin // by state
	got     chan rpCallback
	logouts chan url.Values
}

// pendingLogin is what the RP remembers between sending the browser off and its return.
type pendingLogin struct{ nonce, verifier string }

// rpCallback is one request to the RP's callback and what the RP made of it.
type rpCallback struct {
	Method string
	Query  url.Values // the URL's query
	Params url.Values // the response parameters: the query of a GET, the form of a POST
	State  string     // the state the RP sent, when the response carried one it knew
	Err    error      // why the RP could not sign the user in (nil: signed in)

	Token      *oauth2.Token
	RawIDToken string
	IDToken    *oidc.IDToken
	Claims     rpClaims
	UserInfo   *oidc.UserInfo
}

// rpClaims are the ID Token claims the test looks at beyond what go-oidc parses.
type rpClaims struct {
	AuthTime int64    `json:"auth_time"`
	SID      string   `json:"sid"`
	AMR      []string `json:"amr"`
	AZP      string   `json:"azp"`
	Email    string   `json:"email"`
}

// newRelyingParty starts the RP on a loopback port; configure it once its client is registered.
func newRelyingParty(t *testing.T) *relyingParty {
	t.Helper()
	rp := &relyingParty{pending: map[string]pendingLogin{}, got: make(chan rpCallback, 16), logouts: make(chan url.Values, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", rp.login)
	mux.HandleFunc("GET /callback", rp.callbackHandler)
	mux.HandleFunc("POST /callback", rp.callbackHandler)
	mux.HandleFunc("GET /logged-out", func(w http.ResponseWriter, r *http.Request) {
		select {
		case rp.logouts <- r.URL.Query():
		default:
		}
		rpPage(w, "Signed out of the notes app", "")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	rp.URL, rp.callback, rp.loggedOut = srv.URL, srv.URL+"/callback", srv.URL+"/logged-out"
	return rp
}

// configure discovers the provider at issuer and sets the client's credentials.
func (rp *relyingParty) configure(t *testing.T, issuer, clientID, secret string) {
	t.Helper()
	// The provider's key set fetches with this context later on, so it lives as long as the test.
	provider, err := oidc.NewProvider(t.Context(), issuer)
	if err != nil {
		t.Fatalf("discover %s: %v", issuer, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&meta); err != nil || meta.EndSession == "" {
		t.Fatalf("discovery names no end_session_endpoint (%v)", err)
	}
	rp.provider, rp.endURL, rp.issuer = provider, meta.EndSession, issuer
	rp.verifier = provider.Verifier(&oidc.Config{ClientID: clientID})
	rp.oauth = oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: provider.Endpoint(),
		RedirectURL: rp.callback, Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
}

// loginURL is the RP's "Sign in" link; extra goes into the authorization request as it is
// (prompt, max_age, response_mode…).
func (rp *relyingParty) loginURL(extra url.Values) string {
	return rp.URL + "/login?" + extra.Encode()
}

// login sends the browser to the authorization endpoint with a fresh state, nonce and PKCE pair.
func (rp *relyingParty) login(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
	rp.mu.Lock()
	rp.pending[state] = pendingLogin{nonce: nonce, verifier: verifier}
	rp.mu.Unlock()
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	for k := range r.URL.Query() {
		opts = append(opts, oauth2.SetAuthURLParam(k, r.URL.Query().Get(k)))
	}
	http.Redirect(w, r, rp.oauth.AuthCodeURL(state, opts...), http.StatusFound)
}

// callbackHandler records the authorization response and, for a code, signs the user in.
func (rp *relyingParty) callbackHandler(w http.ResponseWriter, r *http.Request) {
	cb := rpCallback{Method: r.Method, Query: r.URL.Query()}
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			cb.Err = err
		}
		cb.Params = r.PostForm
	} else {
		cb.Params = r.URL.Query()
	}
	if cb.Err == nil {
		cb.Err = rp.signIn(r.Context(), &cb)
	}
	select {
	case rp.got <- cb:
	default:
	}
	switch {
	case cb.Err != nil:
		rpPage(w, "Sign-in failed", cb.Err.Error())
	default:
		rpPage(w, "Signed in as "+cb.UserInfo.Email, "")
	}
}

// signIn does what an RP does with an authorization response (RFC 6749 §4.1.2, RFC 9207 §2.4,
// OIDC Core §3.1.3.7).
func (rp *relyingParty) signIn(ctx context.Context, cb *rpCallback) error {
	p := cb.Params
	rp.mu.Lock()
	login, ok := rp.pending[p.Get("state")]
	delete(rp.pending, p.Get("state"))
	rp.mu.Unlock()
	if !ok {
		return fmt.Errorf("unknown state %q", p.Get("state"))
	}
	cb.State = p.Get("state")
	if iss := p.Get("iss"); iss != rp.issuer {
		return fmt.Errorf("iss %q is not the issuer %q", iss, rp.issuer)
	}
	if e := p.Get("error"); e != "" {
		return errors.New(e)
	}
	tok, err := rp.oauth.Exchange(ctx, p.Get("code"), oauth2.VerifierOption(login.verifier))
	if err != nil {
		return fmt.Errorf("redeem the code: %w", err)
	}
	cb.Token = tok
	cb.RawIDToken, _ = tok.Extra("id_token").(string)
	if cb.RawIDToken == "" {
		return errors.New("the token response has no id_token")
	}
	if cb.IDToken, err = rp.verifier.Verify(ctx, cb.RawIDToken); err != nil {
		return fmt.Errorf("verify the ID Token: %w", err)
	}
	if cb.IDToken.Nonce != login.nonce {
		return fmt.Errorf("ID Token nonce %q; want %q", cb.IDToken.Nonce, login.nonce)
	}
	if err := cb.IDToken.VerifyAccessToken(tok.AccessToken); err != nil {
		return fmt.Errorf("at_hash: %w", err)
	}
	if err := cb.IDToken.Claims(&cb.Claims); err != nil {
		return err
	}
	if cb.UserInfo, err = rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err != nil {
		return fmt.Errorf("userinfo: %w", err)
	}
	if cb.UserInfo.Subject != cb.IDToken.Subject {
		return fmt.Errorf("userinfo sub %q differs from the ID Token's %q", cb.UserInfo.Subject, cb.IDToken.Subject)
	}
	return nil
}

// endSessionURL is the RP-Initiated Logout request an RP sends the browser to.
func (rp *relyingParty) endSessionURL(params url.Values) string {
	return rp.endURL + "?" + params.Encode()
}

func rpPage(w http.ResponseWriter, heading, detail string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!DOCTYPE html><title>Notes</title><main id=\"rp-page\"><h1>%s</h1><p id=\"detail\">%s</p></main>", html.EscapeString(heading), html.EscapeString(detail))
}

// rpLanded is any page of the RP: the browser is back at the application, whatever it made of it.
var rpLanded = chromedp.Search(`//main[@id="rp-page"]`)

// mustCallback returns the RP's next callback.
func (rp *relyingParty) mustCallback(t *testing.T, ctx context.Context) rpCallback {
	t.Helper()
	select {
	case cb := <-rp.got:
		return cb
	case <-ctx.Done():
		t.Fatalf("the RP's callback received no request: %v", ctx.Err())
		return rpCallback{}
	}
}

// mustSignedIn returns the RP's next callback, failing unless it signed the user in.
func (rp *relyingParty) mustSignedIn(t *testing.T, ctx context.Context) rpCallback {
	t.Helper()
	cb := rp.mustCallback(t, ctx)
	if cb.Err != nil {
		t.Fatalf("the RP could not sign the user in: %v (%s %v)", cb.Err, cb.Method, cb.Params)
	}
	return cb
}

// mustLoggedOut returns the query of the RP's post-logout redirect URI's next request.
func (rp *relyingParty) mustLoggedOut(t *testing.T, ctx context.Context) url.Values {
	t.Helper()
	select {
	case q := <-rp.logouts:
		return q
	case <-ctx.Done():
		t.Fatalf("the RP's post-logout redirect URI received no request: %v", ctx.Err())
		return nil
	}
}

// mustRPClient registers the RP's confidential web client for openid, profile, email and
// offline_access, named name, with the RP's post-logout redirect URI, and configures the RP.
func (e *testEnv) mustRPClient(t *testing.T, rp *relyingParty, owner *models.User, name string) *models.Client {
	t.Helper()
	c, secret := e.mustClient(t, owner, models.ClientWeb, []string{rp.callback}, "openid", "profile", "email", "offline_access")
	err := e.Store.UpdateClient(t.Context(), c.ID, models.ClientProfile{
		Name: name, RedirectURIs: c.RedirectURIs, AllowedOrigins: c.AllowedOrigins, Scopes: c.Scopes,
		PostLogoutRedirectURIs: []string{rp.loggedOut},
	})
	if err != nil {
		t.Fatal(err)
	}
	rp.configure(t, e.URL, c.ID, secret)
	return c
}

// mustSessionCookie is the browser's devportal session cookie ("" when it has none), read
// through DevTools since the cookie is HttpOnly.
func mustSessionCookie(t *testing.T, ctx context.Context, base string) string {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
	if err != nil {
		t.Fatalf("read cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == handlers.SessionCookie {
			return c.Value
		}
	}
	return ""
}

// mustSession is the portal session behind a cookie value, failing when it is not a live one.
func (e *testEnv) mustSession(t *testing.T, cookie string) *models.Session {
	t.Helper()
	_, s, err := e.Store.SessionUser(t.Context(), cookie, time.Now().UTC(), 0)
	if err != nil {
		t.Fatalf("the browser's session cookie names no live session: %v", err)
	}
	return s
}

// pageWatch records the pages the browser tab is shown: every document response, which a
// redirect is not (DevTools reports a redirect on the request it leads to).
type pageWatch struct {
	events iter.Seq2[network.EventResponseReceived, error]
	cancel context.CancelFunc
}

func watchPages(t *testing.T, ctx context.Context) *pageWatch {
	t.Helper()
	wctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	return &pageWatch{events: chromedp.Events(wctx, network.ResponseReceived), cancel: cancel}
}

// mustPagesBefore returns the pages shown (URL and status) before the first page whose URL
// begins with landing, which the browser must have reached: events arrive in order, so reading
// up to it needs no waiting.
func (w *pageWatch) mustPagesBefore(t *testing.T, landing string) []string {
	t.Helper()
	defer w.cancel()
	var shown []string
	for ev, err := range w.events {
		if err != nil {
			t.Fatalf("read the network events: %v", err)
		}
		if ev.Type != network.ResourceTypeDocument {
			continue
		}
		if strings.HasPrefix(ev.Response.URL, landing) {
			return shown
		}
		shown = append(shown, fmt.Sprintf("%d %s", ev.Response.Status, ev.Response.URL))
	}
	t.Fatal("the network events ended before the landing page")
	return nil
}

// consoleWatch collects the tab's console messages (console API calls, exceptions and browser
// log entries such as CSP violation reports) from the moment it is made.
type consoleWatch struct {
	messages iter.Seq2[chromedp.ConsoleMessage, error]
	cancel   context.CancelFunc
}

func watchConsole(t *testing.T, ctx context.Context) *consoleWatch {
	t.Helper()
	wctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	return &consoleWatch{messages: chromedp.Console(wctx), cancel: cancel}
}

// mustDrain returns every message logged so far: it logs a marker on the current page and reads
// up to it, so no message from before is missed, without waiting for a time.
func (w *consoleWatch) mustDrain(t *testing.T, ctx context.Context) []chromedp.ConsoleMessage {
	t.Helper()
	defer w.cancel()
	marker := "console-drain-" + rand.Text()
	mustRun(t, ctx, "log the console marker", chromedp.Evaluate[bool](fmt.Sprintf("console.log(%q), true", marker)))
	var got []chromedp.ConsoleMessage
	for m, err := range w.messages {
		if err != nil {
			t.Fatalf("read the console: %v", err)
		}
		if m.Text == marker {
			return got
		}
		got = append(got, m)
	}
	t.Fatal("the console ended before its marker")
	return nil
}

// stepTimeout bounds one browser step of the OpenID tests. It is not a performance limit: a
// step that passes takes a fraction of a second, and one that waits for what never comes would
// otherwise last until the test's deadline, which also ends the browser, so the failure could
// not say what the page showed.
const stepTimeout = 30 * time.Second

// mustStep is mustDo, bounded by stepTimeout.
func mustStep(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	mustDo(t, sctx, what, steps...)
}
