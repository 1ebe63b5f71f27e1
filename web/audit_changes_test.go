package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
)

// mustAuditEntries returns the audit entries of type typ about target, newest first.
func mustAuditEntries(t *testing.T, env *testEnv, typ, target string) []models.AuditEvent {
	t.Helper()
	evs, err := env.Store.AuditEvents(context.Background(), models.AuditFilter{Type: typ, Target: target})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// Issue 13 (the audit log records scope requests): a developer asking for a sensitive scope,
// at creation or in the settings, leaves one scope_request.created entry naming the scopes,
// by the developer. Saving the form again while the request waits adds none; asking again
// after a rejection files, and records, a new request.
func TestScopeRequestsAudited(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	dev := env.mustUser(t, "dev@example.com", false)
	admin := env.mustUser(t, "admin@example.com", true)
	for _, sc := range []string{"EWALLET.WRITE", "INVOICE.WRITE"} {
		if err := env.Store.UpdateScope(ctx, sc, "Sensitive for this test", true); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t, env.URL)
	b.mustLogin("dev@example.com")

	b.get("/apps/new")
	resp, body := b.post("/apps", url.Values{"name": {"Wallet"}, "type": {"web"}, "redirect_uris": {"https://wallet.example/cb"}, "scopes": {"INVOICE.READ", "EWALLET.WRITE"}})
	if resp.StatusCode >= 400 {
		t.Fatalf("create: %d\n%s", resp.StatusCode, body)
	}
	created, err := env.Store.AuditEvents(ctx, models.AuditFilter{Type: models.AuditAppCreated, Actor: "dev@example.com"})
	if err != nil || len(created) != 1 {
		t.Fatalf("app.created entries %+v (%v), want 1", created, err)
	}
	clientID := created[0].Target
	evs := mustAuditEntries(t, env, models.AuditScopeRequested, clientID)
	if len(evs) != 1 || evs[0].Detail != "EWALLET.WRITE" || evs[0].Actor != "dev@example.com" || evs[0].ActorID == nil || *evs[0].ActorID != dev.ID || evs[0].IP != "127.0.0.1" {
		t.Fatalf("after creating: %+v, want one entry by dev@example.com from 127.0.0.1 with detail EWALLET.WRITE", evs)
	}

	page := "/apps/" + clientID
	save := func(scopes ...string) {
		t.Helper()
		b.get(page)
		resp, body := b.post(page, url.Values{"name": {"Wallet"}, "redirect_uris": {"https://wallet.example/cb"}, "scopes": scopes})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save %v: %d\n%s", scopes, resp.StatusCode, body)
		}
	}
	save("INVOICE.READ", "EWALLET.WRITE", "INVOICE.WRITE") // EWALLET.WRITE is still pending
	evs = mustAuditEntries(t, env, models.AuditScopeRequested, clientID)
	if len(evs) != 2 || evs[0].Detail != "INVOICE.WRITE" {
		t.Fatalf("after asking for one more: %+v, want a second entry for INVOICE.WRITE only", evs)
	}
	save("INVOICE.READ", "EWALLET.WRITE", "INVOICE.WRITE")
	mustAuditCount(t, env, models.AuditScopeRequested, clientID, 2)

	if err := env.Store.DecideScopeRequest(ctx, clientID, "EWALLET.WRITE", false, admin.ID); err != nil {
		t.Fatal(err)
	}
	save("INVOICE.READ", "EWALLET.WRITE", "INVOICE.WRITE")
	evs = mustAuditEntries(t, env, models.AuditScopeRequested, clientID)
	if len(evs) != 3 || evs[0].Detail != "EWALLET.WRITE" {
		t.Fatalf("asking again after the rejection: %+v, want a third entry for EWALLET.WRITE", evs)
	}
}

// Issue 13 (the audit log records settings changes with before and after): saving an
// application's settings records each changed field as "field: before → after" (lists as what
// was added and removed) and leaves out the fields that did not change.
func TestAppSettingsAuditBeforeAfter(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	client, secret := env.mustClient(t, dev, models.ClientWeb, []string{"https://shop.example/cb"}, "INVOICE.READ")
	b := newBrowser(t, env.URL)
	b.mustLogin("dev@example.com")
	page := "/apps/" + client.ID
	b.get(page)
	resp, body := b.post(page, url.Values{
		"name": {"Shop"}, "logo_url": {"https://shop.example/logo.png"},
		"redirect_uris": {"http://127.0.0.1:8000/cb"}, "scopes": {"INVOICE.READ", "INVOICE.WRITE"}, "access_ttl": {"10m"},
	})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	evs := mustAuditEntries(t, env, models.AuditAppUpdated, client.ID)
	if len(evs) != 1 {
		t.Fatalf("%d app.updated entries, want 1", len(evs))
	}
	d := evs[0].Detail
	for _, want := range []string{
		`name: "Test web app" → "Shop"`,
		`logo_url: (none) → "https://shop.example/logo.png"`,
		`redirect_uris: removed "https://shop.example/cb", added "http://127.0.0.1:8000/cb"`,
		`scopes: added "INVOICE.WRITE"`,
		`access_ttl: default → 10m`,
	} {
		if !strings.Contains(d, want) {
			t.Errorf("detail %q lacks %q", d, want)
		}
	}
	for _, unchanged := range []string{"homepage_url", "privacy_url", "refresh_ttl", "allowed_origins", secret} {
		if strings.Contains(d, unchanged) {
			t.Errorf("detail %q mentions %q, which did not change", d, unchanged)
		}
	}
}

// Issue 13 (settings changes with before and after): an administrator's edit of a scope records
// the description and the sensitive flag as they were and as they are.
func TestScopeEditAuditBeforeAfter(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	env.mustUser(t, "admin@example.com", true)
	if err := env.Store.UpdateScope(ctx, "EWALLET.WRITE", "Pay from your e-wallet", false); err != nil {
		t.Fatal(err)
	}
	admin := newBrowser(t, env.URL)
	admin.mustLogin("admin@example.com")
	admin.get("/admin/scopes/EWALLET.WRITE")
	resp, body := admin.post("/admin/scopes/EWALLET.WRITE", url.Values{"description": {"Make payments from your e-wallet"}, "sensitive": {"true"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	evs := mustAuditEntries(t, env, models.AuditScopeUpdated, "EWALLET.WRITE")
	want := `description: "Pay from your e-wallet" → "Make payments from your e-wallet"; sensitive: no → yes`
	if len(evs) != 1 || evs[0].Detail != want || evs[0].Actor != "admin@example.com" {
		t.Fatalf("entries %+v, want one by admin@example.com with detail %q", evs, want)
	}

	admin.get("/admin/scopes/EWALLET.WRITE")
	admin.post("/admin/scopes/EWALLET.WRITE", url.Values{"description": {"Make payments from your e-wallet"}})
	if evs := mustAuditEntries(t, env, models.AuditScopeUpdated, "EWALLET.WRITE"); len(evs) != 2 || evs[0].Detail != "sensitive: yes → no" {
		t.Fatalf("entries %+v, want a second one saying only sensitive: yes → no", evs)
	}
}
