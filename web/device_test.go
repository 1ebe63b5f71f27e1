package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// postProtocol posts a form to a protocol endpoint and decodes its JSON answer.
func postProtocol(t *testing.T, endpoint string, form url.Values, mutate func(*http.Request)) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if mutate != nil {
		mutate(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: status %d, body is not JSON: %v", endpoint, resp.StatusCode, err)
	}
	return resp, out
}

// mustDeviceClient registers a native application with device sign-in on.
func (e *testEnv) mustDeviceClient(t *testing.T, owner *models.User, typ models.ClientType, scopes ...string) (*models.Client, string) {
	t.Helper()
	in := models.NewClient{Name: "TV app", Type: typ, RedirectURIs: []string{"http://127.0.0.1/cb"}, Scopes: scopes, AllowDeviceGrant: true}
	if typ == models.ClientWeb {
		in.RedirectURIs = []string{"https://tv.example/cb"}
	}
	if owner != nil {
		in.OwnerID = &owner.ID
	}
	c, sec, err := e.Store.CreateClient(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return c, sec
}

// RFC 8628 §3.1–3.2: the device authorization endpoint's answers, errors in RFC 6749 §5.2 JSON.
func TestDeviceAuthorizationEndpoint(t *testing.T) {
	env := newTestEnv(t)
	native, _ := env.mustDeviceClient(t, nil, models.ClientNative, "INVOICE.READ")
	web, webSec := env.mustDeviceClient(t, nil, models.ClientWeb, "INVOICE.READ")
	off, _ := env.mustClient(t, nil, models.ClientNative, []string{"http://127.0.0.1/cb"}, "INVOICE.READ")
	endpoint := env.URL + "/oauth/device_authorization"
	basic := func(id, s string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(s)) }
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		mutate func(*http.Request)
		status int
		code   string
	}{
		{"public client by client_id", url.Values{"client_id": {native.ID}, "scope": {"INVOICE.READ"}}, nil, 200, ""},
		{"confidential client over Basic", url.Values{}, basic(web.ID, webSec), 200, ""},
		{"JSON instead of a form", nil, func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, 400, "invalid_request"},
		{"no client", url.Values{}, nil, 401, "invalid_client"},
		{"unknown client", url.Values{"client_id": {"dp_nope"}}, nil, 401, "invalid_client"},
		{"wrong secret", url.Values{}, basic(web.ID, "nope"), 401, "invalid_client"},
		{"device sign-in not turned on", url.Values{"client_id": {off.ID}}, nil, 400, "unauthorized_client"},
		{"scope not registered", url.Values{"client_id": {native.ID}, "scope": {"EWALLET.READ"}}, nil, 400, "invalid_scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := postProtocol(t, endpoint, tc.form, tc.mutate)
			if resp.StatusCode != tc.status || tc.code != "" && out["error"] != tc.code {
				t.Fatalf("status %d %v; want %d %q", resp.StatusCode, out, tc.status, tc.code)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", resp.Header.Get("Cache-Control"))
			}
			if tc.status != 200 {
				return
			}
			code, _ := out["user_code"].(string)
			if out["device_code"] == "" || len(code) != 9 || out["verification_uri"] != env.URL+"/device" ||
				out["verification_uri_complete"] != env.URL+"/device?user_code="+code || out["expires_in"] != float64(600) || out["interval"] != float64(5) {
				t.Errorf("body %v", out)
			}
		})
	}
}

