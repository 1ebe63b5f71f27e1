package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
)

// oidcCast is the cast of an OpenID Connect HTTP test: an RP registered for openid profile email
// (and a post-logout URI), and a user signed in in the returned browser.
type oidcCast struct {
	env      *testEnv
	client   *models.Client
	secret   string
	redirect string
	bye      string
	user     *models.User
	b        *browser
}

func newOIDCCast(t *testing.T) *oidcCast {
	t.Helper()
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	u := env.mustUser(t, "user@example.com", false)
	c := &oidcCast{env: env, redirect: "https://rp.example/cb", bye: "https://rp.example/bye", user: u}
	c.client, c.secret = env.mustClient(t, dev, models.ClientWeb, []string{c.redirect}, "openid", "profile", "email", "offline_access", "INVOICE.READ")
	err := env.Store.UpdateClient(context.Background(), c.client.ID, models.ClientProfile{Name: c.client.Name, RedirectURIs: c.client.RedirectURIs,
		Scopes: c.client.Scopes, PostLogoutRedirectURIs: []string{c.bye}, AllowedOrigins: []string{"https://rp.example"}})
	if err != nil {
		t.Fatal(err)
	}
	c.b = newBrowser(t, env.URL)
	c.b.mustLogin(u.Email)
	return c
}

// authorizeURL is an authorization request of the cast's client with extra parameters.
func (c *oidcCast) authorizeURL(scope string, extra ...string) string {
	v := url.Values{"client_id": {c.client.ID}, "redirect_uri": {c.redirect}, "response_type": {"code"}, "scope": {scope}, "state": {"st"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return "/oauth/authorize?" + v.Encode()
}

// tokens exchanges the code in loc at the token endpoint.
func (c *oidcCast) tokens(t *testing.T, loc *url.URL) map[string]any {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {c.redirect}}
	req, _ := http.NewRequest(http.MethodPost, c.env.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.client.ID, c.secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %v %v", resp.StatusCode, out, err)
	}
	return out
}

// signIn runs a full code flow for scope and returns the token response.
func (c *oidcCast) signIn(t *testing.T, scope string, extra ...string) map[string]any {
	t.Helper()
	return c.tokens(t, authorizeInBrowser(t, c.b, c.authorizeURL(scope, extra...), "allow"))
}

// TestOpenIDConfiguration: Discovery 1.0 §4 — the document is served at the well-known path, and
// agrees with the RFC 8414 document on every field (they are the same document).
func TestOpenIDConfiguration(t *testing.T) {
	env := newTestEnv(t)
	get := func(path string) []byte {
		resp, err := http.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		return body
	}
	oidc, rfc := get("/.well-known/openid-configuration"), get("/.well-known/oauth-authorization-server")
	if !bytes.Equal(oidc, rfc) {
		t.Fatalf("the two metadata documents differ:\n%s\n%s", oidc, rfc)
	}
	var md map[string]any
	if err := json.Unmarshal(oidc, &md); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"issuer": env.URL, "userinfo_endpoint": env.URL + "/oauth/userinfo", "end_session_endpoint": env.URL + "/oauth/logout",
		"authorization_endpoint": env.URL + "/oauth/authorize", "jwks_uri": env.URL + "/.well-known/jwks.json"} {
		if md[k] != want {
			t.Errorf("%s = %v, want %s", k, md[k], want)
		}
	}
	for _, k := range []string{"request_parameter_supported", "request_uri_parameter_supported", "claims_parameter_supported"} {
		if v, ok := md[k]; !ok || v != false {
			t.Errorf("%s = %v, want false stated explicitly", k, v)
		}
	}
}

// TestIDTokenOverHTTP: the token endpoint answers id_token in both dialects when openid was
// granted, and a plain OAuth 2.0 response stays exactly as it was.
func TestIDTokenOverHTTP(t *testing.T) {
	c := newOIDCCast(t)
	got := c.signIn(t, "openid email")
	if got["id_token"] == nil || got["refresh_token"] != nil {
		t.Fatalf("openid without offline_access: %v, want id_token and no refresh_token", got)
	}
	plain := c.signIn(t, "INVOICE.READ")
	for _, k := range []string{"id_token"} {
		if _, ok := plain[k]; ok {
			t.Fatalf("plain OAuth 2.0 response has %s: %v", k, plain)
		}
	}
	if plain["refresh_token"] == nil {
		t.Fatalf("plain OAuth 2.0 lost its refresh token: %v", plain)
	}
	// The compatibility dialect carries the flow's "ID token" too.
	loc := authorizeInBrowser(t, c.b, c.authorizeURL("openid"), "allow")
	body, _ := json.Marshal(map[string]string{"grant_type": "authorization_code", "code": loc.Query().Get("code"), "redirect_uri": c.redirect, "client_id": c.client.ID, "client_secret": c.secret})
	resp, err := http.Post(c.env.URL+"/oauth/tokens", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var compat map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&compat); err != nil || resp.StatusCode != http.StatusOK || compat["id_token"] == nil {
		t.Fatalf("compat dialect: %d %v %v", resp.StatusCode, compat, err)
	}
}

