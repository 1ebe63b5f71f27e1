package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
)

const (
	spaOrigin   = "https://spa.example"
	spaRedirect = spaOrigin + "/callback"
	evilOrigin  = "https://evil.example"
)

// corsRequest sends a request with an Origin header, as a browser page's fetch does, and returns
// the response with its JSON body (if any).
func corsRequest(t *testing.T, method, endpoint, origin string, form url.Values, headers map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, endpoint, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp, out
}

// corsHeaders lists every Access-Control-* header of a response.
func corsHeaders(h http.Header) map[string][]string {
	out := map[string][]string{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out[k] = v
		}
	}
	return out
}

func varyOrigin(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Origin") {
				return true
			}
		}
	}
	return false
}

// spaCode runs an authorization (PKCE S256) for a native client as a signed-in user and returns
// the code with its verifier.
func spaCode(t *testing.T, env *testEnv, b *browser, client *models.Client) (code, verifier string) {
	t.Helper()
	verifier, authURL := authorizationURL(env.URL, client.ID, spaRedirect, "INVOICE.READ", "st")
	back := authorizeInBrowser(t, b, authURL, "allow")
	if code = back.Query().Get("code"); code == "" {
		t.Fatalf("authorization went to %s, without a code", back)
	}
	return code, verifier
}

// RFC 9700 ("Usage of CORS"): preflights of the token and revocation endpoints are answered for
// origins some active application allows, and only for them; credentials are never allowed.
func TestCORSPreflight(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	client, _ := env.mustClient(t, dev, models.ClientNative, []string{spaRedirect}, "INVOICE.READ")
	preflight := func(path, origin string) *http.Response {
		t.Helper()
		resp, _ := corsRequest(t, http.MethodOptions, env.URL+path, origin, nil, map[string]string{
			"Access-Control-Request-Method":  "POST",
			"Access-Control-Request-Headers": "authorization,content-type",
		})
		return resp
	}
	for _, path := range []string{"/oauth/token", "/oauth/revoke", "/oauth/tokens"} {
		t.Run(path, func(t *testing.T) {
			resp := preflight(path, spaOrigin)
			h := resp.Header
			if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != spaOrigin || h.Get("Access-Control-Allow-Methods") != "POST" ||
				!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Content-Type") ||
				h.Get("Access-Control-Max-Age") == "" || !varyOrigin(h) {
				t.Errorf("allowed origin: status %d, CORS headers %v, Vary %v", resp.StatusCode, corsHeaders(h), h.Values("Vary"))
			}
			if h.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("a preflight allows credentials")
			}
			for _, origin := range []string{evilOrigin, "null", spaOrigin + ":8443", "http://spa.example"} {
				resp := preflight(path, origin)
				if got := corsHeaders(resp.Header); len(got) != 0 || resp.StatusCode >= 500 {
					t.Errorf("origin %s: status %d, CORS headers %v; want none", origin, resp.StatusCode, got)
				}
			}
		})
	}
	if err := env.Store.SetClientStatus(context.Background(), client.ID, models.ClientSuspended); err != nil {
		t.Fatal(err)
	}
	if got := corsHeaders(preflight("/oauth/token", spaOrigin).Header); len(got) != 0 {
		t.Errorf("a suspended application's origin still passes the preflight: %v", got)
	}
}

