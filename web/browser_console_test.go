package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/devportal/devportal/models"
)

// TestBrowserRevokeFromAccount drives real headless Chromium through an end user taking back an
// application's access: they approve the application on the consent page, the application redeems
// the code, and then, on Authorized applications, the user presses "Revoke access" on the
// application's row and confirms. From then on a resource server's introspection calls the access
// token inactive, the sample API refuses it, the refresh token no longer works and the row is gone.
func TestBrowserRevokeFromAccount(t *testing.T) {
	chromium := mustChromium(t)
	env := newTestEnv(t)
	app := newClientApp(t)
	ctx := newChromium(t, chromium)

	const (
		endUser = "end.user@example.com"
		appName = "Ledger Sync"
		scope   = "INVOICE.READ"
	)
	dev := env.mustUser(t, "developer@example.com", false)
	env.mustUser(t, endUser, false)
	client, secret, err := env.Store.CreateClient(t.Context(), models.NewClient{
		OwnerID: &dev.ID, Name: appName, Type: models.ClientWeb,
		RedirectURIs: []string{app.callback}, Scopes: []string{scope, "INVOICE.WRITE"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rs := newResourceServer(t, env, scope)

	// 1. The end user starts an authorization signed out, logs in through the form and allows it.
	verifier, authURL := authorizationURL(env.URL, client.ID, app.callback, scope, "revoke-1")
	mustDo(t, ctx, "open the authorization URL signed out",
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(button("Log in")),
	)
	mustDo(t, ctx, "log in as the end user",
		chromedp.SendKeys(byLabel("Email"), endUser),
		chromedp.SendKeys(byLabel("Password"), testPassword),
		chromedp.Click(button("Log in")),
		chromedp.WaitVisible(button("Allow")),
	)
	mustDo(t, ctx, "allow",
		chromedp.Click(button("Allow")),
		chromedp.WaitVisible(chromedp.Search(`//body[normalize-space()="callback ok"]`)),
	)
	q := app.mustReceive(t, ctx)
	if q.Get("code") == "" || q.Get("state") != "revoke-1" {
		t.Fatalf("callback query = %v; want a code and state=revoke-1", q)
	}

	// 2. The application redeems the code; its tokens work.
	tok := mustRedeem(t, env.URL, client.ID, secret, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {q.Get("code")},
		"redirect_uri":  {app.callback},
		"code_verifier": {verifier},
	})
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token response = %+v; want an access and a refresh token", tok)
	}
	if !rs.active(t, tok.AccessToken) || !rs.active(t, tok.RefreshToken) {
		t.Fatal("introspection calls the fresh tokens inactive")
	}
	if got := invoicesStatus(t, env, tok.AccessToken); got != http.StatusOK {
		t.Fatalf("GET /api/v1/invoices with the fresh token: %d, want 200", got)
	}

	// 3. On Authorized applications the user finds the application's row, with what it may do.
	row := appRow(appName)
	mustDo(t, ctx, "open authorized applications",
		chromedp.Navigate(env.URL+"/account/apps"),
		chromedp.WaitVisible(heading("Authorized applications")),
		chromedp.WaitVisible(row),
	)
	rowText := mustRun(t, ctx, "read the application's row", chromedp.Text(row))
	if !strings.Contains(rowText, scope) || strings.Contains(rowText, "INVOICE.WRITE") {
		t.Errorf("the row of %s reads %q; want the granted scope %s and not INVOICE.WRITE", appName, rowText, scope)
	}
	saveScreenshot(t, ctx, "account-apps-before-revoke.png")

	// 4. "Revoke access" asks first; nothing is revoked until the user confirms.
	confirm := heading("Revoke the access of " + appName + "?")
	mustDo(t, ctx, "press Revoke access on the row",
		chromedp.Click(inside(row, button("Revoke access"))),
		chromedp.WaitVisible(confirm),
	)
	if !rs.active(t, tok.AccessToken) {
		t.Fatal("the confirmation page alone revoked the access")
	}
	done := chromedp.Search(`//*[@role="status"]/*[contains(normalize-space(), "can no longer access your account")]`)
	mustDo(t, ctx, "confirm",
		chromedp.Click(button("Revoke access")),
		chromedp.WaitVisible(done),
		chromedp.WaitVisible(heading("Authorized applications")),
	)
	mustLocation(t, ctx, env.URL+"/account/apps")
	// The page is the list the server rendered after the revocation: the row must be absent.
	mustDo(t, ctx, "the row is gone", chromedp.WaitNotPresent(row))

	// 5. Every token of the grant is refused, as a resource server and the application see it.
	if rs.active(t, tok.AccessToken) {
		t.Error("introspection: the access token is still active after revoking")
	}
	if rs.active(t, tok.RefreshToken) {
		t.Error("introspection: the refresh token is still active after revoking")
	}
	if got := invoicesStatus(t, env, tok.AccessToken); got != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/invoices with the revoked token: %d, want 401", got)
	}
	resp, out := postForm(t, env.URL+"/oauth/token", client.ID, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	if resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("refresh_token grant after revoking: %d %v, want 400 invalid_grant", resp.StatusCode, out)
	}

	// 6. Loaded afresh, the list still has no row for the application.
	mustDo(t, ctx, "reload authorized applications",
		chromedp.Navigate(env.URL+"/account/apps"),
		chromedp.WaitVisible(heading("Authorized applications")),
		chromedp.WaitNotPresent(row),
		chromedp.WaitNotPresent(button("Revoke access")),
	)
}

