package pages_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/devportal/devportal/templates/layout"
	"github.com/devportal/devportal/templates/pages"
)

func mustRender(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// Every visible form control has a <label for> naming it, the way screen readers and the browser
// tests find fields, and no page carries inline script (the CSP would block it anyway).
func assertAccessible(t *testing.T, doc *goquery.Document) {
	t.Helper()
	doc.Find("input, select, textarea").Each(func(_ int, s *goquery.Selection) {
		if typ, _ := s.Attr("type"); typ == "hidden" {
			return
		}
		id, _ := s.Attr("id")
		if id == "" || doc.Find(`label[for="`+id+`"]`).Length() == 0 {
			html, _ := goquery.OuterHtml(s)
			t.Errorf("control without a label: %s", html)
		}
	})
	doc.Find("button").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Text()) == "" {
			t.Error("button without visible text")
		}
	})
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if src, _ := s.Attr("src"); src == "" {
			t.Error("inline script")
		}
	})
	if doc.Find("[style]").Length() > 0 {
		t.Error("inline style attribute")
	}
}

func TestConsentPage(t *testing.T) {
	doc := mustRender(t, pages.Consent(pages.ConsentView{
		Base:    layout.Base{Title: "Allow Shop?", CSRF: "tok"},
		AppName: "Shop <script>", Owner: "dev@example.com", Initial: "S", UserEmail: "me@example.com", SwitchNext: "/oauth/authorize?client_id=dp_1", Before: true,
		Scopes: []pages.ScopeOption{
			{Name: "INVOICE.READ", Description: "See your invoices", New: true},
			{Name: "INVOICE.WRITE", Description: "Create invoices"},
		},
		RedirectHost: "shop.example",
		Params:       []pages.Param{{Name: "client_id", Value: "dp_1"}, {Name: "state", Value: `a"b`}},
	}))
	assertAccessible(t, doc)
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

func TestNewApplicationForm(t *testing.T) {
	doc := mustRender(t, pages.AppNew(pages.AppFormView{
		Base:   layout.Base{Title: "New application", User: &layout.User{Email: "dev@example.com"}, CSRF: "tok"},
		Type:   "web",
		Scopes: []pages.ScopeOption{{Name: "INVOICE.READ", Description: "See invoices"}, {Name: "EWALLET.WRITE", Description: "Pay", Sensitive: true}},
		Errors: pages.Errors{"name": "Enter a name for the application."},
	}))
	assertAccessible(t, doc)
	for _, label := range []string{"Name", "Redirect URIs"} {
		if doc.Find(`label:contains("`+label+`")`).Length() == 0 {
			t.Errorf("no label %q", label)
		}
	}
	if inv, _ := doc.Find("#name").Attr("aria-invalid"); inv != "true" || doc.Find("#name-error").Text() == "" {
		t.Error("the name error is not tied to its field")
	}
	if doc.Find(`input[name="type"]`).Length() != 3 {
		t.Error("want three application types")
	}
	if doc.Find(".badge-sensitive").Length() != 1 {
		t.Error("sensitive scope not tagged")
	}
	if doc.Find(`button:contains("Create application")`).Length() != 1 {
		t.Error("no Create application button")
	}
}
