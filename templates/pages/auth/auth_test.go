package auth_test

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/devportal/devportal/templates/layout"
	"github.com/devportal/devportal/templates/pages/auth"
	"github.com/devportal/devportal/templates/pages/pagetest"
	"github.com/devportal/devportal/templates/pages/shared"
)

func TestConsentPage(t *testing.T) {
	doc := pagetest.MustRender(t, auth.Consent(auth.ConsentView{
		Base:    layout.Base{Title: "Allow Shop?", CSRF: "tok"},
		AppName: "Shop <script>", Owner: "dev@example.com", Initial: "S", UserEmail: "me@example.com", SwitchNext: "/oauth/authorize?client_id=dp_1", Before: true,
		Scopes: []shared.ScopeOption{
			{Name: "INVOICE.READ", Description: "See your invoices", New: true},
			{Name: "INVOICE.WRITE", Description: "Create invoices"},
		},
		RedirectHost: "shop.example",
		Params:       []auth.Param{{Name: "client_id", Value: "dp_1"}, {Name: "state", Value: `a"b`}},
	}))
	pagetest.AssertAccessible(t, doc)
	if got := doc.Find("h1").Text(); !strings.Contains(got, "Shop <script>") || !strings.Contains(got, "wants to access your account") {
		t.Errorf("heading %q", got)
	}
	if doc.Find("script:not([src])").Length() > 0 {
		t.Error("the app name was not escaped")
	}
	if doc.Find(`button:contains("Allow")`).Length() != 1 || doc.Find(`button:contains("Deny")`).Length() != 1 {
		t.Error("want exactly one Allow and one Deny button")
	}
	if doc.Find(".scope-list li").Length() != 2 || doc.Find(".badge-new").Length() != 1 {
		t.Error("want two scopes, one of them marked new")
	}
	if v, _ := doc.Find(`input[name="state"]`).Attr("value"); v != `a"b` {
		t.Errorf("state round-trips as %q", v)
	}
	if v, _ := doc.Find(`input[name="csrf_token"]`).Attr("value"); v != "tok" {
		t.Error("consent form without the CSRF token")
	}
	if !strings.Contains(doc.Find(".redirect-note").Text(), "shop.example") {
		t.Error("the redirect host is not named")
	}
	// "Not you?" signs out (a POST with the CSRF token) and comes back to the same request.
	sw := doc.Find(`form[action="/logout"]`)
	if sw.Find(`button:contains("Not you?")`).Length() != 1 || sw.Find(`input[name="csrf_token"]`).Length() != 1 {
		t.Error(`"Not you?" is not a sign-out form with a CSRF token`)
	}
	if v, _ := sw.Find(`input[name="next"]`).Attr("value"); v != "/oauth/authorize?client_id=dp_1" {
		t.Errorf(`"Not you?" returns to %q`, v)
	}
	if !strings.Contains(doc.Text(), "You allowed this app before") {
		t.Error("a repeat consent does not say the app was allowed before")
	}
}

// consentFor renders the consent page for v, with the fields every case shares.
func consentFor(t *testing.T, v auth.ConsentView) *goquery.Document {
	t.Helper()
	v.Base = layout.Base{Title: "Allow?", CSRF: "tok", Links: layout.Links{AuthorizedApps: "/account/apps"}}
	if v.UserEmail == "" {
		v.UserEmail = "me@example.com"
	}
	if v.ClientID == "" {
		v.ClientID = "dp_1"
	}
	v.Initial = auth.Initial(v.AppName)
	v.RedirectHost = "shop.example"
	v.Params = []auth.Param{{Name: "client_id", Value: v.ClientID}}
	doc := pagetest.MustRender(t, auth.Consent(v))
	pagetest.AssertAccessible(t, doc)
	return doc
}

