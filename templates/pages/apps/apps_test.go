package apps

import (
	"testing"

	"github.com/devportal/devportal/templates/layout"
	"github.com/devportal/devportal/templates/pages/pagetest"
	"github.com/devportal/devportal/templates/pages/shared"
)

func TestNewApplicationForm(t *testing.T) {
	doc := pagetest.MustRender(t, AppNew(AppFormView{
		Base:   layout.Base{Title: "New application", User: &layout.User{Email: "dev@example.com"}, CSRF: "tok"},
		Type:   "web",
		Scopes: []shared.ScopeOption{{Name: "INVOICE.READ", Description: "See invoices"}, {Name: "EWALLET.WRITE", Description: "Pay", Sensitive: true}},
		Errors: shared.Errors{"name": "Enter a name for the application."},
	}))
	pagetest.AssertAccessible(t, doc)
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
	if doc.Find(".choice-list .badge-sensitive").Length() != 1 {
		t.Error("sensitive scope not tagged")
	}
	// Issue #13: one line says what "sensitive" means, and the redirect URIs are marked for
	// app.js to hide while "Machine-to-machine" is chosen.
	if doc.Find("#sensitive-hint .badge-sensitive").Length() != 1 {
		t.Error("no line explaining sensitive scopes")
	}
	if doc.Find(`[data-hide-for-type="machine"] #redirect_uris`).Length() != 1 {
		t.Error("the redirect URIs are not marked to hide for machine apps")
	}
	if doc.Find(`button:contains("Create application")`).Length() != 1 {
		t.Error("no Create application button")
	}
}
