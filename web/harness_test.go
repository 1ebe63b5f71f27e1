package web_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/mail"
	"github.com/devportal/devportal/models/mail/mailtest"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
	"github.com/devportal/devportal/web"
)

// testEnv is a real devportal server on a loopback port, over a real SQLite database.
type testEnv struct {
	URL    string
	Store  *models.Store
	OAuth  *oauth.Server
	Events *models.EventBuffer // flush it before reading activity
	// SMTP is a real SMTP server in-process that the portal's mail reaches; call mustMail (or
	// MailWorker.Flush) to deliver what is queued, then read SMTP.To(address).
	SMTP       *mailtest.Server
	MailWorker *mail.Worker
}

// mustMail delivers the queued mail and returns what addr has received so far.
func (e *testEnv) mustMail(t *testing.T, addr string) []mailtest.Mail {
	t.Helper()
	if err := e.MailWorker.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e.SMTP.To(addr)
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnvWith(t, storetest.SQLite(t))
}

func newTestEnvWith(t *testing.T, store *models.Store) *testEnv {
	t.Helper()
	return newTestEnvConfig(t, store, nil)
}

// newTestEnvConfig lets a test adjust the protocol policy (grace window, lifetimes…).
func newTestEnvConfig(t *testing.T, store *models.Store, adjust func(*oauth.Config)) *testEnv {
	t.Helper()
	return newTestEnvHost(t, store, adjust, false)
}

// newTestEnvHost is newTestEnvConfig whose issuer, when localhost is set, names the host
// "localhost" (listening on 127.0.0.1): WebAuthn needs a domain as the RP ID, and browsers refuse
// an IP literal.
func newTestEnvHost(t *testing.T, store *models.Store, adjust func(*oauth.Config), localhost bool) *testEnv {
	t.Helper()
	return newTestEnvOpts(t, store, envOptions{adjust: adjust, localhost: localhost})
}

// envOptions vary the test server: the protocol policy, a localhost issuer, a clock for both
// the protocol and the sessions, and extra DEVPORTAL_* variables.
type envOptions struct {
	adjust    func(*oauth.Config)
	localhost bool
	now       func() time.Time
	vars      map[string]string
	logs      io.Writer // the server's log (access log and errors); nil: discarded
}

func newTestEnvOpts(t *testing.T, store *models.Store, o envOptions) *testEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	if o.localhost {
		base = "http://localhost:" + strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:")
	}
	vars := map[string]string{"DEVPORTAL_ISSUER": base, "DEVPORTAL_SECRET": strings.Repeat("s", 32)}
	for k, v := range o.vars {
		vars[k] = v
	}
	cfg, err := web.ConfigFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Version = "test"
	events := models.NewEventBuffer(store, 1000)
	ocfg := oauth.Config{Issuer: base, AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL, Events: events, Now: o.now}
	cfg.ClientMetadata(&ocfg)
	if o.adjust != nil {
		o.adjust(&ocfg)
	}
	srv, err := oauth.NewServer(ocfg, store, cfg.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.LoadKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	outbox, err := mail.NewOutbox(store, models.DeriveKey(cfg.Secret, "outbox"), 0)
	if err != nil {
		t.Fatal(err)
	}
	smtpd := mailtest.Start(t, "portal", "mail-password")
	sender, err := mail.NewSMTP(smtpd.URL(), "devportal@example.test", smtpd.Roots)
	if err != nil {
		t.Fatal(err)
	}
	worker := &mail.Worker{Outbox: outbox, Sender: sender, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	logs := o.logs
	if logs == nil {
		logs = io.Discard
	}
	ts := httptest.NewUnstartedServer(web.New(cfg, web.Deps{Store: store, OAuth: srv, Now: ocfg.Now, Mail: outbox, Logger: web.NewLogger(cfg, logs)}))
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return &testEnv{URL: base, Store: store, OAuth: srv, Events: events, SMTP: smtpd, MailWorker: worker}
}

func (e *testEnv) mustUser(t *testing.T, email string, admin bool) *models.User {
	t.Helper()
	u, err := e.Store.CreateUser(context.Background(), email, testPassword, admin)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// mustClient registers an application owned by owner (nil: created from the CLI).
func (e *testEnv) mustClient(t *testing.T, owner *models.User, typ models.ClientType, redirects []string, scopes ...string) (*models.Client, string) {
	t.Helper()
	in := models.NewClient{Name: "Test " + string(typ) + " app", Type: typ, RedirectURIs: redirects, Scopes: scopes}
	if owner != nil {
		in.OwnerID = &owner.ID
	}
	c, secret, err := e.Store.CreateClient(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return c, secret
}

const testPassword = "correct horse battery staple"

// mustShopAndUser is the common cast of a flow test: dev@example.com owns a web application
// redirecting to https://shop.example/cb with INVOICE.READ, and user@example.com is signed in
// in the returned browser.
func (e *testEnv) mustShopAndUser(t *testing.T) (client *models.Client, secret, redirect string, user *browser) {
	t.Helper()
	dev := e.mustUser(t, "dev@example.com", false)
	e.mustUser(t, "user@example.com", false)
	redirect = "https://shop.example/cb"
	client, secret = e.mustClient(t, dev, models.ClientWeb, []string{redirect}, "INVOICE.READ")
	user = newBrowser(t, e.URL)
	user.mustLogin("user@example.com")
	return client, secret, redirect, user
}

// browser is an HTTP client that keeps cookies and does not follow redirects, so tests see
// every hop, and that fills in the CSRF token of the last page it loaded.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
	csrf string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// get loads a page and remembers its CSRF token.
func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.abs(path))
	if err != nil {
		b.t.Fatal(err)
	}
	return b.read(resp)
}

// post submits a form as a browser would, with the CSRF token of the last page and a
// same-origin Origin header.
func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if form.Get("csrf_token") == "" && b.csrf != "" {
		form.Set("csrf_token", b.csrf)
	}
	return b.postExactly(path, form)
}

// postExactly posts form as given (no CSRF token filled in), same-origin.
func (b *browser) postExactly(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.abs(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.read(resp)
}

func (b *browser) read(resp *http.Response) (*http.Response, string) {
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfField.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp, string(body)
}

func (b *browser) abs(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return b.base + path
}

// mustLogin signs the browser in.
func (b *browser) mustLogin(email string) {
	b.t.Helper()
	if resp, _ := b.get("/login"); resp.StatusCode == http.StatusFound {
		b.get(resp.Header.Get("Location")) // already signed in: take the token from where /login sends us
	}
	resp, body := b.post("/login", url.Values{"email": {email}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login: status %d\n%s", resp.StatusCode, body)
	}
}
