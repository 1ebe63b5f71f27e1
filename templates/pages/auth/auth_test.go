package auth_test

import (
	"strings"
	"testing"

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
