package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
)

// call sends method+body to the server and decodes a JSON answer.
func call(t *testing.T, method, endpoint, contentType, body string, header map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, endpoint, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	json.Unmarshal(buf.Bytes(), &out)
	return resp, out
}

func jsonBody(v map[string]any) string { b, _ := json.Marshal(v); return string(b) }

// compatFixture is a developer's web app, an end user who is signed in, and a machine client.
type compatFixture struct {
	env      *testEnv
	dev      *models.User
	web      *models.Client
	secret   string
	redirect string
	user     *browser
}

func newCompatFixture(t *testing.T) *compatFixture {
	env := newTestEnv(t)
	f := &compatFixture{env: env, redirect: "https://merchant.example/oauth/callback"}
	f.dev = env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "payer@example.com", false)
	f.web, f.secret = env.mustClient(t, f.dev, models.ClientWeb, []string{f.redirect}, "INVOICE.READ", "INVOICE.WRITE")
	f.user = newBrowser(t, env.URL)
	f.user.mustLogin("payer@example.com")
	return f
}

// code runs GET /auth with the given query as the signed-in user and returns the code.
func (f *compatFixture) code(t *testing.T, q url.Values) string {
	t.Helper()
	back := authorizeInBrowser(t, f.user, "/auth?"+q.Encode(), "allow")
	if back.Query().Get("code") == "" || back.Query().Get("state") != q.Get("state") {
		t.Fatalf("redirect %s", back)
	}
	return back.Query().Get("code")
}

func (f *compatFixture) authQuery(scopes string) url.Values {
	q := url.Values{"client_id": {f.web.ID}, "response_type": {"code"}, "redirect_uri": {f.redirect}, "state": {"xyz"}}
	if scopes != "" {
		q.Set("scopes", scopes)
	}
	return q
}

func TestCompatAuthorize(t *testing.T) {
	f := newCompatFixture(t)
	for _, tc := range []struct {
		name   string
		mutate func(url.Values)
		want   string
	}{
		{"scopes as a JSON array", func(q url.Values) { q.Set("scopes", `["INVOICE.READ","INVOICE.WRITE"]`) }, "INVOICE.READ INVOICE.WRITE"},
		{"scopes space-separated", func(q url.Values) { q.Set("scopes", "INVOICE.READ") }, "INVOICE.READ"},
		{"RFC scope", func(q url.Values) { q.Set("scope", "INVOICE.WRITE") }, "INVOICE.WRITE"},
		{"no scopes: the application's defaults", func(url.Values) {}, "INVOICE.READ INVOICE.WRITE"},
		{"legacy grant_type=code", func(q url.Values) {
			q.Del("response_type")
			q.Set("grant_type", "code")
			q.Set("scopes", "INVOICE.READ")
		}, "INVOICE.READ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := f.authQuery("")
			tc.mutate(q)
			code := f.code(t, q)
			resp, out := call(t, "POST", f.env.URL+"/oauth/tokens", "application/json", jsonBody(map[string]any{
				"grant_type": "authorization_code", "code": code, "redirect_uri": f.redirect, "client_id": f.web.ID, "client_secret": f.secret,
			}), nil)
			if resp.StatusCode != 200 || out["scope"] != tc.want {
				t.Fatalf("%d %v; want scope %q", resp.StatusCode, out, tc.want)
			}
		})
	}

	t.Run("deny redirects with access_denied and state", func(t *testing.T) {
		q := f.authQuery("INVOICE.READ")
		q.Set("prompt", "consent") // allowed before: ask again
		back := authorizeInBrowser(t, f.user, "/auth?"+q.Encode(), "deny")
		if back.Query().Get("error") != "access_denied" || back.Query().Get("state") != "xyz" {
			t.Fatalf("%s", back)
		}
	})

	t.Run("JSON callers get the dialect's errors", func(t *testing.T) {
		accept := map[string]string{"Accept": "application/json"}
		q := f.authQuery("INVOICE.READ")
		q.Set("client_id", "dp_unknown")
		resp, out := call(t, "GET", f.env.URL+"/auth?"+q.Encode(), "", "", accept)
		if resp.StatusCode != 404 || out["error_code"] != "DATA_NOT_FOUND" || out["message"] == "" {
			t.Errorf("unknown client: %d %v", resp.StatusCode, out)
		}
		resp, out = call(t, "GET", f.env.URL+"/auth?"+f.authQuery(`["INVOICE.READ","EWALLET.WRITE"]`).Encode(), "", "", accept)
		links, _ := out["links"].(map[string]any)
		if resp.StatusCode != 403 || out["error_code"] != "INVALID_SCOPE_ERROR" || links["rel"] != "docs" || !strings.HasPrefix(links["href"].(string), f.env.URL) {
			t.Errorf("scope outside the registration: %d %v", resp.StatusCode, out)
		}
		resp, out = call(t, "GET", f.env.URL+"/auth?"+f.authQuery(`["INVOICE.READ"`).Encode(), "", "", accept)
		if resp.StatusCode != 400 || out["error_code"] != "API_VALIDATION_ERROR" {
			t.Errorf("malformed scopes: %d %v", resp.StatusCode, out)
		}
	})
}

