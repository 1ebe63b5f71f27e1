package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
	"github.com/devportal/devportal/web"
)

// dcrCall sends a JSON request to a registration endpoint with an optional bearer token and
// returns the status, headers and decoded body.
func dcrCall(t *testing.T, method, u, token string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: status %d, body not JSON: %s", method, u, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, resp.Header, out
}

func dcrEnv(t *testing.T, policy string) *testEnv {
	t.Helper()
	return newTestEnvOpts(t, storetest.SQLite(t), envOptions{vars: map[string]string{"DEVPORTAL_DCR": policy}})
}

func publicClientMetadata() map[string]any {
	return map[string]any{
		"client_name": "MCP agent", "redirect_uris": []string{"http://127.0.0.1:9/callback"},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"},
		"response_types": []string{"code"}, "scope": "INVOICE.READ",
	}
}

// RFC 8414 §2 / OIDC Discovery §3 (issue 15): registration_endpoint is in both metadata
// documents exactly when DEVPORTAL_DCR is not off; off, /oauth/register is not found.
func TestDCRAdvertisedOnlyWhenEnabled(t *testing.T) {
	for _, policy := range []string{"", models.DCROff, models.DCRToken, models.DCROpen} {
		t.Run("policy "+policy, func(t *testing.T) {
			env := dcrEnv(t, policy)
			on := policy == models.DCRToken || policy == models.DCROpen
			for _, doc := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
				status, _, md := dcrCall(t, http.MethodGet, env.URL+doc, "", nil)
				got, present := md["registration_endpoint"]
				if status != http.StatusOK || present != on || (on && got != env.URL+"/oauth/register") {
					t.Errorf("%s: status %d, registration_endpoint %v (present %v), want present=%v", doc, status, got, present, on)
				}
			}
			status, _, body := dcrCall(t, http.MethodPost, env.URL+"/oauth/register", "", publicClientMetadata())
			if !on && status != http.StatusNotFound {
				t.Errorf("off: POST /oauth/register = %d %v, want 404", status, body)
			}
			if on && status == http.StatusNotFound {
				t.Errorf("%s: POST /oauth/register = 404", policy)
			}
			if status, _, _ := dcrCall(t, http.MethodGet, env.URL+"/oauth/register/dp_x", "x", nil); !on && status != http.StatusNotFound {
				t.Errorf("off: GET registration = %d, want 404", status)
			}
		})
	}
}

