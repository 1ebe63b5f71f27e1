package web_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/devportal/devportal/docs"
	"github.com/devportal/devportal/models"
)

// What docs/oidc.md tells developers to register.
const (
	oidcGuideRedirectURI   = "http://127.0.0.1:9999/callback"
	oidcGuidePostLogoutURI = "http://127.0.0.1:9999/signed-out"
)

// TestOIDCGuide runs docs/oidc.md, "Sign in with devportal", against a live server exactly as
// TestIntegrationGuide runs the integration guide (see the rules at the top of guide_test.go):
// discovery (OpenID Connect Discovery 1.0 §4), the authorization request with PKCE and a nonce
// (OIDC Core §3.1.2), the code exchange returning an ID Token (§3.1.3.3), userinfo (§5.3) and
// RP-Initiated Logout (RP-Initiated Logout 1.0 §2–3). Its own fixtures: CLIENT_ID and
// CLIENT_SECRET (the web application, registered through the portal as the guide says), CODE,
// ACCESS_TOKEN and ID_TOKEN. The ID Token the guide ends with must then pass the validation the
// guide describes, done by go-oidc, and its claims must be the ones the guide illustrates.
func TestOIDCGuide(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	env.mustUser(t, "dev@example.com", false)
	user := env.mustOIDCUser(t, "ada@example.com", "Ada Lovelace")
	dev := newBrowser(t, env.URL)
	dev.mustLogin("dev@example.com")
	dev.get("/apps/new")
	resp, body := dev.mustPostThenGet("/apps", url.Values{"name": {"Sign-in demo"}, "type": {"web"}, "redirect_uris": {oidcGuideRedirectURI},
		"scopes": {"openid", "profile", "email"}}, "")
	clientID, secret := codeText(body, "client-id"), codeText(body, "client-secret")
	if resp.StatusCode != http.StatusOK || clientID == "" {
		t.Fatalf("registering the application: status %d\n%s", resp.StatusCode, body)
	}
	mustPostLogoutURI(t, env, clientID, oidcGuidePostLogoutURI)

	g := newGuideRun(t, env, user.Email)
	g.fixtures = map[string]func() (string, error){
		"ISSUER":        func() (string, error) { return env.URL, nil },
		"CLIENT_ID":     func() (string, error) { return clientID, nil },
		"CLIENT_SECRET": func() (string, error) { return secret, nil },
		"CODE":          func() (string, error) { return g.fromRedirect("code") },
		"ACCESS_TOKEN":  func() (string, error) { return g.fromResponse("access_token") },
		"ID_TOKEN":      func() (string, error) { return g.fromResponse("id_token") },
	}
	md := string(docs.OIDCGuide)
	g.run(md)
	g.mustCover(
		"GET /.well-known/openid-configuration", "GET /oauth/authorize", "POST /oauth/token", "GET /oauth/userinfo",
		"GET /oauth/logout", "PKCE",
	)
	if g.vars["NONCE"] == "" || g.vars["ID_TOKEN"] == "" {
		t.Fatalf("the guide no longer sends a nonce (%q) or keeps the ID Token", g.vars["NONCE"])
	}

	// The validation the guide describes, by a library: signature from the JWKS, iss, aud, exp,
	// then the nonce (OIDC Core §3.1.3.7).
	provider, err := oidc.NewProvider(ctx, env.URL)
	if err != nil {
		t.Fatal(err)
	}
	idToken, err := provider.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, g.vars["ID_TOKEN"])
	if err != nil {
		t.Fatalf("the guide's ID Token fails validation: %v", err)
	}
	if idToken.Nonce != g.vars["NONCE"] {
		t.Errorf("ID Token nonce %q; the guide sent %q", idToken.Nonce, g.vars["NONCE"])
	}
	var claims map[string]any
	if err := idToken.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	illustrated := illustratedClaims(t, md)
	if got, shown := slices.Sorted(maps.Keys(claims)), slices.Sorted(maps.Keys(illustrated)); !slices.Equal(got, shown) {
		t.Errorf("the ID Token has the claims %v; the guide's decoded example shows %v", got, shown)
	}

	// The logout the guide ends with signed the user out of the portal.
	if resp, _ := g.user.get("/account"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("after the guide's logout /account answers %d %s; want a redirect to log in", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// mustPostLogoutURI registers uri as the client's post-logout redirect URI, keeping the rest of
// its settings.
func mustPostLogoutURI(t *testing.T, env *testEnv, clientID, uri string) {
	t.Helper()
	ctx := context.Background()
	c, err := env.Store.ClientByID(ctx, clientID)
	if err != nil {
		t.Fatal(err)
	}
	p := models.ClientProfile{Name: c.Name, LogoURL: c.LogoURL, HomepageURL: c.HomepageURL, PrivacyURL: c.PrivacyURL, TermsURL: c.TermsURL,
		RedirectURIs: c.RedirectURIs, AllowedOrigins: c.AllowedOrigins, Scopes: c.Scopes,
		AccessTTLSeconds: c.AccessTTLSeconds, RefreshTTLSeconds: c.RefreshTTLSeconds,
		PostLogoutRedirectURIs: []string{uri}, IDTokenSignedResponseAlg: c.IDTokenSignedResponseAlg}
	if err := env.Store.UpdateClient(ctx, clientID, p); err != nil {
		t.Fatal(err)
	}
}

// illustratedClaims is the guide's ```json example of a decoded ID Token: the block with at_hash.
func illustratedClaims(t *testing.T, md string) map[string]any {
	t.Helper()
	for _, f := range fences(md) {
		body := strings.Join(f.body, "\n")
		if f.lang != "json" || !strings.Contains(body, `"at_hash"`) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("line %d: the decoded ID Token example is not JSON: %v", f.line, err)
		}
		return m
	}
	t.Fatal("the guide no longer shows a decoded ID Token (a ```json block with at_hash)")
	return nil
}
