package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/devportal/devportal/models"
)

// Issue #13, "Reload repeats the action", in real Chromium: a reload after "Create application"
// created a second application, and a reload after rotating with "Retire it now" rotated again
// and killed the secret just copied. Now both end on /apps/{id} (post / redirect / get): the
// reload shows the page again without the secret, creates and rotates nothing, and the secret
// copied before the reload still works at the token endpoint.
func TestBrowserReloadAfterCreateAndRotate(t *testing.T) {
	chromium := mustChromium(t)
	env := newTestEnv(t)
	ctx := newChromium(t, chromium)
	const developer = "reload@example.com"

	mustDo(t, ctx, "sign up",
		chromedp.Navigate(env.URL+"/signup"),
		chromedp.SendKeys(byLabel("Email"), developer),
		chromedp.SendKeys(byLabel("Password"), testPassword),
		chromedp.Click(button("Create account")),
		chromedp.WaitVisible(heading("Applications")),
	)
	// Issue #13, "Forms and words": the redirect URIs are hidden while "Machine-to-machine" is
	// chosen, and shown again for another type.
	redirectShown := func(what string) bool {
		return mustRun(t, ctx, what, chromedp.Evaluate[bool](`document.getElementById("redirect_uris").offsetParent !== null`))
	}
	mustDo(t, ctx, "open the new application form", chromedp.Navigate(env.URL+"/apps/new"), chromedp.WaitVisible(byLabel("Name")))
	if !redirectShown("web, the default") {
		t.Fatal("the redirect URIs are hidden for a web application")
	}
	mustDo(t, ctx, "choose machine-to-machine", chromedp.Click(choice("Machine-to-machine")))
	if redirectShown("machine") {
		t.Fatal("the redirect URIs are shown for a machine-to-machine application")
	}
	mustDo(t, ctx, "choose native", chromedp.Click(choice("Native or single-page application")))
	if !redirectShown("native") {
		t.Fatal("the redirect URIs stay hidden for a native application")
	}
	mustDo(t, ctx, "create a machine-to-machine application",
		chromedp.SendKeys(byLabel("Name"), "Nightly sync"),
		chromedp.Click(choice("Machine-to-machine")),
		chromedp.Click(choice("INVOICE.READ")),
		chromedp.Click(button("Create application")),
		chromedp.WaitVisible(chromedp.ID("client-secret")),
	)
	clientID := strings.TrimSpace(mustRun(t, ctx, "read the client id", chromedp.Text(chromedp.ID("client-id"))))
	created := strings.TrimSpace(mustRun(t, ctx, "read the client secret", chromedp.Text(chromedp.ID("client-secret"))))
	mustLocation(t, ctx, env.URL+"/apps/"+clientID)

	secretGone := func(what string) {
		t.Helper()
		mustDo(t, ctx, what, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("client-id")))
		mustLocation(t, ctx, env.URL+"/apps/"+clientID)
		if shown := mustRun(t, ctx, what+": look for the secret", chromedp.Evaluate[bool](`document.getElementById("client-secret") !== null`)); shown {
			t.Fatalf("%s: the secret is shown again", what)
		}
	}
	secretGone("reload after create")
	u, err := env.Store.UserByEmail(t.Context(), developer)
	if err != nil {
		t.Fatal(err)
	}
	if apps, err := env.Store.ClientsByOwner(t.Context(), u.ID); err != nil || len(apps) != 1 {
		t.Fatalf("%d applications after the reload (%v), want 1", len(apps), err)
	}

	mustDo(t, ctx, "rotate, retiring the current secret now",
		chromedp.Click(button("Rotate secret")),
		chromedp.WaitVisible(byLabel("Keep the current secret working for")),
		chromedp.SetValue(byLabel("Keep the current secret working for"), "now"),
		chromedp.Click(button("Rotate secret")),
		chromedp.WaitVisible(chromedp.ID("client-secret")),
	)
	rotated := strings.TrimSpace(mustRun(t, ctx, "read the rotated secret", chromedp.Text(chromedp.ID("client-secret"))))
	if rotated == "" || rotated == created {
		t.Fatalf("rotated secret %q", rotated)
	}
	secretGone("reload after rotate")
	c, err := env.Store.ClientByID(t.Context(), clientID)
	if err != nil || len(c.Secrets) != 1 || c.Secrets[0].Hash != models.HashToken(rotated) {
		t.Fatalf("client %+v, %v: want one working secret, the one shown", c, err)
	}
	tok := mustRedeem(t, env.URL, clientID, rotated, url.Values{"grant_type": {"client_credentials"}, "scope": {"INVOICE.READ"}})
	if tok.AccessToken == "" {
		t.Fatal("the copied secret got no access token")
	}
}
