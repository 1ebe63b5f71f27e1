package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

// HTTP regression tests for the findings of the hardening review (issue 8).

// Finding 1, RFC 8252 §8.6: a native app allowed before still gets the consent page (saying so)
// on every request; a confidential web app goes straight back.
func TestPublicClientsAlwaysSeeConsent(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "user@example.com", false)
	native, _ := env.mustClient(t, dev, models.ClientNative, []string{"http://127.0.0.1/cb"}, "INVOICE.READ")
	web, _ := env.mustClient(t, dev, models.ClientWeb, []string{"https://shop.example/cb"}, "INVOICE.READ")
	b := newBrowser(t, env.URL)
	b.mustLogin("user@example.com")

	nativeURL := func(port string) string {
		return "/oauth/authorize?" + url.Values{"client_id": {native.ID}, "redirect_uri": {"http://127.0.0.1:" + port + "/cb"}, "response_type": {"code"},
			"scope": {"INVOICE.READ"}, "code_challenge": {oauth.S256Challenge(strings.Repeat("v", 43))}, "code_challenge_method": {"S256"}}.Encode()
	}
	if back := authorizeInBrowser(t, b, nativeURL("5001"), "allow"); back.Query().Get("code") == "" {
		t.Fatalf("first approval went to %s", back)
	}
	// Another program on the machine, another port, its own PKCE pair: the user must see a page.
	resp, body := b.get(nativeURL("6002"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, ">Allow</button>") || !strings.Contains(body, "You allowed this app before") {
		t.Fatalf("second native request: status %d location %q, want the consent page", resp.StatusCode, resp.Header.Get("Location"))
	}

	webURL := "/oauth/authorize?" + url.Values{"client_id": {web.ID}, "redirect_uri": {"https://shop.example/cb"}, "response_type": {"code"}, "scope": {"INVOICE.READ"}}.Encode()
	authorizeInBrowser(t, b, webURL, "allow")
	resp, _ = b.get(webURL)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "https://shop.example/cb?code=") {
		t.Fatalf("remembered web consent: status %d location %q", resp.StatusCode, loc)
	}
}

// Finding 2: disabling a developer stops their machine client at the token endpoint, at
// introspection and at the sample API at once; enabling them brings it back.
func TestDisabledDeveloperMachineClient(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "admin@example.com", true)
	machine, secret := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
	rs, rsSecret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ")
	if err := env.Store.SetClientIntrospection(t.Context(), rs.ID, true); err != nil {
		t.Fatal(err)
	}
	token := func() (*http.Response, map[string]any) {
		return postForm(t, env.URL+"/oauth/token", machine.ID, secret, url.Values{"grant_type": {"client_credentials"}})
	}
	_, tok := token()
	access, _ := tok["access_token"].(string)
	if access == "" {
		t.Fatalf("no token before the disable: %v", tok)
	}
	active := func() bool {
		_, out := postForm(t, env.URL+"/oauth/introspect", rs.ID, rsSecret, url.Values{"token": {access}})
		return out["active"] == true
	}
	api := func() int {
		resp, _ := call(t, "GET", env.URL+"/api/v1/invoices", "", "", map[string]string{"Authorization": "Bearer " + access})
		return resp.StatusCode
	}
	if !active() || api() != http.StatusOK {
		t.Fatal("the token does not work before the disable")
	}

	admin := newBrowser(t, env.URL)
	admin.mustLogin("admin@example.com")
	admin.get("/admin/users")
	if resp, _ := admin.post("/admin/users/"+strconv.FormatInt(dev.ID, 10)+"/disable", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if resp, out := token(); resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_client" {
		t.Errorf("token endpoint after the disable: %d %v", resp.StatusCode, out)
	}
	if active() {
		t.Error("introspection still says active after the disable")
	}
	if got := api(); got != http.StatusUnauthorized {
		t.Errorf("the API answers %d after the disable, want 401", got)
	}

	admin.get("/admin/users")
	if resp, _ := admin.post("/admin/users/"+strconv.FormatInt(dev.ID, 10)+"/enable", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable: %d", resp.StatusCode)
	}
	if resp, _ := token(); resp.StatusCode != http.StatusOK {
		t.Errorf("token endpoint after re-enabling: %d", resp.StatusCode)
	}
	if !active() || api() != http.StatusOK {
		t.Error("the earlier token does not work again after re-enabling")
	}
}