// Issue 13 (the consent page, worthy of trust): the application is shown apart from the
// sentence (logo over a coloured initial, the name cut by CSS with the full name in a tooltip
// and, for screen readers, in visually hidden text), the heading is one short sentence, and the
// publisher carries its verification state.
func TestConsentShowsTheAppApartFromTheSentence(t *testing.T) {
	long := strings.Repeat("Acme Invoicing Connector ", 8) + "Pro"
	doc := consentFor(t, auth.ConsentView{AppName: long, Owner: "dev@example.com", LogoURL: "https://shop.example/logo.png",
		Scopes: []shared.ScopeOption{{Name: "INVOICE.READ", Description: "See your invoices"}}})

	app := doc.Find(".consent-app")
	if app.Length() != 1 || app.Closest("h1").Length() != 0 || app.Find("h1").Length() != 0 {
		t.Fatal("the application is not shown apart from the heading")
	}
	name := app.Find(".consent-app-name")
	if title, _ := name.Attr("title"); title != long {
		t.Errorf("the cut name's tooltip is %q, want the full name", title)
	}
	if got := name.Find(".visually-hidden").Text(); got != long {
		t.Errorf("screen readers get %q, want the full name", got)
	}
	if v, _ := name.Find(`[aria-hidden="true"]`).Attr("aria-hidden"); v != "true" || name.Find(`[aria-hidden="true"]`).Text() != long {
		t.Error("the visible copy of the name is not hidden from screen readers (they would hear it twice)")
	}
	// The logo lies over the initial, which stays in the page for when the logo fails.
	logo := app.Find(".consent-logo")
	if logo.Find(".consent-initial").Text() != "A" || logo.Find(`img[data-fallback][src="https://shop.example/logo.png"]`).Length() != 1 {
		t.Errorf("want the logo over the initial A: %s", mustHTML(t, logo))
	}
	// consent.js must be loaded before the logo to see its load error, however early it comes.
	if html := mustHTML(t, doc.Find("body")); !strings.Contains(html, `<script src="/static/js/consent.js"></script>`) ||
		strings.Index(html, "consent.js") > strings.Index(html, "logo.png") {
		t.Error("consent.js is missing or loaded after the logo")
	}

	h1 := doc.Find("h1")
	if got := strings.Join(strings.Fields(h1.Text()), " "); got != long+" wants to access your account" {
		t.Errorf("heading %q, want the name and one short sentence", got)
	}
	if title, _ := h1.Find(".consent-name").Attr("title"); title != long {
		t.Errorf("the heading's name has tooltip %q, want the full name", title)
	}
	if !strings.Contains(app.Find(".consent-publisher").Text(), "dev@example.com") || app.Find(".consent-publisher .badge").Text() != "Unverified publisher" {
		t.Errorf("publisher: %q", app.Find(".consent-publisher").Text())
	}
	if strings.Contains(h1.Text(), "dev@example.com") {
		t.Error("the publisher is still in the heading")
	}
	revoke := doc.Find(".revoke-note")
	if !strings.Contains(revoke.Text(), "You can revoke this at any time in Account → Authorized applications") ||
		revoke.Find(`a[href="/account/apps"]`).Length() != 1 {
		t.Errorf("revoke note: %q", revoke.Text())
	}
	if got := strings.Join(strings.Fields(doc.Find(".redirect-note").Text()), " "); got != "You will be redirected to shop.example" {
		t.Errorf("redirect note %q", got)
	}
	if doc.Find(".consent-links").Length() != 0 {
		t.Error("links shown for a client that has none")
	}
	if strings.Contains(doc.Find(".consent-lead").Text(), long) {
		t.Error("the sentence above the scopes repeats the long name")
	}

	t.Run("verified publisher, links, no logo", func(t *testing.T) {
		doc := consentFor(t, auth.ConsentView{AppName: "shop", Owner: "dev@example.com", OwnerVerified: true,
			HomepageURL: "https://shop.example", TermsURL: "https://shop.example/terms"})
		if got := doc.Find(".consent-publisher .badge").Text(); got != "Verified publisher" {
			t.Errorf("badge %q", got)
		}
		if doc.Find(".consent-logo img").Length() != 0 || doc.Find(".consent-initial").Text() != "S" {
			t.Error("without a logo, want the initial alone")
		}
		links := doc.Find(".consent-links")
		if links.Find(`a[href="https://shop.example"]`).Text() != "Website" || links.Find(`a[href="https://shop.example/terms"]`).Text() != "Terms of service" ||
			links.Find("a").Length() != 2 {
			t.Errorf("links: %s", mustHTML(t, links))
		}
	})

	t.Run("sign-in only", func(t *testing.T) {
		doc := consentFor(t, auth.ConsentView{AppName: "Shop", SignIn: true, Scopes: []shared.ScopeOption{{Name: "openid", Description: "Sign you in"}}})
		if got := strings.Join(strings.Fields(doc.Find("h1").Text()), " "); got != "Sign in to Shop as me@example.com" {
			t.Errorf("heading %q", got)
		}
		if doc.Find(`button:contains("Allow")`).Length() != 1 || doc.Find(`form[action="/logout"] button:contains("Not you?")`).Length() != 1 {
			t.Error("Allow or Not you? missing")
		}
	})
}