// TestConsentSaysSignIn: a request for identity alone reads "Sign in to App as email".
func TestConsentSaysSignIn(t *testing.T) {
	c := newOIDCCast(t)
	_, body := c.b.get(c.authorizeURL("openid profile email"))
	if !strings.Contains(body, `Sign in to <strong class="consent-name" title="Test web app">Test web app</strong> as user@example.com`) {
		t.Fatalf("consent for openid profile email:\n%s", body)
	}
	for _, want := range []string{"Know your name", "See your email address"} {
		if !strings.Contains(body, want) {
			t.Errorf("consent lacks %q", want)
		}
	}
	_, body = c.b.get(c.authorizeURL("openid INVOICE.READ"))
	if strings.Contains(body, "Sign in to") || !strings.Contains(body, "wants to access your account") {
		t.Fatalf("consent for openid + an API scope must ask for access:\n%s", body)
	}
}

// TestPromptOverHTTP: OIDC Core §3.1.2.1 prompt, max_age and login_hint at the endpoint.
func TestPromptOverHTTP(t *testing.T) {
	c := newOIDCCast(t)
	c.signIn(t, "openid") // the user allows the client openid

	t.Run("prompt=none, signed in and allowed: straight back with a code", func(t *testing.T) {
		resp, _ := c.b.get(c.authorizeURL("openid", "prompt", "none"))
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
			t.Fatalf("%d %s", resp.StatusCode, loc)
		}
	})
	t.Run("prompt=none, more than was allowed: consent_required, redirected", func(t *testing.T) {
		resp, _ := c.b.get(c.authorizeURL("openid profile", "prompt", "none"))
		loc, _ := url.Parse(resp.Header.Get("Location"))
		q := loc.Query()
		if resp.StatusCode != http.StatusFound || q.Get("error") != "consent_required" || q.Get("state") != "st" || q.Get("iss") != c.env.URL {
			t.Fatalf("%d %s", resp.StatusCode, loc)
		}
	})
	t.Run("prompt=none, signed out: login_required, redirected without any page", func(t *testing.T) {
		anon := newBrowser(t, c.env.URL)
		resp, _ := anon.get(c.authorizeURL("openid", "prompt", "none"))
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), c.redirect) || loc.Query().Get("error") != "login_required" || loc.Query().Get("state") != "st" {
			t.Fatalf("%d %s", resp.StatusCode, loc)
		}
	})
	for _, tc := range []struct{ name, key, value string }{{"prompt=login", "prompt", "login"}, {"max_age=0", "max_age", "0"}} {
		t.Run(tc.name+": log in again, then continue without the demand", func(t *testing.T) {
			resp, _ := c.b.get(c.authorizeURL("openid", tc.key, tc.value, "login_hint", "user@example.com"))
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusFound || loc.Path != "/login" || loc.Query().Get("reauth") != "1" {
				t.Fatalf("%d %s, want the login page", resp.StatusCode, loc)
			}
			next, _ := url.Parse(loc.Query().Get("next"))
			if next.Query().Has(tc.key) || next.Query().Get("client_id") != c.client.ID {
				t.Fatalf("next = %s: the demand must be gone and the request kept", next)
			}
			resp, body := c.b.get(loc.String())
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "You are signed in as <strong>user@example.com</strong>") || !strings.Contains(body, `value="user@example.com"`) {
				t.Fatalf("login page: %d\n%s", resp.StatusCode, body)
			}
			resp, _ = c.b.post("/login", url.Values{"email": {"user@example.com"}, "password": {testPassword}, "next": {next.String()}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != next.String() {
				t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, _ = c.b.get(next.String())
			back, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusFound || back.Query().Get("code") == "" {
				t.Fatalf("after logging in again: %d %s", resp.StatusCode, back)
			}
		})
	}
	t.Run("prompt=create, signed out: the sign-up page", func(t *testing.T) {
		anon := newBrowser(t, c.env.URL)
		resp, _ := anon.get(c.authorizeURL("openid", "prompt", "create"))
		if loc, _ := url.Parse(resp.Header.Get("Location")); resp.StatusCode != http.StatusFound || loc.Path != "/signup" || loc.Query().Get("next") == "" {
			t.Fatalf("%d %s", resp.StatusCode, loc)
		}
	})
	t.Run("prompt=select_account: choose, with a Continue and a switch", func(t *testing.T) {
		resp, body := c.b.get(c.authorizeURL("openid", "prompt", "select_account"))
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Continue as user@example.com") || !strings.Contains(body, ">Use another account</button>") {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("request objects: request_not_supported, redirected", func(t *testing.T) {
		resp, _ := c.b.get(c.authorizeURL("openid", "request", "eyJhbGciOiJub25lIn0.e30."))
		if loc, _ := url.Parse(resp.Header.Get("Location")); loc.Query().Get("error") != "request_not_supported" {
			t.Fatalf("%d %s", resp.StatusCode, loc)
		}
	})
}

// TestFormPostResponse: OAuth 2.0 Form Post Response Mode §2 — the response is a page whose form
// posts code, state and iss to the redirect URI, submitted by a script from /static under a CSP
// that allows the form to go there and nowhere else.
func TestFormPostResponse(t *testing.T) {
	c := newOIDCCast(t)
	c.signIn(t, "openid")
	resp, body := c.b.get(c.authorizeURL("openid", "response_mode", "form_post"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{`action="https://rp.example/cb"`, `name="code"`, `name="state" value="st"`, `name="iss" value="` + c.env.URL + `"`, `<script src="/static/js/form_post.js" defer></script>`, ">Continue to rp.example</button>"} {
		if !strings.Contains(body, want) {
			t.Errorf("form_post page lacks %s\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Error("inline script on the form_post page")
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action https://rp.example/cb;") || !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q, want no-store: the page holds a code", resp.Header.Get("Cache-Control"))
	}
}

// TestUserInfoEndpoint: OIDC Core §5.3 over HTTP, with RFC 6750 errors and CORS.
func TestUserInfoEndpoint(t *testing.T) {
	c := newOIDCCast(t)
	tok := c.signIn(t, "openid email")
	call := func(method, token, origin string, body io.Reader) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(method, c.env.URL+"/oauth/userinfo", body)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}
	at, _ := tok["access_token"].(string)
	resp, info := call(http.MethodGet, at, "https://rp.example", nil)
	if resp.StatusCode != http.StatusOK || info["sub"] != c.user.Subject || info["email"] != "user@example.com" || info["email_verified"] != false {
		t.Fatalf("GET: %d %v", resp.StatusCode, info)
	}
	// Issue #11: opening the verification link makes email_verified true (OIDC Core §5.1).
	c.b.get("/account")
	c.b.post("/account/verify-email", url.Values{})
	verify := mustLink(t, c.env.mustMail(t, "user@example.com"), "/verify-email")
	if resp, _ := c.b.get(verify); resp.StatusCode != http.StatusOK {
		t.Fatalf("verification link: %d", resp.StatusCode)
	}
	if resp, info := call(http.MethodGet, at, "", nil); resp.StatusCode != http.StatusOK || info["email_verified"] != true {
		t.Fatalf("after verification: %d %v, want email_verified true", resp.StatusCode, info)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://rp.example" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("CORS %q, cache %q", resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Cache-Control"))
	}
	if _, has := info["name"]; has {
		t.Errorf("name released without profile: %v", info)
	}
	if resp, _ := call(http.MethodGet, at, "https://other.example", nil); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS allowed for an origin the client did not allow")
	}
	if resp, info := call(http.MethodPost, "", "", strings.NewReader("access_token="+url.QueryEscape(at))); resp.StatusCode != http.StatusOK || info["sub"] != c.user.Subject {
		t.Fatalf("POST with the token in the body (RFC 6750 §2.2): %d %v", resp.StatusCode, info)
	}
	for _, tc := range []struct {
		name, token string
		status      int
		code        string
	}{
		{"no token", "", http.StatusUnauthorized, "invalid_token"},
		{"an ID Token", tok["id_token"].(string), http.StatusUnauthorized, "invalid_token"},
		{"a token without openid", c.signIn(t, "INVOICE.READ")["access_token"].(string), http.StatusForbidden, "insufficient_scope"},
	} {
		resp, out := call(http.MethodGet, tc.token, "", nil)
		challenge := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != tc.status || out["error"] != tc.code || !strings.HasPrefix(challenge, "Bearer ") || !strings.Contains(challenge, `error="`+tc.code+`"`) {
			t.Errorf("%s: %d %v, challenge %q; want %d %s", tc.name, resp.StatusCode, out, challenge, tc.status, tc.code)
		}
	}
	req, _ := http.NewRequest(http.MethodOptions, c.env.URL+"/oauth/userinfo", nil)
	req.Header.Set("Origin", "https://rp.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "authorization")
	pre, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pre.Body.Close()
	if pre.Header.Get("Access-Control-Allow-Origin") != "https://rp.example" || !strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "GET") {
		t.Errorf("preflight: %v", pre.Header)
	}
}

// TestRPInitiatedLogout: OpenID Connect RP-Initiated Logout 1.0 over HTTP.
func TestRPInitiatedLogout(t *testing.T) {
	signedIn := func(t *testing.T, b *browser) bool {
		resp, _ := b.get("/account")
		return resp.StatusCode == http.StatusOK
	}
	t.Run("a hint for this session signs out at once and returns with state", func(t *testing.T) {
		c := newOIDCCast(t)
		hint := c.signIn(t, "openid")["id_token"].(string)
		resp, _ := c.b.get("/oauth/logout?" + url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {c.bye}, "state": {"xyz"}}.Encode())
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != c.bye+"?state=xyz" {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if signedIn(t, c.b) {
			t.Fatal("still signed in after logout")
		}
		// A later silent request finds nobody signed in.
		resp, _ = c.b.get(c.authorizeURL("openid", "prompt", "none"))
		if loc, _ := url.Parse(resp.Header.Get("Location")); loc.Query().Get("error") != "login_required" {
			t.Fatalf("prompt=none after logout: %s", loc)
		}
	})
	t.Run("without a hint the user confirms, and the form is CSRF-protected", func(t *testing.T) {
		c := newOIDCCast(t)
		resp, body := c.b.get("/oauth/logout?" + url.Values{"client_id": {c.client.ID}, "post_logout_redirect_uri": {c.bye}}.Encode())
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/oauth/logout"`) || !strings.Contains(body, ">Log out</button>") || !strings.Contains(body, "sent back to rp.example") {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
		if !signedIn(t, c.b) {
			t.Fatal("signed out by a GET that needed confirmation")
		}
		form := url.Values{"client_id": {c.client.ID}, "post_logout_redirect_uri": {c.bye}}
		// An application's POST (no CSRF token) becomes the same request by GET: confirmation.
		if resp, _ := c.b.postExactly("/oauth/logout", form); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/oauth/logout?") {
			t.Fatalf("POST without the CSRF token: %d %s, want 303 to the GET", resp.StatusCode, resp.Header.Get("Location"))
		}
		forged := url.Values{"csrf_token": {"forged"}}
		for k, v := range form {
			forged[k] = v
		}
		if resp, _ := c.b.postExactly("/oauth/logout", forged); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("POST with a wrong CSRF token: %d, want 403", resp.StatusCode)
		}
		if !signedIn(t, c.b) {
			t.Fatal("signed out by a POST without a valid CSRF token")
		}
		c.b.get("/oauth/logout?client_id=" + c.client.ID) // for the CSRF token
		resp, _ = c.b.post("/oauth/logout", form)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != c.bye {
			t.Fatalf("confirmed: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if signedIn(t, c.b) {
			t.Fatal("still signed in after confirming")
		}
	})
	t.Run("an unregistered post-logout URI is refused on a page and nothing ends", func(t *testing.T) {
		c := newOIDCCast(t)
		hint := c.signIn(t, "openid")["id_token"].(string)
		resp, body := c.b.get("/oauth/logout?" + url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://evil.example/"}}.Encode())
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(body, "post-logout redirect URIs") {
			t.Fatalf("%d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		if !signedIn(t, c.b) {
			t.Fatal("a refused logout request signed the user out")
		}
	})
	t.Run("without any redirect the signed-out page says so", func(t *testing.T) {
		c := newOIDCCast(t)
		hint := c.signIn(t, "openid")["id_token"].(string)
		resp, body := c.b.get("/oauth/logout?id_token_hint=" + url.QueryEscape(hint))
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "You are logged out") {
			t.Fatalf("%d\n%s", resp.StatusCode, body)
		}
	})
}

// TestAuthorizationRequestByPost: OIDC Core §3.1.2.1 — the authorization endpoint accepts POST.
// An application's POST (no CSRF token) is re-sent as the same request by GET; the consent
// decision, which carries the token, is not affected.
func TestAuthorizationRequestByPost(t *testing.T) {
	c := newOIDCCast(t)
	form := url.Values{"client_id": {c.client.ID}, "redirect_uri": {c.redirect}, "response_type": {"code"}, "scope": {"openid"}, "state": {"st"}, "nonce": {"n"}}
	// A cross-site form: no cookies, an Origin of the application's.
	req, _ := http.NewRequest(http.MethodPost, c.env.URL+"/oauth/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://rp.example")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Path != "/oauth/authorize" || loc.Query().Get("nonce") != "n" || loc.Query().Get("client_id") != c.client.ID {
		t.Fatalf("%d %s, want 303 to the same request by GET", resp.StatusCode, loc)
	}
	// Followed by the signed-in browser, it is an ordinary request: consent, then a code.
	back := authorizeInBrowser(t, c.b, loc.String(), "allow")
	if back.Query().Get("code") == "" || back.Query().Get("state") != "st" {
		t.Fatalf("back at the client: %s", back)
	}
}