// TestBrowserAdminSuspend drives real headless Chromium through an administrator suspending a
// machine client from the clients table and reinstating it: while suspended its live access token
// is refused and the token endpoint refuses it with invalid_client; reinstated, it gets tokens again.
// Issue 13: each button leads to a confirmation page (nothing happens before its own button of
// the same name is pressed), and the reason typed there shows in the audit log.
func TestBrowserAdminSuspend(t *testing.T) {
	chromium := mustChromium(t)
	env := newTestEnv(t)
	ctx := newChromium(t, chromium)

	const (
		adminEmail = "admin@example.com"
		scope      = "INVOICE.READ"
	)
	env.mustUser(t, adminEmail, true)
	dev := env.mustUser(t, "developer@example.com", false)
	machine, secret, err := env.Store.CreateClient(t.Context(), models.NewClient{
		OwnerID: &dev.ID, Name: "Nightly Reconciler", Type: models.ClientMachine, Scopes: []string{scope},
	})
	if err != nil {
		t.Fatal(err)
	}
	rs := newResourceServer(t, env, scope) // a second row in the table, which must not change

	resp, out := issueMachineToken(t, env, machine.ID, secret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("client credentials: %d %v", resp.StatusCode, out)
	}
	access, _ := out["access_token"].(string)
	if access == "" || !rs.active(t, access) || invoicesStatus(t, env, access) != http.StatusOK {
		t.Fatalf("the machine client's fresh token is not honoured: %v", out)
	}

	// 1. The admin logs in through the form and opens the clients table from the top bar.
	mustDo(t, ctx, "log in as the admin",
		chromedp.Navigate(env.URL+"/login"),
		chromedp.SendKeys(byLabel("Email"), adminEmail),
		chromedp.SendKeys(byLabel("Password"), testPassword),
		chromedp.Click(button("Log in")),
		chromedp.WaitVisible(heading("Applications")),
	)
	row, other := clientRow(machine.ID), clientRow(rs.client.ID)
	mustDo(t, ctx, "open the admin clients table",
		chromedp.Click(chromedp.Search(`//header//a[normalize-space()="Admin"]`)),
		chromedp.WaitVisible(heading("Clients")),
		chromedp.WaitVisible(row),
		chromedp.WaitVisible(other),
	)
	mustLocation(t, ctx, env.URL+"/admin/clients")
	rowText := mustRun(t, ctx, "read the machine client's row", chromedp.Text(row))
	for _, want := range []string{machine.Name, machine.ID, "developer@example.com", "active"} {
		if !strings.Contains(rowText, want) {
			t.Errorf("the row of %s reads %q; want %q in it", machine.ID, rowText, want)
		}
	}

	// 2. Suspend asks first, with a reason; confirmed, the row says so and offers Reinstate; the
	// other client is untouched.
	mustDo(t, ctx, "press Suspend on the row",
		chromedp.Click(inside(row, button("Suspend"))),
		chromedp.WaitVisible(heading("Suspend "+machine.Name+"?")),
	)
	if !rs.active(t, access) {
		t.Fatal("the confirmation page alone suspended the client")
	}
	saveScreenshot(t, ctx, "admin-confirm-suspend.png")
	const reason = "Leaked secret reported by the security team"
	mustDo(t, ctx, "give a reason and confirm",
		chromedp.SendKeys(byLabel("Reason (optional)"), reason),
		chromedp.Click(button("Suspend")),
		chromedp.WaitVisible(flash(machine.Name+" was suspended")),
		chromedp.WaitVisible(inside(row, button("Reinstate"))),
	)
	mustLocation(t, ctx, env.URL+"/admin/clients")
	if got := mustRun(t, ctx, "read the status badge", chromedp.Text(inside(row, chromedp.Search(`//span[contains(@class, "badge")]`)))); strings.TrimSpace(got) != "suspended" {
		t.Errorf("status badge of the suspended client reads %q, want suspended", got)
	}
	mustDo(t, ctx, "the other client is still active",
		chromedp.WaitVisible(inside(other, button("Suspend"))),
		chromedp.WaitNotPresent(inside(row, button("Suspend"))),
	)
	saveScreenshot(t, ctx, "admin-clients-suspended.png")

	if rs.active(t, access) {
		t.Error("introspection: the suspended client's token is still active")
	}
	if got := invoicesStatus(t, env, access); got != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/invoices with the suspended client's token: %d, want 401", got)
	}
	if resp, out := issueMachineToken(t, env, machine.ID, secret); resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_client" {
		t.Errorf("client credentials of a suspended client: %d %v, want 401 invalid_client", resp.StatusCode, out)
	}

	// The audit log names the client and keeps the reason.
	entry := chromedp.Search(fmt.Sprintf(`//tr[td/code[normalize-space()="client.suspended"]][td[normalize-space()=%s]]`, xpathString(machine.Name+"; reason: "+reason)))
	mustDo(t, ctx, "the audit log shows the suspension with its reason",
		chromedp.Click(chromedp.Search(`//nav[@aria-label="Admin"]//a[normalize-space()="Audit log"]`)),
		chromedp.WaitVisible(heading("Audit log")),
		chromedp.WaitVisible(entry),
		chromedp.WaitVisible(inside(entry, chromedp.Search(fmt.Sprintf(`//a[normalize-space()=%s]`, xpathString(machine.Name))))),
	)

	// 3. Reinstate, from the clients table again and through its confirmation: the row is active
	// again and the client gets working tokens.
	mustDo(t, ctx, "reinstate the machine client",
		chromedp.Navigate(env.URL+"/admin/clients"),
		chromedp.Click(inside(row, button("Reinstate"))),
		chromedp.WaitVisible(heading("Reinstate "+machine.Name+"?")),
		chromedp.Click(button("Reinstate")),
		chromedp.WaitVisible(flash(machine.Name+" was reinstated")),
		chromedp.WaitVisible(inside(row, button("Suspend"))),
		chromedp.WaitNotPresent(inside(row, button("Reinstate"))),
	)
	if got := mustRun(t, ctx, "read the status badge", chromedp.Text(inside(row, chromedp.Search(`//span[contains(@class, "badge")]`)))); strings.TrimSpace(got) != "active" {
		t.Errorf("status badge of the reinstated client reads %q, want active", got)
	}
	resp, out = issueMachineToken(t, env, machine.ID, secret)
	fresh, _ := out["access_token"].(string)
	if resp.StatusCode != http.StatusOK || fresh == "" {
		t.Fatalf("client credentials after reinstating: %d %v, want 200 with a token", resp.StatusCode, out)
	}
	if !rs.active(t, fresh) || invoicesStatus(t, env, fresh) != http.StatusOK {
		t.Error("the token issued after reinstating is not honoured")
	}
	if !rs.active(t, access) {
		t.Error("the token issued before the suspension is still refused after reinstating")
	}
}