// RFC 8628 §4 and RFC 8414 §2: both metadata documents advertise the endpoint and the grant.
func TestDeviceMetadata(t *testing.T) {
	env := newTestEnv(t)
	for _, p := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		resp, err := http.Get(env.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		var md oauth.Metadata
		err = json.NewDecoder(resp.Body).Decode(&md)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if md.DeviceAuthorizationEndpoint != env.URL+"/oauth/device_authorization" || !contains(md.GrantTypesSupported, oauth.GrantDeviceCode) {
			t.Errorf("%s: device_authorization_endpoint %q, grant types %v", p, md.DeviceAuthorizationEndpoint, md.GrantTypesSupported)
		}
		if r, err := http.Post(md.DeviceAuthorizationEndpoint, "application/x-www-form-urlencoded", nil); err != nil || r.StatusCode == http.StatusNotFound {
			t.Errorf("%s advertised but not served", md.DeviceAuthorizationEndpoint)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// deviceStart runs a device authorization request for client and returns its answer.
func deviceStart(t *testing.T, env *testEnv, client *models.Client) (deviceCode, userCode string) {
	t.Helper()
	resp, out := postProtocol(t, env.URL+"/oauth/device_authorization", url.Values{"client_id": {client.ID}}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("device authorization: %d %v", resp.StatusCode, out)
	}
	return out["device_code"].(string), out["user_code"].(string)
}

// The whole device sign-in over HTTP: /device needs a login and comes back to itself, the code
// is typed loosely, the consent page (CSRF-protected, unframeable) decides, the device's polls
// get each RFC 8628 §3.5 answer, and the token works on the sample API.
func TestDevicePageAndPolling(t *testing.T) {
	clock := &testClock{t: time.Now().UTC()}
	env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{now: clock.Now})
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "user@example.com", false)
	client, _ := env.mustDeviceClient(t, dev, models.ClientNative, "INVOICE.READ")
	deviceCode, userCode := deviceStart(t, env, client)
	poll := func() (int, map[string]any) {
		t.Helper()
		resp, out := postProtocol(t, env.URL+"/oauth/token", url.Values{"grant_type": {oauth.GrantDeviceCode}, "client_id": {client.ID}, "device_code": {deviceCode}}, nil)
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("token response Cache-Control %q", resp.Header.Get("Cache-Control"))
		}
		return resp.StatusCode, out
	}
	if status, out := poll(); status != 400 || out["error"] != "authorization_pending" {
		t.Fatalf("first poll: %d %v, want 400 authorization_pending", status, out)
	}
	clock.Advance(time.Second)
	if status, out := poll(); status != 400 || out["error"] != "slow_down" {
		t.Fatalf("poll 1 s later: %d %v, want 400 slow_down", status, out)
	}

	user := newBrowser(t, env.URL)
	complete := "/device?user_code=" + url.QueryEscape(userCode)
	resp, _ := user.get(complete)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/login?next="+url.QueryEscape(complete) {
		t.Fatalf("signed out: %d to %q, want the login with next", resp.StatusCode, resp.Header.Get("Location"))
	}
	user.mustLogin("user@example.com")
	resp, body := user.get(complete)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<label for="user_code" class="required">Code</label>`) ||
		!strings.Contains(body, `value="`+userCode+`"`) || !strings.Contains(body, ">Continue</button>") {
		t.Fatalf("device page: %d\n%s", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("the device page can be framed: %v", resp.Header)
	}

	if resp, _ := user.postExactly("/device", url.Values{"user_code": {userCode}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("Continue without the CSRF token: %d, want 403", resp.StatusCode)
	}
	user.get("/device")
	if resp, body := user.post("/device", url.Values{"user_code": {"BBBB-BBBB"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "That code is not right") {
		t.Errorf("wrong code: %d, want 422 with a message", resp.StatusCode)
	}
	typed := strings.ToLower(strings.ReplaceAll(userCode, "-", " "))
	resp, body = user.post("/device", url.Values{"user_code": {typed}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "TV app") || !strings.Contains(body, ">Allow</button>") ||
		!strings.Contains(body, ">Deny</button>") || !strings.Contains(body, `action="/device/decide"`) {
		t.Fatalf("consent for %q: %d\n%s", typed, resp.StatusCode, body)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("consent headers %v", resp.Header)
	}
	if resp, _ := user.postExactly("/device/decide", url.Values{"user_code": {typed}, "decision": {"allow"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("Allow without the CSRF token: %d, want 403", resp.StatusCode)
	}
	resp, _ = user.post("/device/decide", url.Values{"user_code": {typed}, "decision": {"allow"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/device?done=allowed" {
		t.Fatalf("Allow: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := user.get("/device?done=allowed"); !strings.Contains(body, "You can return to your device") {
		t.Errorf("success page:\n%s", body)
	}
	if evs, err := env.Store.AuditEvents(context.Background(), models.AuditFilter{Type: models.AuditDeviceApproved, Target: client.ID}); err != nil || len(evs) != 1 || evs[0].Actor != "user@example.com" {
		t.Errorf("audit %+v, %v; want one approval by the user", evs, err)
	}

	clock.Advance(time.Minute)
	status, out := poll()
	if status != 200 || out["access_token"] == "" || out["token_type"] != "Bearer" {
		t.Fatalf("poll after Allow: %d %v", status, out)
	}
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/api/v1/invoices", nil)
	req.Header.Set("Authorization", "Bearer "+out["access_token"].(string))
	if api, err := http.DefaultClient.Do(req); err != nil || api.StatusCode != http.StatusOK {
		t.Fatalf("sample API with the device's token: %v %v", api, err)
	}
	clock.Advance(time.Minute)
	if status, out := poll(); status != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("poll after the tokens were issued: %d %v, want invalid_grant", status, out)
	}

	// Deny: the device hears access_denied; an old code: expired_token.
	denied, deniedUser := deviceStart(t, env, client)
	user.get("/device")
	user.post("/device", url.Values{"user_code": {deniedUser}})
	if resp, _ := user.post("/device/decide", url.Values{"user_code": {deniedUser}, "decision": {"deny"}}); resp.Header.Get("Location") != "/device?done=denied" {
		t.Fatalf("Deny: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if evs, _ := env.Store.AuditEvents(context.Background(), models.AuditFilter{Type: models.AuditDeviceDenied, Target: client.ID}); len(evs) != 1 {
		t.Errorf("denial audited %d times, want 1", len(evs))
	}
	deviceCode = denied
	if status, out := poll(); status != 400 || out["error"] != "access_denied" {
		t.Fatalf("poll after Deny: %d %v, want 400 access_denied", status, out)
	}
	deviceCode, _ = deviceStart(t, env, client)
	clock.Advance(oauth.DeviceCodeTTL)
	if status, out := poll(); status != 400 || out["error"] != "expired_token" {
		t.Fatalf("poll after expiry: %d %v, want 400 expired_token", status, out)
	}
}

// RFC 8628 §5.1: /device refuses more wrong codes than DeviceCodeAccountMax per account, with a
// clear message and Retry-After, and audits the refusal once.
func TestDeviceCodeThrottleHTTP(t *testing.T) {
	env := newTestEnv(t)
	client, _ := env.mustDeviceClient(t, nil, models.ClientNative, "INVOICE.READ")
	_, userCode := deviceStart(t, env, client)
	u := env.mustUser(t, "guesser@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin(u.Email)
	b.get("/device")
	wrong := "BBBB-BBBB"
	if userCode == wrong {
		wrong = "CCCC-CCCC"
	}
	for i := range models.DeviceCodeAccountMax {
		if resp, _ := b.post("/device", url.Values{"user_code": {wrong}}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("wrong code %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, body := b.post("/device", url.Values{"user_code": {userCode}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many wrong codes") || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d wrong codes: %d (Retry-After %q)", models.DeviceCodeAccountMax, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	b.post("/device", url.Values{"user_code": {userCode}})
	if evs, _ := env.Store.AuditEvents(context.Background(), models.AuditFilter{Type: models.AuditDeviceThrottled}); len(evs) != 1 {
		t.Errorf("throttle audited %d times, want once per window", len(evs))
	}
}

// The "Allow device sign-in" setting: saved from the application page, audited before → after,
// shown to admins; absent for machine applications.
func TestAllowDeviceSignInSetting(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "root@example.com", true)
	client, _ := env.mustClient(t, dev, models.ClientNative, []string{"http://127.0.0.1/cb"}, "INVOICE.READ")
	machine, _ := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
	owner := newBrowser(t, env.URL)
	owner.mustLogin("dev@example.com")
	page := "/apps/" + client.ID
	if _, body := owner.get(page); !strings.Contains(body, `id="allow_device_grant"`) || !strings.Contains(body, "Allow device sign-in") {
		t.Fatal("the application page has no Allow device sign-in checkbox")
	}
	if _, body := owner.get("/apps/" + machine.ID); strings.Contains(body, "Allow device sign-in") {
		t.Error("a machine application offers device sign-in")
	}
	owner.get(page)
	form := url.Values{"name": {client.Name}, "redirect_uris": {"http://127.0.0.1/cb"}, "scopes": {"INVOICE.READ"}, "allow_device_grant": {"on"}}
	if resp, body := owner.post(page, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	if c, err := env.Store.ClientByID(ctx, client.ID); err != nil || !c.AllowDeviceGrant {
		t.Fatalf("stored %+v, %v", c, err)
	}
	if _, body := owner.get(page); !strings.Contains(body, `id="allow_device_grant" name="allow_device_grant" value="on" checked`) {
		t.Error("the page does not show the saved setting")
	}
	evs, err := env.Store.AuditEvents(ctx, models.AuditFilter{Type: models.AuditAppUpdated, Target: client.ID})
	if err != nil || len(evs) != 1 || !strings.Contains(evs[0].Detail, `allow_device_grant: "false" → "true"`) {
		t.Errorf("audit %+v, %v", evs, err)
	}
	admin := newBrowser(t, env.URL)
	admin.mustLogin("root@example.com")
	if _, body := admin.get("/admin/clients/" + client.ID); !strings.Contains(body, "<dt>Device sign-in</dt><dd>allowed</dd>") {
		t.Error("the admin client page does not show device sign-in")
	}
	owner.get("/apps/" + machine.ID)
	owner.post("/apps/"+machine.ID, url.Values{"name": {machine.Name}, "scopes": {"INVOICE.READ"}, "allow_device_grant": {"on"}})
	if c, _ := env.Store.ClientByID(ctx, machine.ID); c.AllowDeviceGrant {
		t.Error("a machine application was given device sign-in")
	}
}

// The device authorization endpoint takes a public client by its id alone, so starting
// sign-ins is throttled per IP address (DeviceStartIPMax per DeviceStartWindow, counted in the
// database): past it, 429 with Retry-After and no device code, while invalid requests (an
// unknown scope) are not counted.
func TestDeviceStartThrottledPerIP(t *testing.T) {
	env := newTestEnv(t)
	client, _ := env.mustDeviceClient(t, nil, models.ClientNative, "INVOICE.READ")
	if resp, _ := postProtocol(t, env.URL+"/oauth/device_authorization", url.Values{"client_id": {client.ID}, "scope": {"NO.SUCH.SCOPE"}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown scope: %d", resp.StatusCode)
	}
	for range models.DeviceStartIPMax {
		deviceStart(t, env, client)
	}
	resp, out := postProtocol(t, env.URL+"/oauth/device_authorization", url.Values{"client_id": {client.ID}}, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || out["error"] != "temporarily_unavailable" {
		t.Fatalf("request %d from one address: %d %v (Retry-After %q)", models.DeviceStartIPMax+1, resp.StatusCode, out, resp.Header.Get("Retry-After"))
	}
	if out["device_code"] != nil {
		t.Errorf("the refused request got a device code")
	}
}