// Finding 5: a code issued just before "Revoke access" does not redeem afterwards.
func TestRevokeAccessKillsOutstandingCodes(t *testing.T) {
	env := newTestEnv(t)
	client, secret, redirect, b := env.mustShopAndUser(t)
	q := url.Values{"client_id": {client.ID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"INVOICE.READ"}}
	code := authorizeInBrowser(t, b, "/oauth/authorize?"+q.Encode(), "allow").Query().Get("code")

	b.get("/account/apps/" + client.ID + "/revoke")
	if resp, _ := b.post("/account/apps/"+client.ID+"/revoke", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	resp, out := postForm(t, env.URL+"/oauth/token", client.ID, secret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}})
	if resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Fatalf("code exchanged after the user revoked the app: %d %v", resp.StatusCode, out)
	}
}

// Finding 8: "Not you?" signs the user out and, after the other person logs in, comes back to
// the same authorization request.
func TestNotYouSwitchesAccount(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "first@example.com", false)
	env.mustUser(t, "second@example.com", false)
	client, _ := env.mustClient(t, dev, models.ClientWeb, []string{"https://shop.example/cb"}, "INVOICE.READ")
	authz := "/oauth/authorize?" + url.Values{"client_id": {client.ID}, "redirect_uri": {"https://shop.example/cb"}, "response_type": {"code"}, "scope": {"INVOICE.READ"}, "state": {"s"}}.Encode()

	b := newBrowser(t, env.URL)
	b.mustLogin("first@example.com")
	if _, body := b.get(authz); !strings.Contains(body, "first@example.com") || !strings.Contains(body, ">Not you?</button>") {
		t.Fatal("the consent page does not offer \"Not you?\"")
	}
	resp, _ := b.post("/logout", url.Values{"next": {authz}})
	login := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || login != "/login?next="+url.QueryEscape(authz) {
		t.Fatalf("Not you? went to %d %q", resp.StatusCode, login)
	}
	if resp, _ := b.get(authz); resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatal("still signed in after Not you?")
	}
	b.get(login)
	resp, _ = b.post("/login", url.Values{"email": {"second@example.com"}, "password": {testPassword}, "next": {authz}})
	if resp.Header.Get("Location") != authz {
		t.Fatalf("after the second login went to %q", resp.Header.Get("Location"))
	}
	if _, body := b.get(authz); !strings.Contains(body, "second@example.com") || !strings.Contains(body, ">Allow</button>") {
		t.Fatal("the consent page is not shown for the second account")
	}
	// A next that leaves the site is dropped.
	b.get("/login")
	if resp, _ := b.post("/logout", url.Values{"next": {"//evil.example/"}}); resp.Header.Get("Location") != "/login" {
		t.Fatalf("logout honoured an off-site next: %q", resp.Header.Get("Location"))
	}
}

// Finding 10: the compatibility dialect refuses a JSON body with a repeated key or a key in
// another case, which encoding/json would otherwise resolve silently (last one wins).
func TestCompatTokenRefusesAmbiguousJSON(t *testing.T) {
	env := newTestEnv(t)
	machine, secret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ")
	for name, body := range map[string]string{
		"repeated key":    `{"grant_type":"client_credentials","client_id":"` + machine.ID + `","client_secret":"` + secret + `","client_id":"dp_other"}`,
		"case variant":    `{"grant_type":"client_credentials","client_id":"` + machine.ID + `","CLIENT_SECRET":"` + secret + `"}`,
		"not an object":   `["grant_type"]`,
		"scope a number":  `{"grant_type":"client_credentials","client_id":"` + machine.ID + `","client_secret":"` + secret + `","scope":5}`,
		"scope an object": `{"grant_type":"client_credentials","client_id":"` + machine.ID + `","client_secret":"` + secret + `","scope":{"a":1}}`,
	} {
		resp, out := call(t, "POST", env.URL+"/oauth/tokens", "application/json", body, nil)
		if resp.StatusCode != http.StatusBadRequest || out["error_code"] != "API_VALIDATION_ERROR" {
			t.Errorf("%s: %d %v, want 400 API_VALIDATION_ERROR", name, resp.StatusCode, out)
		}
	}
	ok := `{"grant_type":"client_credentials","client_id":"` + machine.ID + `","client_secret":"` + secret + `","extension":1}`
	if resp, out := call(t, "POST", env.URL+"/oauth/tokens", "application/json", ok, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("a well-formed body with an unknown key: %d %v", resp.StatusCode, out)
	}
}