// A cross-origin token request is checked against its own client before the grant runs, so a
// page the client does not allow is refused, sees nothing, and does not spend the code (RFC 6749
// §4.1.2: codes are single-use; RFC 9700 "Usage of CORS"). An allowed page can read success and
// error responses alike.
func TestCORSTokenEndpoint(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "user@example.com", false)
	client, _ := env.mustClient(t, dev, models.ClientNative, []string{spaRedirect}, "INVOICE.READ")
	other, _ := env.mustClient(t, dev, models.ClientNative, []string{"https://other.example/cb"}, "INVOICE.READ")
	b := newBrowser(t, env.URL)
	b.mustLogin("user@example.com")
	token := env.URL + "/oauth/token"
	exchange := func(code, verifier string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {spaRedirect}, "code_verifier": {verifier}, "client_id": {client.ID}}
	}
	mustRefused := func(t *testing.T, what string, resp *http.Response, out map[string]any) {
		t.Helper()
		if resp.StatusCode != http.StatusBadRequest || out["error"] != "unauthorized_client" || !strings.Contains(out["error_description"].(string), evilOrigin) {
			t.Fatalf("%s from a disallowed origin: status %d %v; want 400 unauthorized_client naming the origin", what, resp.StatusCode, out)
		}
		if got := corsHeaders(resp.Header); len(got) != 0 {
			t.Fatalf("%s from a disallowed origin carries CORS headers %v", what, got)
		}
	}

	t.Run("disallowed origin, then the allowed one, with the same code", func(t *testing.T) {
		code, verifier := spaCode(t, env, b, client)
		resp, out := corsRequest(t, http.MethodPost, token, evilOrigin, exchange(code, verifier), nil)
		mustRefused(t, "the exchange", resp, out)
		// Another application's origin is no better: origins are per client.
		resp, out = corsRequest(t, http.MethodPost, token, "https://other.example", exchange(code, verifier), nil)
		if out["error"] != "unauthorized_client" || len(corsHeaders(resp.Header)) != 0 {
			t.Fatalf("exchange from another application's origin: %d %v %v", resp.StatusCode, out, corsHeaders(resp.Header))
		}
		resp, out = corsRequest(t, http.MethodPost, token, spaOrigin, exchange(code, verifier), nil)
		if resp.StatusCode != http.StatusOK || out["access_token"] == nil || out["refresh_token"] == nil {
			t.Fatalf("exchange from the allowed origin after refused ones: %d %v (the refused requests spent the code?)", resp.StatusCode, out)
		}
		if resp.Header.Get("Access-Control-Allow-Origin") != spaOrigin || !varyOrigin(resp.Header) || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("success for the allowed origin: CORS headers %v, Vary %v", corsHeaders(resp.Header), resp.Header.Values("Vary"))
		}

		// Errors are readable by the allowed page too: the code is now spent.
		resp, out = corsRequest(t, http.MethodPost, token, spaOrigin, exchange(code, verifier), nil)
		if out["error"] != "invalid_grant" || resp.Header.Get("Access-Control-Allow-Origin") != spaOrigin {
			t.Fatalf("replay from the allowed origin: %d %v, CORS %v; want a readable invalid_grant", resp.StatusCode, out, corsHeaders(resp.Header))
		}
	})

	t.Run("disallowed origin, then the server side, with the same code; refresh", func(t *testing.T) {
		code, verifier := spaCode(t, env, b, client)
		resp, out := corsRequest(t, http.MethodPost, token, evilOrigin, exchange(code, verifier), nil)
		mustRefused(t, "the exchange", resp, out)
		resp, out = corsRequest(t, http.MethodPost, token, "", exchange(code, verifier), nil)
		if resp.StatusCode != http.StatusOK || out["refresh_token"] == nil {
			t.Fatalf("server-side exchange after a refused browser one: %d %v", resp.StatusCode, out)
		}
		if got := corsHeaders(resp.Header); len(got) != 0 {
			t.Errorf("a request without Origin got CORS headers %v", got)
		}
		refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {out["refresh_token"].(string)}, "client_id": {client.ID}}
		resp, out = corsRequest(t, http.MethodPost, token, evilOrigin, refresh, nil)
		mustRefused(t, "the refresh", resp, out)
		resp, out = corsRequest(t, http.MethodPost, token, spaOrigin, refresh, nil)
		if resp.StatusCode != http.StatusOK || out["access_token"] == nil || resp.Header.Get("Access-Control-Allow-Origin") != spaOrigin {
			t.Fatalf("refresh from the allowed origin after a refused one: %d %v (was the token rotated by the refused request?)", resp.StatusCode, out)
		}

		// RFC 7009 from a browser: the same rule.
		revoke := url.Values{"token": {out["refresh_token"].(string)}, "client_id": {client.ID}}
		resp, out = corsRequest(t, http.MethodPost, env.URL+"/oauth/revoke", evilOrigin, revoke, nil)
		mustRefused(t, "the revocation", resp, out)
		if _, active := postForm(t, env.URL+"/oauth/token", "", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {revoke.Get("token")}, "client_id": {client.ID}}); active["access_token"] == nil {
			t.Fatalf("a refused revocation revoked the token: %v", active)
		}
	})

	t.Run("revocation from the allowed origin", func(t *testing.T) {
		code, verifier := spaCode(t, env, b, client)
		_, out := corsRequest(t, http.MethodPost, token, spaOrigin, exchange(code, verifier), nil)
		resp, _ := corsRequest(t, http.MethodPost, env.URL+"/oauth/revoke", spaOrigin, url.Values{"token": {out["refresh_token"].(string)}, "client_id": {client.ID}}, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != spaOrigin || !varyOrigin(resp.Header) {
			t.Fatalf("revocation from the allowed origin: %d, CORS %v", resp.StatusCode, corsHeaders(resp.Header))
		}
		_, after := postForm(t, env.URL+"/oauth/token", "", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {out["refresh_token"].(string)}, "client_id": {client.ID}})
		if after["error"] != "invalid_grant" {
			t.Fatalf("refresh after revocation: %v", after)
		}
	})

	t.Run("errors before the client is known", func(t *testing.T) {
		for _, tc := range []struct {
			name, origin string
			form         url.Values
			readable     bool
		}{
			{"unknown client, an origin some application allows", spaOrigin, url.Values{"grant_type": {"refresh_token"}, "client_id": {"dp_nope"}}, true},
			{"missing grant_type, an origin some application allows", "https://other.example", url.Values{"client_id": {other.ID}}, true},
			{"unknown client, an origin no application allows", evilOrigin, url.Values{"grant_type": {"refresh_token"}, "client_id": {"dp_nope"}}, false},
			{"missing grant_type, an origin no application allows", evilOrigin, url.Values{"client_id": {client.ID}}, false},
		} {
			resp, out := corsRequest(t, http.MethodPost, token, tc.origin, tc.form, nil)
			if out["error"] == nil {
				t.Errorf("%s: %d %v; want an error", tc.name, resp.StatusCode, out)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); (got == tc.origin) != tc.readable || (got != "" && got != tc.origin) {
				t.Errorf("%s: Access-Control-Allow-Origin %q; readable should be %v", tc.name, got, tc.readable)
			}
		}
	})

	t.Run("the compatibility dialect follows the same rules", func(t *testing.T) {
		code, verifier := spaCode(t, env, b, client)
		resp, out := corsRequest(t, http.MethodPost, env.URL+"/oauth/tokens", evilOrigin, exchange(code, verifier), nil)
		if resp.StatusCode != http.StatusForbidden || out["error_code"] != "UNAUTHORIZED_CLIENT" || len(corsHeaders(resp.Header)) != 0 {
			t.Fatalf("compatibility exchange from a disallowed origin: %d %v %v", resp.StatusCode, out, corsHeaders(resp.Header))
		}
		resp, out = corsRequest(t, http.MethodPost, env.URL+"/oauth/tokens", spaOrigin, exchange(code, verifier), nil)
		if resp.StatusCode != http.StatusOK || out["expires_at"] == nil || resp.Header.Get("Access-Control-Allow-Origin") != spaOrigin {
			t.Fatalf("compatibility exchange from the allowed origin: %d %v %v", resp.StatusCode, out, corsHeaders(resp.Header))
		}
	})
}