// resourceServer is a machine client allowed to introspect tokens, as an API behind devportal is.
type resourceServer struct {
	env    *testEnv
	client *models.Client
	secret string
}

func newResourceServer(t *testing.T, env *testEnv, scopes ...string) *resourceServer {
	t.Helper()
	c, secret, err := env.Store.CreateClient(t.Context(), models.NewClient{Name: "Invoice API", Type: models.ClientMachine, CanIntrospect: true, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return &resourceServer{env: env, client: c, secret: secret}
}

// active asks the introspection endpoint (RFC 7662) whether token is active.
func (rs *resourceServer) active(t *testing.T, token string) bool {
	t.Helper()
	resp, out := postForm(t, rs.env.URL+"/oauth/introspect", rs.client.ID, rs.secret, url.Values{"token": {token}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("introspection: %d %v", resp.StatusCode, out)
	}
	return out["active"] == true
}

// invoicesStatus is the status of GET /api/v1/invoices with a bearer token.
func invoicesStatus(t *testing.T, env *testEnv, access string) int {
	t.Helper()
	resp, _ := call(t, http.MethodGet, env.URL+"/api/v1/invoices", "", "", map[string]string{"Authorization": "Bearer " + access})
	return resp.StatusCode
}

// appRow finds the row of an application on Authorized applications by the name it shows.
func appRow(name string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//tr[td[1][normalize-space()=%s]]`, xpathString(name)))
}

// clientRow finds the row of a client in the admin clients table by the client id it shows.
func clientRow(id string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//tr[td/code[normalize-space()=%s]]`, xpathString(id)))
}

// inside narrows an XPath search to the descendants of what outer finds: both are absolute
// descendant paths ("//..."), so joining them reads "outer//inner".
func inside(outer, inner chromedp.Search) chromedp.Search {
	return chromedp.Search(string(outer) + string(inner))
}

// flash finds a message in the page's status area that begins with text.
func flash(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//*[@role="status"]/*[starts-with(normalize-space(), %s)]`, xpathString(text)))
}