// Issue 15, proof: a public client registered at /oauth/register (RFC 7591: none + PKCE)
// completes the authorization code flow against the real server with golang.org/x/oauth2, and
// manages its registration with the registration access token (RFC 7592).
func TestDCRRegisteredClientCompletesCodeFlow(t *testing.T) {
	env := dcrEnv(t, models.DCROpen)
	ctx := context.Background()
	env.mustUser(t, "user@example.com", false)

	status, h, reg := dcrCall(t, http.MethodPost, env.URL+"/oauth/register", "", publicClientMetadata())
	if status != http.StatusCreated || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("register: %d %v %v", status, h.Get("Cache-Control"), reg)
	}
	clientID, _ := reg["client_id"].(string)
	regToken, _ := reg["registration_access_token"].(string)
	regURI, _ := reg["registration_client_uri"].(string)
	if clientID == "" || regToken == "" || regURI != env.URL+"/oauth/register/"+clientID || reg["client_secret"] != nil ||
		reg["client_id_issued_at"] == nil || reg["token_endpoint_auth_method"] != "none" || reg["client_name"] != "MCP agent" {
		t.Fatalf("registration response %v", reg)
	}

	conf := &oauth2.Config{ClientID: clientID, RedirectURL: "http://127.0.0.1:9/callback", Scopes: []string{"INVOICE.READ"},
		Endpoint: oauth2.Endpoint{AuthURL: env.URL + "/oauth/authorize", TokenURL: env.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
	b := newBrowser(t, env.URL)
	b.mustLogin("user@example.com")
	// A public client must use PKCE: without it the server refuses.
	if resp, _ := b.get(conf.AuthCodeURL("st")); resp.StatusCode == http.StatusOK {
		t.Fatal("authorization without PKCE reached the consent page")
	}
	verifier := oauth2.GenerateVerifier()
	// RFC 7591 §5: the name is whatever the client said, so the consent page warns that nobody
	// here checked who publishes it.
	if _, page := b.get(conf.AuthCodeURL("st-look", oauth2.S256ChallengeOption(verifier))); !strings.Contains(page, `id="self-registered-app"`) || !strings.Contains(page, "registered itself") {
		t.Error("the consent page of a dynamically registered client does not say it registered itself")
	}
	back := authorizeInBrowser(t, b, conf.AuthCodeURL("st-dcr", oauth2.S256ChallengeOption(verifier)), "allow")
	if back.Query().Get("state") != "st-dcr" || back.Query().Get("code") == "" {
		t.Fatalf("redirect back %s", back)
	}
	tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("exchange: %v %+v", err, tok)
	}
	api, _ := http.NewRequest(http.MethodGet, env.URL+"/api/v1/invoices", nil)
	api.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if resp, err := http.DefaultClient.Do(api); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("API call with the token: %v %v", resp, err)
	}

	// RFC 7592 §2.1: read with the token; a wrong one is refused with a Bearer challenge.
	if status, _, got := dcrCall(t, http.MethodGet, regURI, regToken, nil); status != http.StatusOK || got["client_id"] != clientID {
		t.Fatalf("read: %d %v", status, got)
	}
	status, h, got := dcrCall(t, http.MethodGet, regURI, regToken+"x", nil)
	if status != http.StatusUnauthorized || got["error"] != "invalid_token" || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("read with a wrong token: %d %v %q", status, got, h.Get("WWW-Authenticate"))
	}
	// §2.2: update replaces the metadata.
	upd := publicClientMetadata()
	upd["client_id"], upd["client_name"] = clientID, "MCP agent 2"
	if status, _, got := dcrCall(t, http.MethodPut, regURI, regToken, upd); status != http.StatusOK || got["client_name"] != "MCP agent 2" {
		t.Fatalf("update: %d %v", status, got)
	}
	upd["registration_access_token"] = regToken
	if status, _, got := dcrCall(t, http.MethodPut, regURI, regToken, upd); status != http.StatusBadRequest || got["error"] != "invalid_request" {
		t.Fatalf("update with a forbidden field: %d %v", status, got)
	}
	// An admin suspends it: its registration can no longer be changed.
	if err := env.Store.SetClientStatus(ctx, clientID, models.ClientSuspended); err != nil {
		t.Fatal(err)
	}
	delete(upd, "registration_access_token")
	if status, _, _ := dcrCall(t, http.MethodPut, regURI, regToken, upd); status != http.StatusUnauthorized {
		t.Fatalf("update of a suspended client: %d", status)
	}
	if err := env.Store.SetClientStatus(ctx, clientID, models.ClientActive); err != nil {
		t.Fatal(err)
	}
	// §2.3: delete answers 204; the client and its registration are gone.
	if status, _, _ := dcrCall(t, http.MethodDelete, regURI, regToken, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d", status)
	}
	if status, _, _ := dcrCall(t, http.MethodGet, regURI, regToken, nil); status != http.StatusUnauthorized {
		t.Fatalf("read after delete: %d", status)
	}
}

// RFC 7591 §3.2.2: bad metadata is refused with the RFC's error codes, as JSON.
func TestDCRErrors(t *testing.T) {
	env := dcrEnv(t, models.DCROpen)
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"http redirect", func(m map[string]any) { m["redirect_uris"] = []string{"http://attacker.example/cb"} }, "invalid_redirect_uri"},
		{"secret under open", func(m map[string]any) { m["token_endpoint_auth_method"] = "client_secret_basic" }, "invalid_client_metadata"},
		{"wrong JSON type", func(m map[string]any) { m["redirect_uris"] = "https://a.example/cb" }, "invalid_client_metadata"},
		{"software statement", func(m map[string]any) { m["software_statement"] = "eyJhbGciOiJub25lIn0.e30." }, "invalid_software_statement"},
		{"http logo", func(m map[string]any) { m["logo_uri"] = "http://a.example/logo.png" }, "invalid_client_metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md := publicClientMetadata()
			tc.edit(md)
			status, h, body := dcrCall(t, http.MethodPost, env.URL+"/oauth/register", "", md)
			if status != http.StatusBadRequest || body["error"] != tc.want || body["error_description"] == "" || h.Get("Cache-Control") != "no-store" {
				t.Fatalf("status %d %v, want 400 %s", status, body, tc.want)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/oauth/register", strings.NewReader("client_name=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("form body: %v %v", resp, err)
	}
	resp.Body.Close()
}