// Issue 13: a request for more than the user allowed before says it wants additional access,
// lists only the new scopes as the question, and what was already allowed apart.
func TestConsentAdditionalAccess(t *testing.T) {
	doc := consentFor(t, auth.ConsentView{AppName: "Shop", Additional: true,
		Scopes:  []shared.ScopeOption{{Name: "INVOICE.WRITE", Description: "Create invoices", New: true}},
		Granted: []shared.ScopeOption{{Name: "INVOICE.READ", Description: "See your invoices"}, {Name: "openid", Description: "Sign you in"}}})
	if got := strings.Join(strings.Fields(doc.Find("h1").Text()), " "); got != "Shop wants additional access to your account" {
		t.Errorf("heading %q", got)
	}
	if got := doc.Find(".scope-list li .scope-name").Text(); got != "INVOICE.WRITE" || doc.Find(".scope-list .badge-new").Length() != 1 {
		t.Errorf("the question lists %q, want only the new INVOICE.WRITE, marked new", got)
	}
	granted := doc.Find(".consent-granted")
	if !strings.HasPrefix(strings.TrimSpace(granted.Text()), "You already allowed:") || granted.Find("li").Length() != 2 ||
		!strings.Contains(granted.Text(), "See your invoices") || granted.Closest(".scope-list").Length() != 0 {
		t.Errorf("already allowed: %q", granted.Text())
	}

	first := consentFor(t, auth.ConsentView{AppName: "Shop", Scopes: []shared.ScopeOption{{Name: "INVOICE.READ", Description: "See your invoices"}}})
	if first.Find(".consent-granted").Length() != 0 || strings.Contains(first.Find("h1").Text(), "additional") {
		t.Error("a first request reads as additional access")
	}
}

// Issue 13: an application's initial has the same colour on every visit (derived from its
// client id, one of the palette app.css defines), and applications differ.
func TestConsentInitialColour(t *testing.T) {
	colour := func(id string) string {
		t.Helper()
		cls, _ := consentFor(t, auth.ConsentView{ClientID: id, AppName: "Shop"}).Find(".consent-logo").Attr("class")
		for _, c := range strings.Fields(cls) {
			if strings.HasPrefix(c, "logo-colour-") {
				return c
			}
		}
		t.Fatalf("no colour class in %q", cls)
		return ""
	}
	seen := map[string]bool{}
	for _, id := range []string{"dp_a1", "dp_b2", "dp_c3", "dp_d4", "dp_e5", "dp_f6", "dp_g7", "dp_h8"} {
		c := colour(id)
		if c != colour(id) {
			t.Errorf("%s: the colour changes between renders", id)
		}
		n := strings.TrimPrefix(c, "logo-colour-")
		if len(n) != 1 || n < "0" || n > "7" {
			t.Errorf("%s: %s is not in the palette", id, c)
		}
		seen[c] = true
	}
	if len(seen) < 2 {
		t.Errorf("eight applications share one colour: %v", seen)
	}
	for name, want := range map[string]string{"shop": "S", "  élan": "É", "42 apps": "4", "—": "?", "": "?"} {
		if got := auth.Initial(name); got != want {
			t.Errorf("Initial(%q) = %q, want %q", name, got, want)
		}
	}
}

func mustHTML(t *testing.T, s *goquery.Selection) string {
	t.Helper()
	html, err := goquery.OuterHtml(s)
	if err != nil {
		t.Fatal(err)
	}
	return html
}