// Metadata and keys are public documents every page may read (RFC 9700, "Usage of CORS").
func TestCORSPublicDocuments(t *testing.T) {
	env := newTestEnv(t)
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/jwks.json"} {
		for _, origin := range []string{"", evilOrigin} {
			resp, out := corsRequest(t, http.MethodGet, env.URL+path, origin, nil, nil)
			if resp.StatusCode != http.StatusOK || out == nil || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("%s (Origin %q): status %d, CORS %v; want Access-Control-Allow-Origin: *", path, origin, resp.StatusCode, corsHeaders(resp.Header))
			}
		}
	}
}

// RFC 9700 ("Usage of CORS"): the authorization endpoint MUST NOT support CORS; neither do the
// pages or the introspection endpoint (confidential callers only). Not one Access-Control-*
// header, however the request is made.
func TestNoCORSOnAuthorizationAndPages(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	client, secret := env.mustClient(t, dev, models.ClientWeb, []string{spaRedirect}, "INVOICE.READ")
	_, authURL := authorizationURL(env.URL, client.ID, spaRedirect, "INVOICE.READ", "s")
	authPath := strings.TrimPrefix(authURL, env.URL)
	signedIn := newBrowser(t, env.URL)
	signedIn.mustLogin("dev@example.com")
	check := func(name string, c *http.Client, method, path string, form url.Values) {
		t.Helper()
		for _, origin := range []string{spaOrigin, evilOrigin} {
			var body io.Reader
			if form != nil {
				body = strings.NewReader(form.Encode())
			}
			req, _ := http.NewRequest(method, env.URL+path, body)
			if form != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", "GET")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := corsHeaders(resp.Header); len(got) != 0 {
				t.Errorf("%s %s (Origin %s): status %d with CORS headers %v", method, name, origin, resp.StatusCode, got)
			}
		}
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct {
		who string
		c   *http.Client
	}{{"signed out", noRedirect}, {"signed in", signedIn.c}} {
		check("authorization endpoint, "+c.who, c.c, http.MethodGet, authPath, nil)
		check("authorization endpoint (/auth), "+c.who, c.c, http.MethodGet, "/auth?"+strings.SplitN(authPath, "?", 2)[1], nil)
		check("authorization endpoint preflight, "+c.who, c.c, http.MethodOptions, authPath, nil)
		check("authorization decision, "+c.who, c.c, http.MethodPost, "/oauth/authorize", url.Values{"decision": {"allow"}})
		for _, page := range []string{"/", "/login", "/signup", "/docs", "/apps", "/apps/" + client.ID, "/account", "/healthz"} {
			check(page+", "+c.who, c.c, http.MethodGet, page, nil)
		}
		check("login form, "+c.who, c.c, http.MethodPost, "/login", url.Values{"email": {"dev@example.com"}, "password": {"x"}})
	}
	check("introspection", noRedirect, http.MethodPost, "/oauth/introspect", url.Values{"token": {"x"}, "client_id": {client.ID}, "client_secret": {secret}})
	check("introspection preflight", noRedirect, http.MethodOptions, "/oauth/introspect", nil)
}