// Issue 15: open registration is rate-limited per IP address: over the limit, 429 with
// Retry-After.
func TestDCROpenRateLimited(t *testing.T) {
	env := dcrEnv(t, models.DCROpen)
	for i := range models.RegisterIPMax {
		if status, _, body := dcrCall(t, http.MethodPost, env.URL+"/oauth/register", "", publicClientMetadata()); status != http.StatusCreated {
			t.Fatalf("registration %d: %d %v", i, status, body)
		}
	}
	status, h, body := dcrCall(t, http.MethodPost, env.URL+"/oauth/register", "", publicClientMetadata())
	if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || body["error"] == nil {
		t.Fatalf("over the limit: %d %q %v", status, h.Get("Retry-After"), body)
	}
}

var registrationTokenCode = regexp.MustCompile(`<code id="registration-token">([^<]+)</code>`)

// RFC 7591 §3, policy token (issue 15): an admin creates an initial access token on
// /admin/registration-tokens, shown once; it registers as many clients as its uses allow
// (confidential ones too, with a secret); without it, or once used up or revoked, 401.
func TestDCRTokenPolicyWithAdminToken(t *testing.T) {
	env := dcrEnv(t, models.DCRToken)
	env.mustUser(t, "admin@example.com", true)
	admin := newBrowser(t, env.URL)
	admin.mustLogin("admin@example.com")

	if status, h, body := dcrCall(t, http.MethodPost, env.URL+"/oauth/register", "", publicClientMetadata()); status != http.StatusUnauthorized ||
		body["error"] != "invalid_token" || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("without a token: %d %v", status, body)
	}

	resp, body := admin.get("/admin/registration-tokens")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `for="expires-in"`) || !strings.Contains(body, `for="uses"`) {
		t.Fatalf("tokens page: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := admin.post("/admin/registration-tokens", url.Values{"expires_in": {"soon"}, "uses": {"1"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad expiry accepted: %d", resp.StatusCode)
	}
	resp, _ = admin.post("/admin/registration-tokens", url.Values{"expires_in": {"24h"}, "uses": {"2"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	created := resp.Header.Get("Location")
	_, body = admin.get(created)
	m := registrationTokenCode.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("token not revealed:\n%s", body)
	}
	iat := m[1]
	if _, again := admin.get(created); registrationTokenCode.MatchString(again) {
		t.Fatal("reloading the page showed the token again")
	}

	conf := map[string]any{"client_name": "Billing sync", "redirect_uris": []string{"https://sync.example/cb"}, "scope": "INVOICE.READ"}
	status, _, reg := dcrCall(t, http.MethodPost, env.URL+"/oauth/register", iat, conf)
	if status != http.StatusCreated || reg["client_secret"] == nil || reg["client_secret_expires_at"] != float64(0) || reg["token_endpoint_auth_method"] != "client_secret_basic" {
		t.Fatalf("confidential registration: %d %v", status, reg)
	}
	if status, _, _ := dcrCall(t, http.MethodPost, env.URL+"/oauth/register", iat, publicClientMetadata()); status != http.StatusCreated {
		t.Fatalf("second use: %d", status)
	}
	if status, _, body := dcrCall(t, http.MethodPost, env.URL+"/oauth/register", iat, publicClientMetadata()); status != http.StatusUnauthorized || body["error"] != "invalid_token" {
		t.Fatalf("third use of a two-use token: %d %v", status, body)
	}

	// The admin console marks the clients it registered.
	_, list := admin.get("/admin/clients")
	if !strings.Contains(list, "Registered dynamically") {
		t.Fatalf("clients list lacks the marker:\n%s", list)
	}
	_, detail := admin.get("/admin/clients/" + reg["client_id"].(string))
	if !strings.Contains(detail, "Registered dynamically") || !strings.Contains(detail, "initial access token") {
		t.Fatalf("client page lacks the marker:\n%s", detail)
	}

	// Revoke a fresh token through its confirmation page; it then registers nothing.
	resp, _ = admin.post("/admin/registration-tokens", url.Values{"expires_in": {"1h"}, "uses": {"5"}})
	_, body = admin.get(resp.Header.Get("Location"))
	iat2 := registrationTokenCode.FindStringSubmatch(body)[1]
	id := strings.TrimPrefix(resp.Header.Get("Location"), "/admin/registration-tokens?created=")
	if resp, body := admin.get("/admin/registration-tokens/" + id + "/revoke"); resp.StatusCode != http.StatusOK || !strings.Contains(body, ">Revoke</button>") {
		t.Fatalf("revoke confirmation: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := admin.post("/admin/registration-tokens/"+id+"/revoke", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if status, _, _ := dcrCall(t, http.MethodPost, env.URL+"/oauth/register", iat2, publicClientMetadata()); status != http.StatusUnauthorized {
		t.Fatalf("revoked token registered a client: %d", status)
	}
	for _, typ := range []string{models.AuditRegTokenCreated, models.AuditRegTokenRevoked, models.AuditClientRegistered} {
		evs, err := env.Store.AuditEvents(context.Background(), models.AuditFilter{Type: typ})
		if err != nil || len(evs) == 0 {
			t.Errorf("no %s audit entry (%v)", typ, err)
		}
	}
}

// Issue 15: DEVPORTAL_DCR is validated at start, with a message naming the choices; unset is off.
func TestDCRConfig(t *testing.T) {
	base := map[string]string{"DEVPORTAL_SECRET": strings.Repeat("s", 32)}
	get := func(v string) func(string) string {
		return func(k string) string {
			if k == "DEVPORTAL_DCR" {
				return v
			}
			return base[k]
		}
	}
	if cfg, err := web.ConfigFromEnv(get("")); err != nil || cfg.DCR != models.DCROff {
		t.Fatalf("unset: %q %v", cfg.DCR, err)
	}
	for _, ok := range []string{"off", "token", "open"} {
		if cfg, err := web.ConfigFromEnv(get(ok)); err != nil || cfg.DCR != ok {
			t.Errorf("%s: %q %v", ok, cfg.DCR, err)
		}
	}
	if _, err := web.ConfigFromEnv(get("on")); err == nil || !strings.Contains(err.Error(), "DEVPORTAL_DCR must be off, token") {
		t.Fatalf("DEVPORTAL_DCR=on: %v", err)
	}
}

// RFC 7591 §3 (issue 15): registrations racing over HTTP on a one-use initial access token
// create exactly one client; the others get 401 invalid_token.
func TestDCRInitialAccessTokenRaceOverHTTP(t *testing.T) {
	env := dcrEnv(t, models.DCRToken)
	_, iat, err := env.Store.CreateRegistrationToken(context.Background(), time.Hour, 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	body, _ := json.Marshal(publicClientMetadata())
	statuses := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/oauth/register", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+iat)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusUnauthorized:
		default:
			t.Errorf("status %d", s)
		}
	}
	if created != 1 {
		t.Fatalf("%d registrations succeeded on a one-use token (%v), want 1", created, statuses)
	}
}

// Browser-based clients (MCP clients in a page among them) register from JavaScript: the
// registration endpoints answer CORS for any origin, preflight included, since they take no
// cookies (RFC 7591 §3 authenticates nothing but the request's own tokens); with DCR off the
// preflight is a 404 like the endpoint.
func TestDCRAnswersCORS(t *testing.T) {
	env := dcrEnv(t, models.DCROpen)
	pre, _ := http.NewRequest(http.MethodOptions, env.URL+"/oauth/register", nil)
	pre.Header.Set("Origin", "https://agent.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "content-type")
	resp, err := http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	status, h, reg := dcrCall(t, http.MethodPost, env.URL+"/oauth/register", "", publicClientMetadata())
	if status != http.StatusCreated || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("register: %d, Access-Control-Allow-Origin %q", status, h.Get("Access-Control-Allow-Origin"))
	}
	if status, h, _ := dcrCall(t, http.MethodGet, reg["registration_client_uri"].(string), "wrong", nil); status != http.StatusUnauthorized || h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("a refused read is not readable cross-origin: %d %q", status, h.Get("Access-Control-Allow-Origin"))
	}

	off := dcrEnv(t, models.DCROff)
	pre, _ = http.NewRequest(http.MethodOptions, off.URL+"/oauth/register", nil)
	pre.Header.Set("Origin", "https://agent.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	if resp, err := http.DefaultClient.Do(pre); err != nil || resp.StatusCode != http.StatusNotFound || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight with DCR off: %v %v", resp, err)
	}
}