func TestCompatTokenEndpoint(t *testing.T) {
	f := newCompatFixture(t)
	machine, machineSecret := f.env.mustClient(t, f.dev, models.ClientMachine, nil, "INVOICE.READ")
	tokens := f.env.URL + "/oauth/tokens"

	code := f.code(t, f.authQuery("INVOICE.READ INVOICE.WRITE"))
	resp, out := call(t, "POST", tokens, "application/json", jsonBody(map[string]any{
		"grant_type": "authorization_code", "code": code, "redirect_uri": f.redirect, "client_id": f.web.ID, "client_secret": f.secret,
	}), nil)
	if resp.StatusCode != 200 || out["token_type"] != "Bearer" || out["access_token"] == "" || out["refresh_token"] == "" || out["scope"] != "INVOICE.READ INVOICE.WRITE" {
		t.Fatalf("authorization_code: %d %v", resp.StatusCode, out)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Pragma") != "no-cache" {
		t.Errorf("headers %v", resp.Header)
	}
	expiresAt, err := time.Parse(time.RFC3339, out["expires_at"].(string))
	if err != nil || !strings.HasSuffix(out["expires_at"].(string), "Z") || time.Until(expiresAt) > 16*time.Minute || time.Until(expiresAt) < 14*time.Minute || out["expires_in"].(float64) != 900 {
		t.Errorf("expires_at %v expires_in %v: want RFC 3339 UTC, 15 minutes ahead", out["expires_at"], out["expires_in"])
	}

	t.Run("refresh narrowing the scope, form body", func(t *testing.T) {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {out["refresh_token"].(string)}, "client_id": {f.web.ID}, "client_secret": {f.secret}, "scope": {"INVOICE.READ"}}
		resp, got := call(t, "POST", tokens, "application/x-www-form-urlencoded", form.Encode(), nil)
		if resp.StatusCode != 200 || got["scope"] != "INVOICE.READ" || got["refresh_token"] == "" {
			t.Fatalf("%d %v", resp.StatusCode, got)
		}
	})
	t.Run("client credentials with scope", func(t *testing.T) {
		resp, got := call(t, "POST", tokens, "application/json", jsonBody(map[string]any{"grant_type": "client_credentials", "client_id": machine.ID, "client_secret": machineSecret, "scope": "INVOICE.READ"}), nil)
		if resp.StatusCode != 200 || got["scope"] != "INVOICE.READ" || got["refresh_token"] != nil {
			t.Fatalf("%d %v", resp.StatusCode, got)
		}
	})

	used := code
	fresh := f.code(t, f.authQuery("INVOICE.READ"))
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		code                    string
	}{
		{"malformed body", "application/json", `{"grant_type":`, 400, "API_VALIDATION_ERROR"},
		{"wrong field type", "application/json", `{"grant_type":42}`, 400, "API_VALIDATION_ERROR"},
		{"missing grant_type", "application/json", jsonBody(map[string]any{"client_id": machine.ID, "client_secret": machineSecret}), 400, "API_VALIDATION_ERROR"},
		{"missing client_id", "application/json", jsonBody(map[string]any{"grant_type": "client_credentials"}), 400, "API_VALIDATION_ERROR"},
		{"missing code", "application/json", jsonBody(map[string]any{"grant_type": "authorization_code", "client_id": f.web.ID, "client_secret": f.secret}), 400, "API_VALIDATION_ERROR"},
		{"unsupported media type", "text/plain", "grant_type=client_credentials", 400, "API_VALIDATION_ERROR"},
		{"used code", "application/json", jsonBody(map[string]any{"grant_type": "authorization_code", "code": used, "redirect_uri": f.redirect, "client_id": f.web.ID, "client_secret": f.secret}), 400, "INVALID_GRANT"},
		{"redirect mismatch", "application/json", jsonBody(map[string]any{"grant_type": "authorization_code", "code": fresh, "redirect_uri": f.redirect + "/", "client_id": f.web.ID, "client_secret": f.secret}), 400, "INVALID_GRANT"},
		{"bad code", "application/json", jsonBody(map[string]any{"grant_type": "authorization_code", "code": "nope", "redirect_uri": f.redirect, "client_id": f.web.ID, "client_secret": f.secret}), 400, "INVALID_GRANT"},
		{"unknown scope", "application/json", jsonBody(map[string]any{"grant_type": "client_credentials", "client_id": machine.ID, "client_secret": machineSecret, "scope": "NOPE.READ"}), 400, "INVALID_SCOPE"},
		{"scope not allowed", "application/json", jsonBody(map[string]any{"grant_type": "client_credentials", "client_id": machine.ID, "client_secret": machineSecret, "scope": "INVOICE.WRITE"}), 403, "INVALID_SCOPE_ERROR"},
		{"unknown client", "application/json", jsonBody(map[string]any{"grant_type": "client_credentials", "client_id": "dp_nobody", "client_secret": "x"}), 404, "DATA_NOT_FOUND"},
		{"wrong secret", "application/json", jsonBody(map[string]any{"grant_type": "client_credentials", "client_id": machine.ID, "client_secret": "wrong"}), 401, "INVALID_CLIENT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, got := call(t, "POST", tokens, tc.contentType, tc.body, nil)
			if resp.StatusCode != tc.status || got["error_code"] != tc.code || got["message"] == "" || got["error"] != nil {
				t.Fatalf("%d %v; want %d %s", resp.StatusCode, got, tc.status, tc.code)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Error("error without Cache-Control: no-store")
			}
		})
	}
	// A code presented wrongly is spent: no second try, even with the right redirect_uri.
	resp, got := call(t, "POST", tokens, "application/json", jsonBody(map[string]any{"grant_type": "authorization_code", "code": fresh, "redirect_uri": f.redirect, "client_id": f.web.ID, "client_secret": f.secret}), nil)
	if resp.StatusCode != 400 || got["error_code"] != "INVALID_GRANT" {
		t.Errorf("a code survived a refused exchange: %d %v", resp.StatusCode, got)
	}
}

