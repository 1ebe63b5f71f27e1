package pages_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/devportal/devportal/templates/layout"
	"github.com/devportal/devportal/templates/pages/account"
	"github.com/devportal/devportal/templates/pages/admin"
	"github.com/devportal/devportal/templates/pages/apps"
	"github.com/devportal/devportal/templates/pages/auth"
	"github.com/devportal/devportal/templates/pages/docs"
	"github.com/devportal/devportal/templates/pages/pagetest"
)

// moveLinks sets every link a view carries (the fields of layout.Links and apps.AppLinks, and
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
		links := v.Type() == reflect.TypeFor[layout.Links]() || v.Type() == reflect.TypeFor[apps.AppLinks]()
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
	app := apps.AppView{Base: base, ID: "dp_1", Name: "Shop", Heading: "Shop", Confidential: true,
		Secrets: []apps.SecretRow{{ID: 7, Hint: "abcd"}}}
	for name, view := range map[string]any{
		"home":            &auth.HomeView{Base: layout.Base{Title: "Home"}},
		"login":           &auth.LoginView{Base: base},
		"login with next": &auth.LoginView{Base: base, Next: "/apps"},
		"signup":          &auth.SignupView{Base: base, Next: "/apps"},
		"account":         &account.AccountView{Base: base},
		"error":           &auth.ErrorView{Base: base, Status: 404, Heading: "Not found"},
		"docs":            &docs.DocsView{Base: base},
		"guide":           &docs.GuideView{Base: base, Title: "Guide"},
		"api reference":   &docs.APIReferenceView{Base: base, Title: "API"},
		"apps":            &apps.AppsView{Base: base, Apps: []apps.AppRow{{ID: "dp_1", Name: "Shop"}}},
		"no apps":         &apps.AppsView{Base: base},
		"new app":         &apps.AppFormView{Base: base, Type: "web"},
		"app":             &app,
		"rotate":          &apps.RotateView{Base: base, ID: "dp_1", Name: "Shop"},
		"activity":        &apps.ActivityView{Base: base, App: apps.AppTab{ID: "dp_1", Name: "Shop"}},
		"authorized apps": &account.AuthorizedAppsView{Base: base, Apps: []account.AuthorizedAppRow{{ClientID: "dp_1", Name: "Shop"}}},
		"admin clients": &admin.AdminClientsView{Base: base, Query: "x", Clients: []admin.AdminClientRow{
			{ID: "dp_1", Active: true, Confidential: true}, {ID: "dp_2", Suspended: true}}},
		"admin scopes": &admin.AdminScopesView{Base: base,
			Scopes:   []admin.AdminScopeRow{{Name: "INVOICE.READ"}},
			Requests: []admin.ScopeRequestRow{{ClientID: "dp_1", Scope: "INVOICE.READ"}}},
		"admin scope": &admin.AdminScopeView{Base: base, Form: admin.ScopeForm{Name: "INVOICE.READ"}},
		"admin users": &admin.AdminUsersView{Base: base, Query: "x", Users: []admin.AdminUserRow{
			{ID: "1", Email: "a@example.com"}, {ID: "2", Email: "b@example.com", IsAdmin: true, Disabled: true}}},
		"admin audit": &admin.AdminAuditView{Base: base, Actor: "a", Events: []admin.AuditRow{{Actor: "a", Target: "t"}}},
		"consent":     &auth.ConsentView{Base: base, AppName: "Shop", Initial: "S"},
		"admin overview": &admin.OverviewView{Base: base, Requests: []admin.ScopeRequestRow{{ClientID: "dp_1", Scope: "INVOICE.READ"}},
			Events: []admin.AuditRow{{Actor: "a", Target: "dp_1", TargetName: "Shop"}}},
		"admin client": &admin.AdminClientView{Base: base, Client: admin.AdminClientRow{ID: "dp_1", Owner: "a@example.com", Active: true, Confidential: true},
			History: []admin.AuditRow{{Actor: "a", Target: "dp_1", TargetName: "Shop"}}, Audit: []admin.AuditRow{{Actor: "a", Target: "dp_1"}}},
		"admin user": &admin.AdminUserView{Base: base, User: admin.AdminUserRow{ID: "1", Email: "a@example.com", TwoFactor: true},
			Owned: []admin.OwnedAppRow{{ID: "dp_1", Name: "Shop"}}, Authorized: []admin.OwnedAppRow{{ID: "dp_2", Name: "Other"}}},
		"admin confirm": &admin.ConfirmView{Base: base, Heading: "Suspend Shop?", Button: "Suspend", Hidden: []admin.Hidden{{Name: "allow", Value: "1"}}},
	} {
		t.Run(name, func(t *testing.T) {
			moveLinks(reflect.ValueOf(view), false)
			doc := pagetest.MustRender(t, mustPage(t, view))
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
	case *auth.HomeView:
		return auth.Home(*v)
	case *auth.LoginView:
		return auth.Login(*v)
	case *auth.SignupView:
		return auth.Signup(*v)
	case *account.AccountView:
		return account.Account(*v)
	case *auth.ErrorView:
		return auth.ErrorPage(*v)
	case *docs.DocsView:
		return docs.Docs(*v)
	case *docs.GuideView:
		return docs.Guide(*v)
	case *docs.APIReferenceView:
		return docs.APIReference(*v)
	case *apps.AppsView:
		return apps.Apps(*v)
	case *apps.AppFormView:
		return apps.AppNew(*v)
	case *apps.AppView:
		return apps.App(*v)
	case *apps.RotateView:
		return apps.AppRotate(*v)
	case *apps.ActivityView:
		return apps.Activity(*v)
	case *account.AuthorizedAppsView:
		return account.AuthorizedApps(*v)
	case *admin.AdminClientsView:
		return admin.AdminClients(*v)
	case *admin.AdminScopesView:
		return admin.AdminScopes(*v)
	case *admin.AdminScopeView:
		return admin.AdminScope(*v)
	case *admin.AdminUsersView:
		return admin.AdminUsers(*v)
	case *admin.AdminAuditView:
		return admin.AdminAudit(*v)
	case *auth.ConsentView:
		return auth.Consent(*v)
	case *admin.OverviewView:
		return admin.Overview(*v)
	case *admin.AdminClientView:
		return admin.AdminClient(*v)
	case *admin.AdminUserView:
		return admin.AdminUser(*v)
	case *admin.ConfirmView:
		return admin.Confirm(*v)
	}
	t.Fatalf("no page for %T", view)
	return nil
}
