package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
)

// mustAuditCount checks how many audit events of typ name target.
func mustAuditCount(t *testing.T, env *testEnv, typ, target string, want int) {
	t.Helper()
	evs, err := env.Store.AuditEvents(context.Background(), models.AuditFilter{Type: typ, Target: target})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != want {
		t.Errorf("audit %s for %s: %d events, want %d", typ, target, len(evs), want)
	}
}

// mustTokens runs the authorization code flow for the signed-in user of b and redeems the code.
func mustTokens(t *testing.T, env *testEnv, b *browser, client *models.Client, secret, redirect, scope string) map[string]any {
	t.Helper()
	q := url.Values{"client_id": {client.ID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {scope}, "state": {"st"}}
	back := authorizeInBrowser(t, b, "/oauth/authorize?"+q.Encode(), "allow")
	code := back.Query().Get("code")
	if code == "" {
		t.Fatalf("no code: %s", back)
	}
	resp, out := postForm(t, env.URL+"/oauth/token", client.ID, secret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}})
	if resp.StatusCode != http.StatusOK || out["access_token"] == nil || out["refresh_token"] == nil {
		t.Fatalf("code exchange: %d %v", resp.StatusCode, out)
	}
	return out
}

// loginWith signs b in with a password of the test's choosing and returns the response status.
func loginWith(b *browser, email, password string) int {
	b.t.Helper()
	b.get("/login")
	resp, _ := b.post("/login", url.Values{"email": {email}, "password": {password}})
	return resp.StatusCode
}

