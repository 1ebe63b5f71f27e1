package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
)

// Issue #13, "Forms and words", the new-application form: the redirect URIs are marked to be
// hidden for machine apps (app.js hides them; without scripts they show) and the server ignores
// them for a machine app; every bad redirect URI is reported at once, one list item per bad line
// naming the line; a line under the scopes says what "sensitive" means.
func TestNewAppFormIssue13(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin("dev@example.com")

	_, body := b.get("/apps/new")
	if !strings.Contains(body, `<div class="field" data-hide-for-type="machine"><label for="redirect_uris">Redirect URIs</label>`) {
		t.Error("the redirect URIs field is not marked to be hidden for machine-to-machine applications")
	}
	if !strings.Contains(htmlUnescape(body), "needs an administrator's approval") {
		t.Error("the form does not say what a sensitive scope is")
	}

	resp, _ := b.post("/apps", url.Values{"name": {"Batch"}, "type": {"machine"}, "redirect_uris": {"http://not-loopback.example/cb\r\nhttps://batch.example/cb"}, "scopes": {"INVOICE.READ"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("machine app with redirect URIs typed: %d, want 303 (they are ignored)", resp.StatusCode)
	}
	apps, err := env.Store.ClientsByOwner(context.Background(), dev.ID)
	if err != nil || len(apps) != 1 || len(apps[0].RedirectURIs) != 0 {
		t.Fatalf("applications %+v, %v: want one machine app without redirect URIs", apps, err)
	}

	b.get("/apps/new")
	typed := "http://shop.example/cb\r\nhttps://shop.example/ok\r\n\r\nhttps://shop.example/cb#top"
	resp, body = b.post("/apps", url.Values{"name": {"Shop"}, "type": {"web"}, "redirect_uris": {typed}, "scopes": {"INVOICE.READ"}})
	list := regexp.MustCompile(`(?s)<ul class="field-error field-error-list" id="redirect-error">(.*?)</ul>`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusUnprocessableEntity || list == nil {
		t.Fatalf("two bad redirect URIs: %d, want 422 with a list of errors\n%s", resp.StatusCode, body)
	}
	items := regexp.MustCompile(`<li>(.*?)</li>`).FindAllStringSubmatch(htmlUnescape(list[1]), -1)
	if len(items) != 2 || !strings.HasPrefix(items[0][1], "http://shop.example/cb http is allowed only for loopback hosts") || !strings.HasSuffix(items[0][1], "(line 1).") ||
		!strings.HasPrefix(items[1][1], "https://shop.example/cb#top must not contain a fragment") || !strings.HasSuffix(items[1][1], "(line 4).") {
		t.Fatalf("errors %q, want lines 1 and 4", items)
	}
	if !strings.Contains(htmlUnescape(body), ">"+typed+"</textarea>") {
		t.Error("the form lost the redirect URIs as typed")
	}
}

// Issue #13: the settings form shows a stored lifetime as a number in its largest exact unit
// (365 days rather than 8760h), and a rejected pair comes back as typed, unit included.
func TestAppLifetimeFields(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin("dev@example.com")
	client, _ := env.mustClient(t, dev, models.ClientWeb, []string{"https://shop.example/cb"}, "INVOICE.READ")
	page := "/apps/" + client.ID
	form := func(access, accessUnit, refresh, refreshUnit string) url.Values {
		return url.Values{"name": {"Shop"}, "redirect_uris": {"https://shop.example/cb"}, "scopes": {"INVOICE.READ"},
			"access_ttl": {access}, "access_ttl_unit": {accessUnit}, "refresh_ttl": {refresh}, "refresh_ttl_unit": {refreshUnit}}
	}
	selected := func(body, id, unit string) bool {
		sel := regexp.MustCompile(`(?s)<select id="` + id + `_unit".*?</select>`).FindString(body)
		return strings.Contains(sel, `<option value="`+unit+`" selected>`)
	}

	_, body := b.get(page)
	if !strings.Contains(body, `<label for="access_ttl_unit" class="visually-hidden">Access token lifetime unit</label>`) ||
		!selected(body, "access_ttl", "minutes") || !selected(body, "refresh_ttl", "days") || !strings.Contains(body, "Empty: the default, 15 minutes.") {
		t.Error("the lifetime fields lack a labelled unit select with the defaults' units")
	}

	b.get(page)
	if resp, _ := b.post(page, form("120", "minutes", "8760", "hours")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	c, _ := env.Store.ClientByID(context.Background(), client.ID)
	if c.AccessTTLSeconds == nil || *c.AccessTTLSeconds != 7200 || c.RefreshTTLSeconds == nil || *c.RefreshTTLSeconds != 8760*3600 {
		t.Fatalf("stored lifetimes %v %v", c.AccessTTLSeconds, c.RefreshTTLSeconds)
	}
	_, body = b.get(page)
	if !strings.Contains(body, `name="access_ttl" type="text" inputmode="numeric" value="2"`) || !selected(body, "access_ttl", "hours") ||
		!strings.Contains(body, `name="refresh_ttl" type="text" inputmode="numeric" value="365"`) || !selected(body, "refresh_ttl", "days") {
		t.Error("the stored lifetimes are not shown in their largest exact unit (2 hours, 365 days)")
	}

	b.get(page)
	resp, body := b.post(page, form("90", "hours", "", "days"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose between 1 minute and 1 day.") ||
		!strings.Contains(body, `value="90"`) || !selected(body, "access_ttl", "hours") {
		t.Fatalf("90 hours: %d, want 422 with the range, keeping 90 and hours", resp.StatusCode)
	}
}
