package web_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/devportal/devportal/models"
)

// consentLayout is what the browser measures on the consent page.
type consentLayout struct {
	AllowTop, AllowBottom float64 // the Allow button, relative to the viewport
	ViewportHeight        float64
	ScrollY               float64
	ScrollWidth           float64 // of the document: wider than the viewport means sideways scroll
	ClientWidth           float64
	NameCut               bool   // the heading's name is cut (its text is wider than its box)
	NameTitle             string // the heading name's tooltip
	LogoImages            int    // <img> left in the logo
	AtLogo                string // the class of what is drawn at the logo's centre
	AtLogoText            string
}

const measureConsent = `(() => {
	const allow = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'Allow');
	const r = allow.getBoundingClientRect();
	const name = document.querySelector('h1 .consent-name');
	const logo = document.querySelector('.consent-logo').getBoundingClientRect();
	const at = document.elementFromPoint(logo.left + logo.width / 2, logo.top + logo.height / 2);
	return {
		AllowTop: r.top, AllowBottom: r.bottom, ViewportHeight: window.innerHeight, ScrollY: window.scrollY,
		ScrollWidth: document.documentElement.scrollWidth, ClientWidth: document.documentElement.clientWidth,
		NameCut: name.scrollWidth > name.clientWidth, NameTitle: name.title,
		LogoImages: document.querySelectorAll('.consent-logo img').length,
		AtLogo: at ? at.className : '', AtLogoText: at ? at.textContent.trim() : '',
	};
})()`

// Issue 13 (the consent page, worthy of trust): on a 390 px phone, an application with a
// 200-character name and a logo that fails to load still shows "Allow" on the first screen,
// without sideways scrolling: the name is cut, with the full name in its tooltip, and the
// coloured initial takes the broken logo's place.
func TestBrowserConsentOnAPhone(t *testing.T) {
	chromium := mustChromium(t)
	env := newTestEnv(t)
	ctx := newChromium(t, chromium)
	app := newClientApp(t)

	name := strings.Repeat("Northwind Invoice Reconciliation Service ", 6)[:200]
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "user@example.com", false)
	client, _, err := env.Store.CreateClient(t.Context(), models.NewClient{Name: name, Type: models.ClientWeb, OwnerID: &dev.ID,
		RedirectURIs: []string{app.callback}, Scopes: []string{"INVOICE.READ", "INVOICE.WRITE"}})
	if err != nil {
		t.Fatal(err)
	}
	// A logo URL that answers 404 (the CSP allows the portal's own origin for images).
	mustUpdateClient(t, env, client.ID, func(p *models.ClientProfile) { p.LogoURL = env.URL + "/static/img/no-such-logo.png" })

	_, authURL := authorizationURL(env.URL, client.ID, app.callback, "INVOICE.READ INVOICE.WRITE", "phone")
	mustDo(t, ctx, "open the consent page on a 390 px phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(authURL),
		chromedp.SendKeys(byLabel("Email"), "user@example.com"),
		chromedp.SendKeys(byLabel("Password"), testPassword),
		chromedp.Click(button("Log in")),
		chromedp.WaitVisible(button("Allow")),
	)
	// The load event comes after the logo's request has failed and its error was handled.
	mustRun(t, ctx, "wait for the page to load", chromedp.Poll[bool](`document.readyState === "complete"`))
	got := mustRun(t, ctx, "measure the consent page", chromedp.Evaluate[consentLayout](measureConsent))
	saveScreenshot(t, ctx, "consent-390.png")

	if got.ScrollY != 0 || got.AllowTop < 0 || got.AllowBottom > got.ViewportHeight {
		t.Errorf("Allow spans %.0f–%.0f px of a %.0f px screen (scrolled %.0f); want it on the first screen", got.AllowTop, got.AllowBottom, got.ViewportHeight, got.ScrollY)
	}
	if got.ScrollWidth > got.ClientWidth {
		t.Errorf("the page is %.0f px wide on a %.0f px screen", got.ScrollWidth, got.ClientWidth)
	}
	if !got.NameCut || got.NameTitle != name {
		t.Errorf("heading name cut %v with tooltip %q; want it cut, with the full name in the tooltip", got.NameCut, got.NameTitle)
	}
	if got.LogoImages != 0 || !strings.Contains(got.AtLogo, "consent-initial") || got.AtLogoText != "N" {
		t.Errorf("broken logo: %d images left, %q (%q) drawn at its place; want the initial N", got.LogoImages, got.AtLogo, got.AtLogoText)
	}

	mustDo(t, ctx, "allow", chromedp.Click(button("Allow")), chromedp.WaitVisible(chromedp.Search(`//body[normalize-space()="callback ok"]`)))
	if q := app.mustReceive(t, ctx); q.Get("code") == "" || q.Get("state") != "phone" {
		t.Errorf("after Allow the application received %v", q)
	}

	// A logo that loads stays, drawn over the initial.
	logo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(onePixelPNG)
	}))
	t.Cleanup(logo.Close)
	mustUpdateClient(t, env, client.ID, func(p *models.ClientProfile) { p.LogoURL = logo.URL + "/logo.png" })
	mustDo(t, ctx, "ask again with a working logo", chromedp.Navigate(authURL+"&prompt=consent"), chromedp.WaitVisible(button("Allow")))
	mustRun(t, ctx, "wait for the page to load", chromedp.Poll[bool](`document.readyState === "complete"`))
	got = mustRun(t, ctx, "measure the consent page", chromedp.Evaluate[consentLayout](measureConsent))
	if got.LogoImages != 1 || got.AtLogo != "consent-logo-img" {
		t.Errorf("working logo: %d images, %q drawn at its place; want the logo", got.LogoImages, got.AtLogo)
	}
}

// onePixelPNG is a logo that loads.
var onePixelPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")