// CONTRACT.md: the application page's settings include "Allowed web origins", one per line,
// empty meaning the origins of the redirect URIs; what is saved is what the token endpoint and
// the preflight then allow.
func TestAppSettingsAllowedOrigins(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	dev := env.mustUser(t, "dev@example.com", false)
	owner := newBrowser(t, env.URL)
	owner.mustLogin("dev@example.com")
	client, _ := env.mustClient(t, dev, models.ClientNative, []string{spaRedirect, "com.example.spa:/cb"}, "INVOICE.READ")
	machine, _ := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
	page := "/apps/" + client.ID

	_, body := owner.get(page)
	if !strings.Contains(body, `<label for="allowed_origins">Allowed web origins</label>`) || !strings.Contains(body, `<textarea id="allowed_origins" name="allowed_origins"`) {
		t.Fatal(`the settings form has no "Allowed web origins" textarea`)
	}
	if !strings.Contains(body, "Empty: the origins of the redirect URIs, "+spaOrigin+".") {
		t.Error("the hint does not show the default, the redirect URIs' origins")
	}
	if _, body := owner.get("/apps/" + machine.ID); strings.Contains(body, "Allowed web origins") {
		t.Error("a machine-to-machine application is offered allowed web origins")
	}

	form := func(origins string) url.Values {
		return url.Values{"name": {client.Name}, "redirect_uris": {spaRedirect + "\r\ncom.example.spa:/cb"}, "scopes": {"INVOICE.READ"}, "allowed_origins": {origins}}
	}
	for _, tc := range []struct{ value, want string }{
		{"https://app.example/", "is a URL, not an origin: write only https://app.example"},
		{"http://app.example", "must use https"},
		{"https://*.example", "wildcards are not allowed"},
	} {
		owner.get(page)
		resp, body := owner.post(page, form("https://ok.example\r\n"+tc.value))
		body = htmlUnescape(body)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) || !strings.Contains(body, `id="origins-error"`) {
			t.Errorf("%q: status %d, want 422 with %q next to the field", tc.value, resp.StatusCode, tc.want)
		}
		if !strings.Contains(body, ">https://ok.example\r\n"+tc.value+"</textarea>") && !strings.Contains(body, ">https://ok.example\n"+tc.value+"</textarea>") {
			t.Errorf("%q: the form lost what was typed", tc.value)
		}
	}
	if c, _ := env.Store.ClientByID(ctx, client.ID); len(c.AllowedOrigins) != 0 {
		t.Fatalf("a refused edit was saved: %v", c.AllowedOrigins)
	}

	owner.get(page)
	if resp, _ := owner.post(page, form("https://app.example\r\nhttp://localhost:5173\r\n")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: status %d", resp.StatusCode)
	}
	c, err := env.Store.ClientByID(ctx, client.ID)
	if err != nil || strings.Join(c.AllowedOrigins, " ") != "https://app.example http://localhost:5173" {
		t.Fatalf("stored allowed origins %v, %v", c.AllowedOrigins, err)
	}
	if _, body := owner.get(page); !strings.Contains(body, ">https://app.example\nhttp://localhost:5173</textarea>") {
		t.Error("the page does not show the saved origins")
	}
	mustAuditCount(t, env, models.AuditAppUpdated, client.ID, 1)
	preflight := func(origin string) string {
		resp, _ := corsRequest(t, http.MethodOptions, env.URL+"/oauth/token", origin, nil, map[string]string{"Access-Control-Request-Method": "POST"})
		return resp.Header.Get("Access-Control-Allow-Origin")
	}
	if preflight("https://app.example") != "https://app.example" || preflight("http://localhost:5173") != "http://localhost:5173" || preflight(spaOrigin) != "" {
		t.Error("the preflight does not follow the saved list (which replaces the default)")
	}

	owner.get(page)
	if resp, _ := owner.post(page, form("")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("clear: status %d", resp.StatusCode)
	}
	if preflight(spaOrigin) != spaOrigin || preflight("https://app.example") != "" {
		t.Error("an emptied list does not bring back the default")
	}
}
