package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

func TestSecurityHeaders(t *testing.T) {
	env := newTestEnv(t)
	for _, path := range []string{"/", "/login", "/signup", "/docs", "/oauth/authorize?client_id=nope", "/nope"} {
		resp, _ := newBrowser(t, env.URL).get(path)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
}

func TestCSRF(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "a@example.com", false)
	creds := url.Values{"email": {"a@example.com"}, "password": {testPassword}}
	for _, tc := range []struct {
		name   string
		token  string
		header map[string]string
		want   int
	}{
		{"no token", "-", nil, http.StatusForbidden},
		{"forged token", "AAAA", nil, http.StatusForbidden},
		{"valid token, cross-site Origin", "", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"valid token, Sec-Fetch-Site cross-site", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"valid token, same origin", "", nil, http.StatusSeeOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, env.URL)
			b.get("/login")
			form := url.Values{}
			for k, v := range creds {
				form[k] = v
			}
			token := b.csrf
			if tc.token == "-" {
				token = ""
			} else if tc.token != "" {
				token = tc.token
			}
			form.Set("csrf_token", token)
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", env.URL)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := b.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestSignupAndLogin(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "taken@example.com", false)

	t.Run("validation errors keep the email, never the password", func(t *testing.T) {
		for _, tc := range []struct{ email, password, want string }{
			{"new@example.com", "short", "at least 12 characters"},
			{"not-an-email", testPassword, "email address like"},
		} {
			b := newBrowser(t, env.URL)
			b.get("/signup")
			resp, body := b.post("/signup", url.Values{"email": {tc.email}, "password": {tc.password}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) || !strings.Contains(body, `aria-invalid="true"`) {
				t.Errorf("%s: status %d, want 422 with %q", tc.email, resp.StatusCode, tc.want)
			}
			if !strings.Contains(body, `value="`+tc.email+`"`) || strings.Contains(body, tc.password+`"`) {
				t.Errorf("%s: form should keep the email and drop the password", tc.email)
			}
		}
	})

	t.Run("sign-up signs in with a hardened cookie", func(t *testing.T) {
		b := newBrowser(t, env.URL)
		b.get("/signup")
		resp, _ := b.post("/signup", url.Values{"email": {"New@Example.com"}, "password": {testPassword}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/apps" {
			t.Fatalf("status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		var session *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "devportal_session" {
				session = c
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax", session)
		}
		if _, err := env.Store.Authenticate(context.Background(), "new@example.com", testPassword); err != nil {
			t.Fatalf("stored user cannot log in: %v", err)
		}
		if resp, _ := b.get("/apps"); resp.StatusCode != http.StatusOK {
			t.Fatalf("/apps after sign-up: %d", resp.StatusCode)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		b := newBrowser(t, env.URL)
		b.get("/login")
		resp, body := b.post("/login", url.Values{"email": {"taken@example.com"}, "password": {"wrong password!!"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "do not match") {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})

	t.Run("next is honoured only when local", func(t *testing.T) {
		for next, want := range map[string]string{
			"/apps/new":             "/apps/new",
			"//evil.example/x":      "/apps",
			"https://evil.example/": "/apps",
			"/\\evil.example":       "/apps",
		} {
			b := newBrowser(t, env.URL)
			b.get("/login?next=" + url.QueryEscape(next))
			resp, _ := b.post("/login", url.Values{"email": {"taken@example.com"}, "password": {testPassword}, "next": {next}})
			if got := resp.Header.Get("Location"); got != want {
				t.Errorf("next=%q: redirected to %q, want %q", next, got, want)
			}
		}
	})
}

// Sessions live in the database: a second instance on the same database knows the user, the
// id changes at login, and logging out ends it everywhere.
func TestSessionsAreSharedAndRotated(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "a@example.com", false)
	other := newTestEnvWith(t, env.Store)

	b := newBrowser(t, env.URL)
	b.mustLogin("a@example.com")
	first := sessionCookie(t, b, env.URL)
	b.mustLogin("a@example.com")
	second := sessionCookie(t, b, env.URL)
	if first == second {
		t.Fatal("session id not rotated at login")
	}

	b2 := newBrowser(t, other.URL)
	u, _ := url.Parse(other.URL)
	b2.c.Jar.SetCookies(u, []*http.Cookie{{Name: "devportal_session", Value: second}})
	if resp, _ := b2.get("/apps"); resp.StatusCode != http.StatusOK {
		t.Fatalf("second instance: /apps status %d, want 200", resp.StatusCode)
	}
	for _, old := range []string{first} {
		b3 := newBrowser(t, env.URL)
		b3.c.Jar.SetCookies(u, []*http.Cookie{{Name: "devportal_session", Value: old}})
		if resp, _ := b3.get("/apps"); resp.StatusCode != http.StatusFound {
			t.Fatalf("replaced session still works")
		}
	}
	b.get("/apps")
	b.post("/logout", url.Values{})
	if resp, _ := b2.get("/apps"); resp.StatusCode != http.StatusFound {
		t.Fatalf("after logout the session still works on the other instance")
	}
}

func sessionCookie(t *testing.T, b *browser, base string) string {
	t.Helper()
	u, _ := url.Parse(base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "devportal_session" {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func TestApplications(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "owner@example.com", false)
	env.mustUser(t, "other@example.com", false)
	owner := newBrowser(t, env.URL)
	owner.mustLogin("owner@example.com")

	if resp, _ := newBrowser(t, env.URL).get("/apps/new"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("signed out /apps/new: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	t.Run("validation", func(t *testing.T) {
		for _, tc := range []struct {
			form url.Values
			want string
		}{
			{url.Values{"name": {""}, "type": {"web"}, "redirect_uris": {"https://a.example/cb"}, "scopes": {"INVOICE.READ"}}, "Enter a name"},
			{url.Values{"name": {"A"}, "type": {"web"}, "redirect_uris": {"http://a.example/cb"}, "scopes": {"INVOICE.READ"}}, "only for loopback"},
			{url.Values{"name": {"A"}, "type": {"web"}, "redirect_uris": {"https://a.example/cb#x"}, "scopes": {"INVOICE.READ"}}, "fragment"},
			{url.Values{"name": {"A"}, "type": {"web"}, "redirect_uris": {"com.example.app:/cb"}, "scopes": {"INVOICE.READ"}}, "native applications only"},
			{url.Values{"name": {"A"}, "type": {"web"}, "redirect_uris": {""}, "scopes": {"INVOICE.READ"}}, "at least one redirect URI"},
			{url.Values{"name": {"A"}, "type": {"web"}, "redirect_uris": {"https://a.example/cb"}}, "at least one scope"},
			{url.Values{"name": {"A"}, "type": {"robot"}, "scopes": {"INVOICE.READ"}}, "Choose the application type"},
		} {
			owner.get("/apps/new")
			resp, body := owner.post("/apps", tc.form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
				t.Errorf("%v: status %d, want 422 mentioning %q", tc.form, resp.StatusCode, tc.want)
			}
		}
	})

	owner.get("/apps/new")
	resp, body := owner.mustPostThenGet("/apps", url.Values{"name": {"Shop"}, "type": {"web"}, "redirect_uris": {"https://shop.example/cb\r\nhttp://127.0.0.1:8000/cb"}, "scopes": {"INVOICE.READ", "INVOICE.WRITE"}}, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: status %d cache %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	id, secret := codeText(body, "client-id"), codeText(body, "client-secret")
	if !strings.HasPrefix(id, "dp_") || !strings.HasPrefix(secret, "dps_") {
		t.Fatalf("client id %q secret %q", id, secret)
	}
	if _, body := owner.get("/apps/" + id); strings.Contains(body, secret) || strings.Contains(body, "client-secret") {
		t.Fatal("the secret is shown again")
	}
	client, err := env.Store.ClientByID(context.Background(), id)
	if err != nil || len(client.Secrets) != 1 || client.Secrets[0].Hash != models.HashToken(secret) || strings.Contains(client.Secrets[0].Hash, secret) {
		t.Fatalf("stored client %+v, %v: want one secret stored as its SHA-256", client, err)
	}

	t.Run("only the owner sees or changes it", func(t *testing.T) {
		stranger := newBrowser(t, env.URL)
		stranger.mustLogin("other@example.com")
		for _, p := range []string{"/apps/" + id, "/apps/" + id + "/rotate", "/apps/" + id + "/delete"} {
			if resp, _ := stranger.get(p); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s by a stranger: %d, want 404", p, resp.StatusCode)
			}
			if p != "/apps/"+id {
				stranger.get("/apps") // a valid CSRF token, so only ownership can refuse
				if resp, _ := stranger.post(p, url.Values{}); resp.StatusCode != http.StatusNotFound {
					t.Errorf("POST %s by a stranger: %d, want 404", p, resp.StatusCode)
				}
			}
		}
		if _, body := stranger.get("/apps"); strings.Contains(body, id) {
			t.Error("a stranger's list shows the app")
		}
	})

	t.Run("rotate replaces the secret", func(t *testing.T) {
		owner.get("/apps/" + id + "/rotate")
		_, body := owner.mustPostThenGet("/apps/"+id+"/rotate", url.Values{"keep": {"now"}}, "/apps/"+id) // "Retire it now"
		fresh := codeText(body, "client-secret")
		if fresh == "" || fresh == secret {
			t.Fatalf("rotated secret %q", fresh)
		}
		if _, err := env.OAuth.AuthenticateClient(context.Background(), id, secret); err == nil {
			t.Error("old secret still authenticates")
		}
		if _, err := env.OAuth.AuthenticateClient(context.Background(), id, fresh); err != nil {
			t.Errorf("new secret: %v", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		owner.get("/apps/" + id + "/delete")
		resp, _ := owner.post("/apps/"+id+"/delete", url.Values{})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete: %d", resp.StatusCode)
		}
		if _, err := env.Store.ClientByID(context.Background(), id); err != models.ErrNotFound {
			t.Fatalf("client still there: %v", err)
		}
	})
}

var codeRe = func(id string) string { return `<code id="` + id + `">` }

func codeText(body, id string) string {
	_, rest, ok := strings.Cut(body, codeRe(id))
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "</code>")
	return v
}

func TestAuthorizeEndpoint(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "user@example.com", false)
	redirect := "https://client.example/cb?tenant=7"
	client, _ := env.mustClient(t, dev, models.ClientWeb, []string{redirect, "https://client.example/other"}, "INVOICE.READ")
	authz := func(p url.Values) string { return "/oauth/authorize?" + p.Encode() }
	valid := func() url.Values {
		return url.Values{"client_id": {client.ID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"INVOICE.READ"}, "state": {"s1"}}
	}

	t.Run("errors shown, never redirected", func(t *testing.T) {
		for name, mutate := range map[string]func(url.Values){
			"unknown client":                   func(v url.Values) { v.Set("client_id", "dp_nope") },
			"unregistered redirect":            func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") },
			"redirect trailing slash":          func(v url.Values) { v.Set("redirect_uri", "https://client.example/other/") },
			"missing redirect, two registered": func(v url.Values) { v.Del("redirect_uri") },
			// RFC 6749 §3.1: neither can be trusted when sent twice.
			"repeated client_id":    func(v url.Values) { v.Add("client_id", v.Get("client_id")) },
			"repeated redirect_uri": func(v url.Values) { v.Add("redirect_uri", v.Get("redirect_uri")) },
		} {
			p := valid()
			mutate(p)
			resp, body := newBrowser(t, env.URL).get(authz(p))
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(body, "Error code") {
				t.Errorf("%s: status %d location %q", name, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	})

	// RFC 6749 §4.1.2.1 sends these errors to the client; RFC 9700 §4.11.2 allows an automatic
	// redirect only to a URI the server trusts. A visitor who never allowed the application gets
	// a page naming its host with a link carrying the error; a user who allowed it is redirected.
	trustedErrors := map[string]struct {
		mutate func(url.Values)
		code   string
	}{
		"scope not registered":           {func(v url.Values) { v.Set("scope", "EWALLET.WRITE") }, "invalid_scope"},
		"unknown scope":                  {func(v url.Values) { v.Set("scope", "NOPE") }, "invalid_scope"},
		"token response type":            {func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type"},
		"repeated scope (RFC 6749 §3.1)": {func(v url.Values) { v.Add("scope", "INVOICE.READ") }, "invalid_request"},
		"repeated state (RFC 6749 §3.1)": {func(v url.Values) { v.Add("state", "s2") }, "invalid_request"},
		"scope over 4 KiB":               {func(v url.Values) { v.Set("scope", strings.Repeat("INVOICE.READ ", 400)) }, "invalid_request"},
		"plain PKCE": {func(v url.Values) {
			v.Set("code_challenge", strings.Repeat("a", 43))
			v.Set("code_challenge_method", "plain")
		}, "invalid_request"},
	}
	checkErrorURL := func(t *testing.T, name string, loc *url.URL, code string) {
		t.Helper()
		q := loc.Query()
		if !strings.HasPrefix(loc.String(), "https://client.example/cb?") || q.Get("error") != code || q.Get("state") != "s1" || q.Get("iss") != env.URL || q.Get("tenant") != "7" {
			t.Errorf("%s: error sent to %s", name, loc)
		}
	}
	t.Run("errors for a visitor who never allowed the app are shown with a link to it", func(t *testing.T) {
		for name, tc := range trustedErrors {
			p := valid()
			tc.mutate(p)
			resp, body := newBrowser(t, env.URL).get(authz(p))
			link := returnLink(body)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || link == nil || !strings.Contains(body, "Return to client.example") {
				t.Errorf("%s: status %d location %q, want a page with a link", name, resp.StatusCode, resp.Header.Get("Location"))
				continue
			}
			checkErrorURL(t, name, link, tc.code)
		}
	})
	t.Run("errors for a user who allowed the app go back to it", func(t *testing.T) {
		env.mustUser(t, "trusting@example.com", false)
		b := newBrowser(t, env.URL)
		b.mustLogin("trusting@example.com")
		authorizeInBrowser(t, b, authz(valid()), "allow")
		for name, tc := range trustedErrors {
			p := valid()
			tc.mutate(p)
			resp, _ := b.get(authz(p))
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusFound {
				t.Errorf("%s: status %d, want 302", name, resp.StatusCode)
				continue
			}
			checkErrorURL(t, name, loc, tc.code)
		}
	})

	t.Run("signed-out user logs in and comes back to the same request", func(t *testing.T) {
		b := newBrowser(t, env.URL)
		resp, _ := b.get(authz(valid()))
		login := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(login, "/login?next=") {
			t.Fatalf("status %d location %q", resp.StatusCode, login)
		}
		b.get(login)
		next, _ := url.Parse(login)
		resp, _ = b.post("/login", url.Values{"email": {"user@example.com"}, "password": {testPassword}, "next": {next.Query().Get("next")}})
		if resp.Header.Get("Location") != authz(valid()) {
			t.Fatalf("after login went to %q, want %q", resp.Header.Get("Location"), authz(valid()))
		}
		resp, body := b.get(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, client.Name) || !strings.Contains(body, "See your invoices") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("consent page: %d", resp.StatusCode)
		}
		back := authorizeInBrowser(t, b, authz(valid()), "deny")
		if back.Query().Get("error") != "access_denied" || back.Query().Get("state") != "s1" || back.Query().Get("code") != "" {
			t.Fatalf("deny went to %s", back)
		}
		back = authorizeInBrowser(t, b, "/auth?"+valid().Encode(), "allow")
		if back.Query().Get("code") == "" || back.Query().Get("tenant") != "7" {
			t.Fatalf("allow via /auth went to %s", back)
		}
	})

	t.Run("decision needs a session and a CSRF token", func(t *testing.T) {
		b := newBrowser(t, env.URL)
		b.get("/login")
		form := valid()
		form.Set("decision", "allow")
		if resp, _ := b.post("/oauth/authorize", form); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("signed out decision: %d, want 401", resp.StatusCode)
		}
	})
}

func TestTokenEndpointErrors(t *testing.T) {
	env := newTestEnv(t)
	machine, secret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ")
	post := func(body string, mutate func(*http.Request)) (*http.Response, map[string]string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/oauth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if mutate != nil {
			mutate(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]string
		json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}
	basic := func(id, s string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(s)) }
	}
	for _, tc := range []struct {
		name   string
		body   string
		mutate func(*http.Request)
		status int
		code   string
	}{
		{"§5.2 JSON body instead of a form", `{"grant_type":"client_credentials"}`, func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, 400, "invalid_request"},
		{"§3.2 repeated parameter", "grant_type=client_credentials&grant_type=client_credentials", basic(machine.ID, secret), 400, "invalid_request"},
		{"§2.3 two authentication methods", "grant_type=client_credentials&client_secret=" + secret, basic(machine.ID, secret), 400, "invalid_request"},
		{"§5.2 missing grant_type", "", basic(machine.ID, secret), 400, "invalid_request"},
		{"§5.2 unsupported grant_type", "grant_type=password", basic(machine.ID, secret), 400, "unsupported_grant_type"},
		{"§5.2 wrong secret over Basic", "grant_type=client_credentials", basic(machine.ID, "nope"), 401, "invalid_client"},
		{"§5.2 unknown client in body", "grant_type=client_credentials&client_id=dp_nope&client_secret=x", nil, 401, "invalid_client"},
		{"§5.2 no client authentication", "grant_type=client_credentials", nil, 401, "invalid_client"},
		{"§5.2 unauthorized_client", "grant_type=authorization_code&code=x", basic(machine.ID, secret), 400, "unauthorized_client"},
		{"§5.2 invalid_scope", "grant_type=client_credentials&scope=EWALLET.READ", basic(machine.ID, secret), 400, "invalid_scope"},
		{"§4.4 success with Basic", "grant_type=client_credentials", basic(machine.ID, secret), 200, ""},
		{"§2.3.1 success with client_secret_post", "grant_type=client_credentials&client_id=" + machine.ID + "&client_secret=" + secret, nil, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := post(tc.body, tc.mutate)
			if resp.StatusCode != tc.status || out["error"] != tc.code {
				t.Fatalf("status %d error %q (%s); want %d %q", resp.StatusCode, out["error"], out["error_description"], tc.status, tc.code)
			}
			if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Pragma") != "no-cache" {
				t.Errorf("cache headers %v", resp.Header)
			}
			if tc.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without a Basic challenge")
			}
			if tc.status == 200 && (out["access_token"] == "" || out["token_type"] != "Bearer" || out["scope"] != "INVOICE.READ") {
				t.Errorf("success body %v", out)
			}
		})
	}
}

// The metadata names only endpoints that exist, and only features that work (RFC 8414 §2).
func TestMetadataMatchesServer(t *testing.T) {
	env := newTestEnv(t)
	resp, err := http.Get(env.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md oauth.Metadata
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		t.Fatal(err)
	}
	if md.Issuer != env.URL || !md.AuthorizationResponseISSParameterSupported || strings.Join(md.CodeChallengeMethodsSupported, ",") != "S256" {
		t.Fatalf("metadata %+v", md)
	}
	for _, u := range []string{md.AuthorizationEndpoint, md.JWKSURI, md.ServiceDocumentation} {
		if resp, err := http.Get(u); err != nil || resp.StatusCode == http.StatusNotFound {
			t.Errorf("%s is advertised but not served", u)
		}
	}
	if resp, err := http.Post(md.TokenEndpoint, "application/x-www-form-urlencoded", nil); err != nil || resp.StatusCode == http.StatusNotFound {
		t.Errorf("token endpoint %s not served", md.TokenEndpoint)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if resp, err := http.Get(env.URL + p); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %v %v", p, resp, err)
		}
	}
}

// Password guessing is throttled per account, and the count lives in the database.
func TestLoginThrottle(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "target@example.com", false)
	b := newBrowser(t, env.URL)
	for i := 0; i < 10; i++ {
		b.get("/login")
		if resp, _ := b.post("/login", url.Values{"email": {"target@example.com"}, "password": {"wrong guess number"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	other := newTestEnvWith(t, env.Store) // another instance sees the same count
	b2 := newBrowser(t, other.URL)
	b2.get("/login")
	resp, body := b2.post("/login", url.Values{"email": {"Target@Example.com"}, "password": {testPassword}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed attempts") {
		t.Fatalf("11th attempt, right password: %d", resp.StatusCode)
	}
	b2.get("/login")
	env.mustUser(t, "bystander@example.com", false)
	if resp, _ := b2.post("/login", url.Values{"email": {"bystander@example.com"}, "password": {testPassword}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another account is throttled too: %d", resp.StatusCode)
	}
}

// Issue 9 item 1: a handler names what was not found (models.ErrNotFound.Describe, Reword) and
// web's one code table answers it with 404, the page heading and the handler's message, as the
// hand-written echo.HTTPError(404, …) conversions did.
func TestNotFoundThroughTheCodeTable(t *testing.T) {
	env := newTestEnv(t)
	admin := env.mustUser(t, "admin@example.com", true)
	c, _ := env.mustClient(t, admin, models.ClientNative, []string{"http://127.0.0.1/cb"}, "INVOICE.READ")
	b := newBrowser(t, env.URL)
	b.mustLogin("admin@example.com")
	for _, tc := range []struct{ path, want string }{
		{"/admin/users/999999/disable", "There is no user with that id."},
		{"/admin/users/not-a-number/enable", "There is no user with that id."},
		{"/admin/clients/nope/revoke", "There is no client with that id."},
		{"/admin/scopes/NO.SUCH", "There is no scope with that name in the catalog."},
		{"/apps/nope", "There is no application with that id among yours."},
		{"/apps/" + c.ID + "/rotate", "This application has no secret to rotate."},
		{"/account/apps/" + c.ID + "/revoke", "You have not allowed an application with that id to access your account."},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := b.get(tc.path)
			if strings.HasPrefix(tc.path, "/admin/users/") { // its actions are POST only
				b.get("/admin/users")
				resp, body = b.post(tc.path, url.Values{})
			}
			if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "Page not found") || !strings.Contains(body, tc.want) {
				t.Fatalf("GET %s: status %d, want 404 with %q\n%s", tc.path, resp.StatusCode, tc.want, body)
			}
		})
	}
}
