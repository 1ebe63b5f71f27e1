package pages_test

import (
	"bytes"
	"context"
	"reflect"
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

// moveLinks sets every link a view carries (the fields of layout.Links and pages.AppLinks, and
// every string field named …URL, in rows too) to "/moved/<field>", so a page that still spells
// a portal path shows up as a link outside /moved/.
func moveLinks(v reflect.Value, inLinks bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			moveLinks(v.Elem(), false)
		}
	case reflect.Slice:
		for i := range v.Len() {
			moveLinks(v.Index(i), false)
		}
	case reflect.Struct:
		links := v.Type() == reflect.TypeFor[layout.Links]() || v.Type() == reflect.TypeFor[pages.AppLinks]()
		for i := range v.NumField() {
			f, name := v.Field(i), v.Type().Field(i).Name
			if f.Kind() == reflect.String && (links || strings.HasSuffix(name, "URL")) {
				f.SetString("/moved/" + name)
				continue
			}
			moveLinks(f, links)
		}
	}
}

// Issue 9, item 4: pages build no portal path of their own; every link and form action comes
// from the view model, which handlers fill from the route table. The static assets and the
// consent page's "Not you?" form (whose literal action a page test pins) are the exceptions.
func TestPagesLinkOnlyThroughTheirViewModels(t *testing.T) {
	user := &layout.User{Email: "admin@example.com", IsAdmin: true}
	base := layout.Base{Title: "Page", User: user, CSRF: "tok"}
	app := pages.AppView{Base: base, ID: "dp_1", Name: "Shop", Heading: "Shop", Confidential: true,
		Secrets: []pages.SecretRow{{ID: 7, Hint: "abcd"}}}
	for name, view := range map[string]any{
		"home":            &pages.HomeView{Base: layout.Base{Title: "Home"}},
		"login":           &pages.LoginView{Base: base},
		"login with next": &pages.LoginView{Base: base, Next: "/apps"},
		"signup":          &pages.SignupView{Base: base, Next: "/apps"},
		"account":         &pages.AccountView{Base: base},
		"error":           &pages.ErrorView{Base: base, Status: 404, Heading: "Not found"},
		"docs":            &pages.DocsView{Base: base},
		"guide":           &pages.GuideView{Base: base, Title: "Guide"},
		"api reference":   &pages.APIReferenceView{Base: base, Title: "API"},
		"apps":            &pages.AppsView{Base: base, Apps: []pages.AppRow{{ID: "dp_1", Name: "Shop"}}},
		"no apps":         &pages.AppsView{Base: base},
		"new app":         &pages.AppFormView{Base: base, Type: "web"},
		"app":             &app,
		"rotate":          &pages.RotateView{Base: base, ID: "dp_1", Name: "Shop"},
		"activity":        &pages.ActivityView{Base: base, App: pages.AppTab{ID: "dp_1", Name: "Shop"}},
		"authorized apps": &pages.AuthorizedAppsView{Base: base, Apps: []pages.AuthorizedAppRow{{ClientID: "dp_1", Name: "Shop"}}},
		"admin clients": &pages.AdminClientsView{Base: base, Query: "x", Clients: []pages.AdminClientRow{
			{ID: "dp_1", Active: true, Confidential: true}, {ID: "dp_2", Suspended: true}}},
		"admin scopes": &pages.AdminScopesView{Base: base,
			Scopes:   []pages.AdminScopeRow{{Name: "INVOICE.READ"}},
			Requests: []pages.ScopeRequestRow{{ClientID: "dp_1", Scope: "INVOICE.READ"}}},
		"admin scope": &pages.AdminScopeView{Base: base, Form: pages.ScopeForm{Name: "INVOICE.READ"}},
		"admin users": &pages.AdminUsersView{Base: base, Query: "x", Users: []pages.AdminUserRow{
			{ID: "1", Email: "a@example.com"}, {ID: "2", Email: "b@example.com", IsAdmin: true, Disabled: true}}},
		"admin audit": &pages.AdminAuditView{Base: base, Actor: "a", Events: []pages.AuditRow{{Actor: "a", Target: "t"}}},
		"consent":     &pages.ConsentView{Base: base, AppName: "Shop", Initial: "S"},
	} {
		t.Run(name, func(t *testing.T) {
			moveLinks(reflect.ValueOf(view), false)
			doc := mustRender(t, mustPage(t, view))
			doc.Find("a[href], form[action]").Each(func(_ int, s *goquery.Selection) {
				link := s.AttrOr("href", s.AttrOr("action", ""))
				if !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "/moved/") {
					return
				}
				if name == "consent" && link == "/logout" && s.HasClass("switch-account") {
					return
				}
				t.Errorf("%s links to %q, a path the view model did not give it", goquery.NodeName(s), link)
			})
		})
	}
}

// mustPage is the page component of a view model.
func mustPage(t *testing.T, view any) templ.Component {
	t.Helper()
	switch v := view.(type) {
	case *pages.HomeView:
		return pages.Home(*v)
	case *pages.LoginView:
		return pages.Login(*v)
	case *pages.SignupView:
		return pages.Signup(*v)
	case *pages.AccountView:
		return pages.Account(*v)
	case *pages.ErrorView:
		return pages.ErrorPage(*v)
	case *pages.DocsView:
		return pages.Docs(*v)
	case *pages.GuideView:
		return pages.Guide(*v)
	case *pages.APIReferenceView:
		return pages.APIReference(*v)
	case *pages.AppsView:
		return pages.Apps(*v)
	case *pages.AppFormView:
		return pages.AppNew(*v)
	case *pages.AppView:
		return pages.App(*v)
	case *pages.RotateView:
		return pages.AppRotate(*v)
	case *pages.ActivityView:
		return pages.Activity(*v)
	case *pages.AuthorizedAppsView:
		return pages.AuthorizedApps(*v)
	case *pages.AdminClientsView:
		return pages.AdminClients(*v)
	case *pages.AdminScopesView:
		return pages.AdminScopes(*v)
	case *pages.AdminScopeView:
		return pages.AdminScope(*v)
	case *pages.AdminUsersView:
		return pages.AdminUsers(*v)
	case *pages.AdminAuditView:
		return pages.AdminAudit(*v)
	case *pages.ConsentView:
		return pages.Consent(*v)
	}
	t.Fatalf("no page for %T", view)
	return nil
}