func TestProtectedInvoicesAPI(t *testing.T) {
	f := newCompatFixture(t)
	ctx := context.Background()
	tokens, api := f.env.URL+"/oauth/tokens", f.env.URL+"/api/v1/invoices"
	exchange := func(scopes string) map[string]any {
		t.Helper()
		_, out := call(t, "POST", tokens, "application/json", jsonBody(map[string]any{
			"grant_type": "authorization_code", "code": f.code(t, f.authQuery(scopes)), "redirect_uri": f.redirect, "client_id": f.web.ID, "client_secret": f.secret,
		}), nil)
		return out
	}
	both := exchange("INVOICE.READ INVOICE.WRITE")
	readOnly := exchange("INVOICE.READ")
	bearer := func(tok map[string]any) map[string]string {
		return map[string]string{"Authorization": "Bearer " + tok["access_token"].(string)}
	}

	resp, created := call(t, "POST", api, "application/json", `{"amount":150000,"currency":"IDR","description":"March rent"}`, bearer(both))
	if resp.StatusCode != 201 || created["id"] == "" || created["amount"].(float64) != 150000 || created["client_id"] != f.web.ID {
		t.Fatalf("create: %d %v", resp.StatusCode, created)
	}
	resp, list := call(t, "GET", api, "", "", bearer(readOnly))
	data, _ := list["data"].([]any)
	if resp.StatusCode != 200 || len(data) != 1 || data[0].(map[string]any)["id"] != created["id"] {
		t.Fatalf("list: %d %v", resp.StatusCode, list)
	}

	t.Run("client credentials act for the owning developer", func(t *testing.T) {
		machine, secret := f.env.mustClient(t, f.dev, models.ClientMachine, nil, "INVOICE.READ")
		_, tok := call(t, "POST", tokens, "application/json", jsonBody(map[string]any{"grant_type": "client_credentials", "client_id": machine.ID, "client_secret": secret}), nil)
		resp, list := call(t, "GET", api, "", "", bearer(tok))
		if data, _ := list["data"].([]any); resp.StatusCode != 200 || len(data) != 0 {
			t.Fatalf("the developer has no invoices of their own yet: %d %v", resp.StatusCode, list)
		}
	})

	t.Run("validation", func(t *testing.T) {
		for _, body := range []string{`{"amount":-1,"currency":"IDR"}`, `{"amount":1,"currency":"rupiah"}`, `{"amount":1,"currency":"IDR","extra":1}`, `not json`} {
			resp, out := call(t, "POST", api, "application/json", body, bearer(both))
			if resp.StatusCode != 400 || out["error_code"] != "API_VALIDATION_ERROR" {
				t.Errorf("%s: %d %v", body, resp.StatusCode, out)
			}
		}
	})

	revoked := exchange("INVOICE.READ")
	if resp, _ := postForm(t, f.env.URL+"/oauth/revoke", f.web.ID, f.secret, url.Values{"token": {revoked["refresh_token"].(string)}}); resp.StatusCode != 200 {
		t.Fatal("revoke failed")
	}
	for _, tc := range []struct {
		name, method string
		header       map[string]string
		status       int
		code, chall  string
	}{
		{"RFC 6750 §3.1 missing token", "GET", nil, 401, "INVALID_TOKEN", `error="invalid_token"`},
		{"RFC 6750 §3.1 malformed token", "GET", map[string]string{"Authorization": "Bearer not-a-jwt"}, 401, "INVALID_TOKEN", `error="invalid_token"`},
		{"RFC 6750 §2.1 wrong scheme", "GET", map[string]string{"Authorization": "Basic " + both["access_token"].(string)}, 401, "INVALID_TOKEN", `error="invalid_token"`},
		{"RFC 7009 revoked grant", "GET", bearer(revoked), 401, "INVALID_TOKEN", `error="invalid_token"`},
		{"RFC 6750 §3.1 insufficient scope", "POST", bearer(readOnly), 403, "INSUFFICIENT_SCOPE", `error="insufficient_scope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := call(t, tc.method, api, "application/json", `{"amount":1,"currency":"IDR"}`, tc.header)
			if resp.StatusCode != tc.status || out["error_code"] != tc.code || !strings.Contains(resp.Header.Get("WWW-Authenticate"), tc.chall) || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("%d %v %q", resp.StatusCode, out, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	if _, err := f.env.Store.InvoicesByOwner(ctx, f.dev.ID, 10); err != nil {
		t.Fatal(err)
	}
}
