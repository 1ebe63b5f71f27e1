package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

// Issue #10 (OIDC Core §5.1, the name claim): sign-up takes an optional "Name" beside the
// unchanged "Email" and "Password"; a bad one is refused in place, a good one stored.
func TestSignupDisplayNameField(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	b := newBrowser(t, env.URL)
	_, body := b.get("/signup")
	for _, want := range []string{`<label for="email" class="required">Email</label>`, `<label for="password" class="required">Password</label>`,
		`<label for="name">Name</label>`, `id="name" name="name"`, ">Create account</button>"} {
		if !strings.Contains(body, want) {
			t.Errorf("/signup lacks %q", want)
		}
	}

	for name, tc := range map[string]struct{ value, want string }{
		"too long":          {strings.Repeat("n", models.MaxDisplayNameLength+1), "Use a name of at most 80 characters."},
		"control character": {"Ada\x07Lovelace", "A name cannot contain control characters or invalid text."},
	} {
		b.get("/signup")
		resp, body := b.post("/signup", url.Values{"email": {"refused@example.com"}, "password": {testPassword}, "name": {tc.value}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(htmlUnescape(body), tc.want) || !strings.Contains(body, `id="name-error"`) {
			t.Errorf("%s: status %d, want 422 with %q beside the field", name, resp.StatusCode, tc.want)
		}
		if !strings.Contains(body, `value="refused@example.com"`) {
			t.Errorf("%s: the form lost the email", name)
		}
	}
	if n, _ := env.Store.CountUsers(ctx); n != 0 {
		t.Fatalf("refused sign-ups created %d accounts", n)
	}

	for _, tc := range []struct{ email, name, want string }{
		{"named@example.com", "  Ada Lovelace  ", "Ada Lovelace"},
		{"nameless@example.com", "", ""},
	} {
		b := newBrowser(t, env.URL)
		b.get("/signup")
		form := url.Values{"email": {tc.email}, "password": {testPassword}}
		if tc.name != "" {
			form.Set("name", tc.name)
		}
		if resp, body := b.post("/signup", form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-up %s: %d\n%s", tc.email, resp.StatusCode, body)
		}
		u, err := env.Store.Authenticate(ctx, tc.email, testPassword)
		if err != nil || u.DisplayName != tc.want {
			t.Fatalf("%s: stored %+v, %v; want name %q", tc.email, u, err, tc.want)
		}
		if _, body := b.get("/account"); !strings.Contains(body, `id="display_name" name="display_name"`) || !strings.Contains(body, `value="`+tc.want+`"`) {
			t.Errorf("%s: the account page does not show the name %q", tc.email, tc.want)
		}
	}
}

// The account page's "Display name" form (POST /account/profile) refuses a bad name in place
// with 422, saves a good one, audits the change and says so.
func TestAccountDisplayName(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	u := env.mustUser(t, "me@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin("me@example.com")

	_, body := b.get("/account")
	for _, want := range []string{`<label for="display_name">Display name</label>`, ">Save name</button>", `action="/account/profile"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/account lacks %q", want)
		}
	}
	for name, tc := range map[string]struct{ value, want string }{
		"too long":          {strings.Repeat("n", models.MaxDisplayNameLength+1), "Use a name of at most 80 characters."},
		"control character": {"Ada\x1b[31mLovelace", "A name cannot contain control characters or invalid text."},
		"line break":        {"Ada\r\nLovelace", "A name cannot contain control characters or invalid text."},
	} {
		b.get("/account")
		resp, body := b.post("/account/profile", url.Values{"display_name": {tc.value}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(htmlUnescape(body), tc.want) ||
			!strings.Contains(body, `id="display_name-error"`) || !strings.Contains(body, `aria-invalid="true"`) {
			t.Errorf("%s: status %d, want 422 with %q beside the field", name, resp.StatusCode, tc.want)
		}
	}
	if got, _ := env.Store.UserByID(ctx, u.ID); got.DisplayName != "" {
		t.Fatalf("a refused name was saved: %q", got.DisplayName)
	}
	mustAuditCount(t, env, models.AuditProfileChanged, u.Email, 0)

	b.get("/account")
	resp, _ := b.post("/account/profile", url.Values{"display_name": {" Grace Hopper "}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
		t.Fatalf("save: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got, _ := env.Store.UserByID(ctx, u.ID); got.DisplayName != "Grace Hopper" {
		t.Fatalf("stored %q, want Grace Hopper", got.DisplayName)
	}
	if _, body := b.get("/account"); !strings.Contains(body, "Your display name was saved.") || !strings.Contains(body, `value="Grace Hopper"`) {
		t.Error("the account page does not show the saved name and its flash")
	}
	mustAuditCount(t, env, models.AuditProfileChanged, u.Email, 1)

	t.Run("a forged post without the CSRF token changes nothing", func(t *testing.T) {
		resp, _ := b.postExactly("/account/profile", url.Values{"display_name": {"Mallory"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", resp.StatusCode)
		}
		if got, _ := env.Store.UserByID(ctx, u.ID); got.DisplayName != "Grace Hopper" {
			t.Errorf("stored %q", got.DisplayName)
		}
	})
}

// Issue #10: the settings of a web or native application take "Post-logout redirect URIs"
// (OpenID Connect RP-Initiated Logout 1.0 §3.1, matched exactly, validated like the redirect
// URIs) and an "ID token signing algorithm" (OIDC Registration §2 id_token_signed_response_alg,
// RS256 by default); the page shows the issuer and discovery URL (OIDC Discovery §4).
func TestAppOpenIDSettings(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	dev := env.mustUser(t, "dev@example.com", false)
	owner := newBrowser(t, env.URL)
	owner.mustLogin("dev@example.com")
	redirect := "https://shop.example/cb"
	client, _ := env.mustClient(t, dev, models.ClientWeb, []string{redirect}, "INVOICE.READ", "openid", "email")
	page := "/apps/" + client.ID

	_, body := owner.get(page)
	for _, want := range []string{
		`<label for="post_logout_redirect_uris">Post-logout redirect URIs</label>`, `<label for="id_token_signed_response_alg">ID token signing algorithm</label>`,
		`<option value="" selected>RS256 (default)</option>`, `<option value="ES256">ES256</option>`,
		`<code id="issuer">` + env.URL + `</code>`, `<code id="discovery-url">` + env.URL + `/.well-known/openid-configuration</code>`,
		`<code id="openid-scopes">openid email</code>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the application page lacks %q", want)
		}
	}

	valid := func() url.Values {
		return url.Values{"name": {client.Name}, "redirect_uris": {redirect}, "scopes": {"INVOICE.READ", "openid", "email"},
			"post_logout_redirect_uris": {"https://shop.example/bye\r\nhttp://127.0.0.1:8000/bye"}, "id_token_signed_response_alg": {"ES256"}}
	}
	for _, tc := range []struct{ field, value, want string }{
		{"post_logout_redirect_uris", "http://shop.example/bye", "http is allowed only for loopback hosts"},
		{"post_logout_redirect_uris", "com.example.app:/bye", "private-use schemes are for native applications only"},
		{"post_logout_redirect_uris", "https://shop.example/bye#x", "must not contain a fragment"},
		{"post_logout_redirect_uris", manyURIs(oauth.MaxRedirectURIs + 1), "Register at most 10 post-logout redirect URIs."},
		{"id_token_signed_response_alg", "HS256", "Choose RS256 or ES256."},
		{"id_token_signed_response_alg", "none", "Choose RS256 or ES256."},
	} {
		form := valid()
		form.Set(tc.field, tc.value)
		owner.get(page)
		resp, body := owner.post(page, form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(htmlUnescape(body), tc.want) || !strings.Contains(body, `id="`+tc.field+`-error"`) {
			t.Errorf("%s=%.40q: status %d, want 422 with %q beside the field", tc.field, tc.value, resp.StatusCode, tc.want)
		}
	}
	if c, _ := env.Store.ClientByID(ctx, client.ID); len(c.PostLogoutRedirectURIs) != 0 || c.IDTokenSignedResponseAlg != "" {
		t.Fatalf("a refused edit was saved: %+v", c)
	}

	owner.get(page)
	if resp, body := owner.post(page, valid()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	c, err := env.Store.ClientByID(ctx, client.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.IDTokenSignedResponseAlg != "ES256" || strings.Join(c.PostLogoutRedirectURIs, " ") != "https://shop.example/bye http://127.0.0.1:8000/bye" {
		t.Fatalf("stored alg %q, post-logout URIs %v", c.IDTokenSignedResponseAlg, c.PostLogoutRedirectURIs)
	}
	_, body = owner.get(page)
	if !strings.Contains(body, ">https://shop.example/bye\nhttp://127.0.0.1:8000/bye</textarea>") || !strings.Contains(body, `<option value="ES256" selected>ES256</option>`) {
		t.Error("the page does not show the saved post-logout URIs and algorithm")
	}
	evs, err := env.Store.AuditEvents(ctx, models.AuditFilter{Type: models.AuditAppUpdated, Target: client.ID})
	if err != nil || len(evs) != 1 || !strings.Contains(evs[0].Detail, "post_logout_redirect_uris") || !strings.Contains(evs[0].Detail, "id_token_signed_response_alg") {
		t.Errorf("audit %+v, %v; want one event naming both fields", evs, err)
	}

	form := valid()
	form.Set("id_token_signed_response_alg", "")
	form.Set("post_logout_redirect_uris", "")
	owner.get(page)
	owner.post(page, form)
	if c, _ := env.Store.ClientByID(ctx, client.ID); c.IDTokenSignedResponseAlg != "" || len(c.PostLogoutRedirectURIs) != 0 {
		t.Errorf("back to the defaults: stored %q %v", c.IDTokenSignedResponseAlg, c.PostLogoutRedirectURIs)
	}

	t.Run("machine applications have neither field nor the panel", func(t *testing.T) {
		m, _ := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
		_, body := owner.get("/apps/" + m.ID)
		for _, absent := range []string{"Post-logout redirect URIs", "ID token signing algorithm", `id="issuer"`, "Sign in with OpenID Connect"} {
			if strings.Contains(body, absent) {
				t.Errorf("the machine application's page shows %q", absent)
			}
		}
	})
}

// OIDC Core §3.1.2.1: openid (and profile, email, offline_access with it) asks about a signed-in
// user, which client credentials never have. The forms group these scopes apart and refuse them
// for machine-to-machine applications, at registration and in the settings.
func TestSignInScopesInAppForms(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	dev := env.mustUser(t, "dev@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin("dev@example.com")

	_, body := b.get("/apps/new")
	signIn, api := strings.Index(body, "Sign-in (OpenID Connect)"), strings.Index(body, "API access")
	if signIn < 0 || api < signIn {
		t.Fatalf("the new-application form does not group the sign-in scopes before the API scopes (at %d and %d)", signIn, api)
	}
	last := signIn
	for _, sc := range models.StandardScopes { // in their usual order: openid, profile, email, offline_access
		at := strings.Index(body, `<strong class="mono">`+sc+`</strong>`)
		if at < last || at > api {
			t.Errorf("%s is not in the sign-in group, after the scopes before it in %v", sc, models.StandardScopes)
		}
		last = at
	}
	if at := strings.Index(body, `<strong class="mono">INVOICE.READ</strong>`); at < api {
		t.Error("INVOICE.READ is not in the API group")
	}

	for _, sc := range models.StandardScopes {
		b.get("/apps/new")
		resp, body := b.post("/apps", url.Values{"name": {"Batch"}, "type": {"machine"}, "scopes": {"INVOICE.READ", sc}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(htmlUnescape(body), oauth.MachineSignInScopes) {
			t.Errorf("machine app with %s: status %d, want 422 with %q", sc, resp.StatusCode, oauth.MachineSignInScopes)
		}
	}
	b.get("/apps/new")
	if resp, body := b.post("/apps", url.Values{"name": {"Site"}, "type": {"web"}, "redirect_uris": {"https://site.example/cb"},
		"scopes": {"openid", "profile", "email", "offline_access", "INVOICE.READ"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("web app with the sign-in scopes: %d\n%s", resp.StatusCode, body)
	}
	apps, err := env.Store.ClientsByOwner(ctx, dev.ID)
	if err != nil || len(apps) != 1 || apps[0].Type != models.ClientWeb {
		t.Fatalf("applications %+v, %v; want the web one only", apps, err)
	}

	m, _ := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
	page := "/apps/" + m.ID
	_, body = b.get(page)
	if !strings.Contains(body, "Sign-in (OpenID Connect)") || !strings.Contains(body, "API access") {
		t.Error("the settings form does not group the scopes")
	}
	resp, body := b.post(page, url.Values{"name": {m.Name}, "scopes": {"INVOICE.READ", "openid"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(htmlUnescape(body), oauth.MachineSignInScopes) {
		t.Errorf("machine settings with openid: status %d, want 422 with %q", resp.StatusCode, oauth.MachineSignInScopes)
	}
	if c, _ := env.Store.ClientByID(ctx, m.ID); c.Scopes.String() != "INVOICE.READ" {
		t.Errorf("stored scopes %q", c.Scopes.String())
	}
}

// Issue #10 (OIDC Core §5.4, §11): the standard scopes stay in the catalog. The admin page
// badges them "Standard" and offers no "Retire"; a typed confirmation link or a forged
// retirement is refused with the store's ErrForbidden message as an error flash (the page's way
// of refusing a retirement) and changes nothing; their description stays editable.
func TestAdminStandardScopes(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	env.mustUser(t, "admin@example.com", true)
	b := newBrowser(t, env.URL)
	b.mustLogin("admin@example.com")

	_, body := b.get("/admin/scopes")
	for _, sc := range append(models.StandardScopes, "INVOICE.READ") {
		row := scopeRow(t, body, sc)
		standard := sc != "INVOICE.READ"
		if strings.Contains(row, ">Standard</span>") != standard {
			t.Errorf("%s: Standard badge shown = %v, want %v", sc, !standard, standard)
		}
		if strings.Contains(row, ">Retire</button>") == standard {
			t.Errorf("%s: Retire button shown = %v, want %v", sc, standard, !standard)
		}
	}

	const refused = "openid is a standard OpenID Connect scope and stays in the catalog."
	resp, _ := b.get("/admin/scopes/openid/retire")
	if body := b.follow(resp); resp.Header.Get("Location") != "/admin/scopes" || !strings.Contains(body, refused) || strings.Contains(body, ">Retire scope</button>") {
		t.Errorf("confirm page: %d to %q, want the catalog saying %q", resp.StatusCode, resp.Header.Get("Location"), refused)
	}
	b.get("/admin/scopes")
	resp, _ = b.post("/admin/scopes/openid/retire", url.Values{})
	if body := b.follow(resp); resp.Header.Get("Location") != "/admin/scopes" || !strings.Contains(body, refused) {
		t.Errorf("forged retirement: %d to %q, want the catalog saying %q", resp.StatusCode, resp.Header.Get("Location"), refused)
	}
	if active, err := env.Store.ActiveScopes(ctx); err != nil || !containsScope(active, "openid") {
		t.Fatalf("openid left the catalog: %v", err)
	}
	mustAuditCount(t, env, models.AuditScopeRetired, "openid", 0)

	_, body = b.get("/admin/scopes/openid")
	if !strings.Contains(body, ">Standard</span>") || !strings.Contains(body, ">Save scope</button>") {
		t.Error("the edit page of openid lacks its badge or its form")
	}
	resp, _ = b.post("/admin/scopes/openid", url.Values{"description": {"Sign you in with your devportal account"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit description: %d", resp.StatusCode)
	}
	if found, _ := env.Store.ScopesByName(ctx, []string{"openid"}); len(found) != 1 || found[0].Description != "Sign you in with your devportal account" {
		t.Errorf("stored %+v", found)
	}
}

// manyURIs is n distinct post-logout URIs, one per line.
func manyURIs(n int) string {
	uris := make([]string, n)
	for i := range uris {
		uris[i] = "https://shop.example/bye/" + strconv.Itoa(i)
	}
	return strings.Join(uris, "\n")
}

// scopeRow is the admin catalog's table row of scope name.
func scopeRow(t *testing.T, body, name string) string {
	t.Helper()
	start := strings.Index(body, "<td><code>"+name+"</code></td>")
	if start < 0 {
		t.Fatalf("no row for %s", name)
	}
	end := strings.Index(body[start:], "</tr>")
	return body[start : start+end]
}

func containsScope(scopes []models.Scope, name string) bool {
	for _, s := range scopes {
		if s.Name == name {
			return true
		}
	}
	return false
}