func TestAuthorizedAppsRevokeAccess(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "user@example.com", false)
	env.mustUser(t, "other@example.com", false)
	redirect := "https://shop.example/cb"
	client, secret := env.mustClient(t, dev, models.ClientWeb, []string{redirect}, "INVOICE.READ", "INVOICE.WRITE")

	user := newBrowser(t, env.URL)
	user.mustLogin("user@example.com")
	if _, body := user.get("/account/apps"); !strings.Contains(body, "You have not allowed any application") || strings.Contains(body, ">Revoke access</button>") {
		t.Fatalf("empty state missing:\n%s", body)
	}

	tok := mustTokens(t, env, user, client, secret, redirect, "INVOICE.READ")
	access, refresh := tok["access_token"].(string), tok["refresh_token"].(string)
	introspect := func(token string) bool {
		t.Helper()
		_, out := postForm(t, env.URL+"/oauth/introspect", client.ID, secret, url.Values{"token": {token}})
		return out["active"] == true
	}
	api := func() int {
		t.Helper()
		resp, _ := call(t, "GET", env.URL+"/api/v1/invoices", "", "", map[string]string{"Authorization": "Bearer " + access})
		return resp.StatusCode
	}
	if !introspect(access) || !introspect(refresh) || api() != http.StatusOK {
		t.Fatal("the tokens do not work before the revocation")
	}

	resp, body := user.get("/account/apps")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/account/apps: %d", resp.StatusCode)
	}
	for _, want := range []string{client.Name, "See your invoices", ">Revoke access</button>", `action="/account/apps/` + client.ID + `/revoke"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/account/apps does not show %q", want)
		}
	}
	if strings.Contains(body, "INVOICE.WRITE") {
		t.Error("/account/apps lists a scope the user did not grant")
	}
	if strings.Contains(body, `<td data-label="Last used">never</td>`) {
		t.Error("last use shows never after a code exchange")
	}

	t.Run("only the user who allowed it can revoke it", func(t *testing.T) {
		other := newBrowser(t, env.URL)
		other.mustLogin("other@example.com")
		if resp, _ := other.get("/account/apps/" + client.ID + "/revoke"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET by someone who never allowed it: %d, want 404", resp.StatusCode)
		}
		other.get("/account/apps")
		if resp, _ := other.post("/account/apps/"+client.ID+"/revoke", url.Values{}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST by someone who never allowed it: %d, want 404", resp.StatusCode)
		}
		if resp, _ := newBrowser(t, env.URL).get("/account/apps"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("signed out: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if !introspect(access) {
			t.Fatal("a refused revocation ended the grant")
		}
	})

	resp, body = user.get("/account/apps/" + client.ID + "/revoke")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, ">Revoke access</button>") || !strings.Contains(body, client.Name) {
		t.Fatalf("confirm page: %d\n%s", resp.StatusCode, body)
	}
	if !introspect(access) {
		t.Fatal("the confirm page alone revoked access")
	}
	resp, _ = user.post("/account/apps/"+client.ID+"/revoke", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/apps" {
		t.Fatalf("revoke: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := user.get("/account/apps"); !strings.Contains(body, "can no longer access your account") || !strings.Contains(body, "You have not allowed any application") {
		t.Errorf("after revoking, the list is not empty or has no flash:\n%s", body)
	}

	if introspect(access) {
		t.Error("introspection: the access token is still active")
	}
	if introspect(refresh) {
		t.Error("introspection: the refresh token is still active")
	}
	if got := api(); got != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/invoices with the revoked token: %d, want 401", got)
	}
	if resp, out := postForm(t, env.URL+"/oauth/token", client.ID, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("refresh after revocation: %d %v, want 400 invalid_grant", resp.StatusCode, out)
	}
	mustAuditCount(t, env, models.AuditConsentRevoked, client.ID, 1)

	// Allowing the application again asks again: the consent is gone, not only the tokens.
	q := url.Values{"client_id": {client.ID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"INVOICE.READ"}, "state": {"st"}}
	if resp, body := user.get("/oauth/authorize?" + q.Encode()); resp.StatusCode != http.StatusOK || !strings.Contains(body, ">Allow</button>") {
		t.Errorf("after revoking, authorization does not ask again: %d", resp.StatusCode)
	}
}

func TestChangePassword(t *testing.T) {
	env := newTestEnv(t)
	u := env.mustUser(t, "ada@example.com", false)
	here, elsewhere := newBrowser(t, env.URL), newBrowser(t, env.URL)
	here.mustLogin("ada@example.com")
	elsewhere.mustLogin("ada@example.com")
	const fresh = "a brand new passphrase for ada"

	resp, body := here.get("/account")
	for _, want := range []string{`<label for="current_password" class="required">Current password</label>`, `<label for="new_password" class="required">New password</label>`, ">Change password</button>", `href="/account/apps"`, ">Sign out everywhere</button>"} {
		if !strings.Contains(body, want) {
			t.Errorf("/account does not show %q", want)
		}
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/account: %d", resp.StatusCode)
	}

	for _, tc := range []struct {
		name, current, next, want string
	}{
		{"wrong current password", "not my password at all", fresh, "That is not your current password."},
		{"new password too short", testPassword, "x7Q!z", "use at least 12 characters"},
		{"no current password", "", fresh, "Enter your current password."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			here.get("/account")
			resp, body := here.post("/account/password", url.Values{"current_password": {tc.current}, "new_password": {tc.next}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) || !strings.Contains(body, `aria-invalid="true"`) {
				t.Fatalf("status %d, want 422 with %q", resp.StatusCode, tc.want)
			}
			if strings.Contains(body, tc.next) || (tc.current != "" && strings.Contains(body, tc.current)) {
				t.Error("a password is echoed back into the page")
			}
			if resp, _ := elsewhere.get("/apps"); resp.StatusCode != http.StatusOK {
				t.Error("a refused change ended the other session")
			}
		})
	}
	if loginWith(newBrowser(t, env.URL), u.Email, testPassword) != http.StatusSeeOther {
		t.Fatal("a refused change changed the password")
	}

	here.get("/account")
	resp, _ = here.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {fresh}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
		t.Fatalf("change: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := here.get("/account"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Your password was changed") {
		t.Errorf("this session after the change: %d", resp.StatusCode)
	}
	if resp, _ := elsewhere.get("/apps"); resp.StatusCode != http.StatusFound {
		t.Errorf("the other session still works after the change: %d", resp.StatusCode)
	}
	if got := loginWith(newBrowser(t, env.URL), u.Email, testPassword); got != http.StatusUnauthorized {
		t.Errorf("the old password logs in: %d", got)
	}
	if got := loginWith(newBrowser(t, env.URL), u.Email, fresh); got != http.StatusSeeOther {
		t.Errorf("the new password does not log in: %d", got)
	}
	mustAuditCount(t, env, models.AuditPasswordChanged, u.Email, 1)
}

func TestSignOutEverywhere(t *testing.T) {
	env := newTestEnv(t)
	u := env.mustUser(t, "ada@example.com", false)
	env.mustUser(t, "bob@example.com", false)
	here, elsewhere, bob := newBrowser(t, env.URL), newBrowser(t, env.URL), newBrowser(t, env.URL)
	here.mustLogin("ada@example.com")
	elsewhere.mustLogin("ada@example.com")
	bob.mustLogin("bob@example.com")

	resp, body := here.get("/account/sign-out-everywhere")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, ">Sign out everywhere</button>") || !strings.Contains(body, `action="/account/sign-out-everywhere"`) {
		t.Fatalf("confirm page: %d", resp.StatusCode)
	}
	if resp, _ := elsewhere.get("/apps"); resp.StatusCode != http.StatusOK {
		t.Fatal("the confirm page alone ended a session")
	}
	resp, _ = here.post("/account/sign-out-everywhere", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("sign out everywhere: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := here.get("/login"); !strings.Contains(body, "You were signed out everywhere") {
		t.Error("no flash on the log-in page")
	}
	for name, b := range map[string]*browser{"this browser": here, "another browser": elsewhere} {
		if resp, _ := b.get("/apps"); resp.StatusCode != http.StatusFound {
			t.Errorf("%s is still signed in: %d", name, resp.StatusCode)
		}
	}
	if resp, _ := bob.get("/apps"); resp.StatusCode != http.StatusOK {
		t.Error("another user's session ended too")
	}
	if got := loginWith(newBrowser(t, env.URL), u.Email, testPassword); got != http.StatusSeeOther {
		t.Errorf("cannot log in again: %d", got)
	}
	mustAuditCount(t, env, models.AuditSessionsEnded, u.Email, 1)
	if got := env.mustMail(t, u.Email); len(got) != 1 || got[0].Subject != "Your account was signed out everywhere" {
		t.Errorf("mail after signing out everywhere: %+v", got)
	}
}
