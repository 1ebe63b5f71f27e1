package web_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/zitadel/oidc/v3/pkg/client/rp"
	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"

	"github.com/devportal/devportal/models"
)

// mustOIDCClient registers a web application that signs users in with OpenID Connect: alg is
// its id_token_signed_response_alg ("" for the RS256 default), postLogout its RP-initiated
// logout targets. The console does not set either yet, so this goes through the Store.
func (e *testEnv) mustOIDCClient(t *testing.T, owner *models.User, alg string, redirect string, postLogout []string, scopes ...string) (*models.Client, string) {
	t.Helper()
	in := models.NewClient{Name: "Sign-in app", Type: models.ClientWeb, RedirectURIs: []string{redirect}, Scopes: scopes,
		PostLogoutRedirectURIs: postLogout, IDTokenSignedResponseAlg: alg}
	if owner != nil {
		in.OwnerID = &owner.ID
	}
	c, secret, err := e.Store.CreateClient(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return c, secret
}

// mustOIDCUser makes an account with a display name, so that profile has a name to release.
func (e *testEnv) mustOIDCUser(t *testing.T, email, name string) *models.User {
	t.Helper()
	u := e.mustUser(t, email, false)
	if err := e.Store.SetDisplayName(context.Background(), u.ID, name); err != nil {
		t.Fatal(err)
	}
	return u
}

func randomString(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// jwtHeader decodes the protected header of a compact JWS.
func jwtHeader(t *testing.T, raw string) map[string]any {
	t.Helper()
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatalf("JWS header: %v", err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("JWS header: %v", err)
	}
	return h
}

// TestGoOIDCInterop has github.com/coreos/go-oidc, a relying party library nobody here wrote,
// discover devportal (OpenID Connect Discovery 1.0 §4), sign a user in with the authorization
// code flow driven by golang.org/x/oauth2 with PKCE and a nonce (OIDC Core §3.1), verify the ID
// Token (§3.1.3.7) and its at_hash (§3.1.3.8), and read userinfo (§5.3), for an RS256 client (the
// default) and an ES256 one (OIDC Registration §2 id_token_signed_response_alg).
func TestGoOIDCInterop(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	dev := env.mustUser(t, "dev@example.com", false)
	user := env.mustOIDCUser(t, "ada@example.com", "Ada Lovelace")

	provider, err := oidc.NewProvider(ctx, env.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	if ep := provider.Endpoint(); ep.AuthURL != env.URL+"/oauth/authorize" || ep.TokenURL != env.URL+"/oauth/token" {
		t.Fatalf("discovered endpoints %+v", ep)
	}
	if provider.UserInfoEndpoint() != env.URL+"/oauth/userinfo" {
		t.Fatalf("discovered userinfo endpoint %q", provider.UserInfoEndpoint())
	}
	var disc struct {
		EndSession string   `json:"end_session_endpoint"`
		Algs       []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := provider.Claims(&disc); err != nil {
		t.Fatal(err)
	}
	if disc.EndSession != env.URL+"/oauth/logout" || !slices.Contains(disc.Algs, "RS256") || !slices.Contains(disc.Algs, "ES256") {
		t.Fatalf("discovery: end_session_endpoint %q, algorithms %v", disc.EndSession, disc.Algs)
	}

	for _, tc := range []struct {
		name, alg string
		scopes    []string
	}{
		{"RS256 client, profile and email", "", []string{oidc.ScopeOpenID, "profile", "email"}},
		{"ES256 client, email only", "ES256", []string{oidc.ScopeOpenID, "email"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			redirect := "http://127.0.0.1:9/oidc/callback"
			client, secret := env.mustOIDCClient(t, dev, tc.alg, redirect, nil, "openid", "profile", "email")
			conf := &oauth2.Config{ClientID: client.ID, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: redirect, Scopes: tc.scopes}

			b := newBrowser(t, env.URL)
			b.mustLogin(user.Email)
			verifier, nonce, state := oauth2.GenerateVerifier(), randomString(t), randomString(t)
			back := authorizeInBrowser(t, b, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), "allow")
			if back.Query().Get("state") != state || back.Query().Get("code") == "" {
				t.Fatalf("redirect back = %s", back)
			}
			tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			rawID, _ := tok.Extra("id_token").(string)
			if rawID == "" {
				t.Fatalf("the token response has no id_token (OIDC Core §3.1.3.3): %+v", tok)
			}
			wantAlg := "RS256"
			if tc.alg != "" {
				wantAlg = tc.alg
			}
			if got := jwtHeader(t, rawID)["alg"]; got != wantAlg {
				t.Errorf("ID Token alg %v, want %s", got, wantAlg)
			}

			idVerifier := provider.Verifier(&oidc.Config{ClientID: client.ID, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256}})
			idToken, err := idVerifier.Verify(ctx, rawID)
			if err != nil {
				t.Fatalf("go-oidc refuses the ID Token: %v", err)
			}
			if idToken.Nonce != nonce {
				t.Errorf("nonce %q, want %q (OIDC Core §3.1.3.7 step 11)", idToken.Nonce, nonce)
			}
			if idToken.Subject != user.Subject || idToken.Issuer != env.URL {
				t.Errorf("sub %q iss %q; want %q and %q", idToken.Subject, idToken.Issuer, user.Subject, env.URL)
			}
			if idToken.AccessTokenHash == "" {
				t.Fatal("the ID Token has no at_hash")
			}
			if err := idToken.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("at_hash does not match the access token: %v", err)
			}
			if err := idToken.VerifyAccessToken(tok.AccessToken + "x"); err == nil {
				t.Error("at_hash matches a different access token")
			}

			// An access token is not an ID Token: its audience is the resource servers, not the
			// client (OIDC Core §3.1.3.7 step 3; RFC 9068 §4 typ at+jwt).
			if _, err := idVerifier.Verify(ctx, tok.AccessToken); err == nil {
				t.Error("go-oidc accepts the access token as an ID Token")
			}

			var idClaims map[string]any
			if err := idToken.Claims(&idClaims); err != nil {
				t.Fatal(err)
			}
			info, err := provider.UserInfo(ctx, conf.TokenSource(ctx, tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			var infoClaims map[string]any
			if err := info.Claims(&infoClaims); err != nil {
				t.Fatal(err)
			}
			if info.Subject != idToken.Subject {
				t.Errorf("userinfo sub %q, ID Token sub %q (OIDC Core §5.3.2: they must be equal)", info.Subject, idToken.Subject)
			}
			if info.Email != user.Email || info.EmailVerified {
				t.Errorf("userinfo email %q verified %v; want %q, unverified", info.Email, info.EmailVerified, user.Email)
			}
			for _, claims := range []map[string]any{idClaims, infoClaims} {
				if claims["email"] != user.Email {
					t.Errorf("email claim %v, want %s", claims["email"], user.Email)
				}
				_, hasName := claims["name"]
				if want := slices.Contains(tc.scopes, "profile"); hasName != want || (want && claims["name"] != "Ada Lovelace") {
					t.Errorf("name claim %v with scopes %v (OIDC Core §5.4: profile releases name)", claims["name"], tc.scopes)
				}
			}
		})
	}
}

// TestZitadelRelyingPartyInterop runs github.com/zitadel/oidc's relying party as a real web
// application on a loopback server: its login handler redirects the browser to devportal with
// state, PKCE and a nonce, the user logs in and presses Allow, and its callback exchanges the
// code, verifies the ID Token and calls userinfo (OIDC Core §3.1, §5.3) with default discovery.
func TestZitadelRelyingPartyInterop(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	dev := env.mustUser(t, "dev@example.com", false)
	user := env.mustOIDCUser(t, "grace@example.com", "Grace Hopper")

	for _, alg := range []string{"RS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			mux := http.NewServeMux()
			app := httptest.NewServer(mux)
			t.Cleanup(app.Close)
			redirect, signedOut := app.URL+"/callback", app.URL+"/signed-out"
			client, secret := env.mustOIDCClient(t, dev, alg, redirect, []string{signedOut}, "openid", "profile", "email")

			nonce := randomString(t)
			cookies := httphelper.NewCookieHandler([]byte(strings.Repeat("h", 32)), []byte(strings.Repeat("e", 32)), httphelper.WithUnsecure())
			party, err := rp.NewRelyingPartyOIDC(ctx, env.URL, client.ID, secret, redirect, []string{"openid", "profile", "email"},
				rp.WithPKCE(cookies),
				rp.WithVerifierOpts(
					rp.WithNonce(func(context.Context) string { return nonce }),
					rp.WithSupportedSigningAlgorithms(alg),
				))
			if err != nil {
				t.Fatalf("zitadel relying party: %v", err)
			}

			type result struct {
				tokens *zoidc.Tokens[*zoidc.IDTokenClaims]
				info   *zoidc.UserInfo
			}
			var got *result
			mux.Handle("/login", rp.AuthURLHandler(func() string { return "st-" + alg }, party, rp.WithURLParam("nonce", nonce)))
			mux.Handle("/callback", rp.CodeExchangeHandler(rp.UserinfoCallback(
				func(w http.ResponseWriter, r *http.Request, tokens *zoidc.Tokens[*zoidc.IDTokenClaims], state string, _ rp.RelyingParty, info *zoidc.UserInfo) {
					got = &result{tokens, info}
					io.WriteString(w, "signed in as "+info.Email)
				}), party))

			b := newBrowser(t, env.URL)
			b.mustLogin(user.Email)
			resp, _ := b.get(app.URL + "/login")
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("relying party login: status %d", resp.StatusCode)
			}
			authURL := resp.Header.Get("Location")
			if !strings.HasPrefix(authURL, env.URL+"/oauth/authorize?") {
				t.Fatalf("the relying party sends the browser to %s", authURL)
			}
			back := authorizeInBrowser(t, b, authURL, "allow")
			if !strings.HasPrefix(back.String(), redirect+"?") {
				t.Fatalf("devportal sends the browser back to %s", back)
			}
			resp, body := b.get(back.String())
			if resp.StatusCode != http.StatusOK || got == nil {
				t.Fatalf("relying party callback: status %d\n%s", resp.StatusCode, body)
			}
			if got.info.Subject != user.Subject || got.tokens.IDTokenClaims.Subject != user.Subject {
				t.Errorf("sub: userinfo %q, ID Token %q; want %q", got.info.Subject, got.tokens.IDTokenClaims.Subject, user.Subject)
			}
			if got.info.Email != user.Email || got.info.Name != "Grace Hopper" || bool(got.info.EmailVerified) {
				t.Errorf("userinfo %+v; want %s, Grace Hopper, unverified", got.info, user.Email)
			}
			if c := got.tokens.IDTokenClaims; c.Nonce != nonce || string(c.SignatureAlg) != alg || c.AccessTokenHash == "" {
				t.Errorf("ID Token nonce %q (want %q), alg %q, at_hash %q", c.Nonce, nonce, c.SignatureAlg, c.AccessTokenHash)
			}

			// RP-Initiated Logout 1.0 §2: zitadel sends the logout request by POST, which an OP
			// must accept, and redirects the browser to wherever the OP answers it should go.
			to, err := rp.EndSession(ctx, party, got.tokens.IDToken, signedOut, "lo-"+alg, "", nil)
			if err != nil || to == nil {
				t.Fatalf("zitadel EndSession: %v, %v", to, err)
			}
			resp, body = b.get(to.String())
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != signedOut+"?state=lo-"+alg {
				t.Fatalf("logout: status %d, Location %q; want 303 to %s?state=lo-%s\n%s", resp.StatusCode, resp.Header.Get("Location"), signedOut, alg, body)
			}
			if resp, _ := b.get("/account"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Errorf("after logout /account answers %d %s; want a redirect to log in", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
}

// TestLogoutByPost: an application may send its RP-Initiated Logout request as a form POST from
// its own page (RP-Initiated Logout 1.0 §2, "OPs MUST support the use of the HTTP GET and POST
// methods"). That cross-site form has no CSRF token, and a real browser sends no SameSite=Lax
// session cookie with it, so the OP answers by re-sending it as a GET, which does carry the
// session; the portal's own confirmation form still needs its CSRF token.
func TestLogoutByPost(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	dev := env.mustUser(t, "dev@example.com", false)
	user := env.mustOIDCUser(t, "ada@example.com", "Ada Lovelace")
	redirect, signedOut := "http://127.0.0.1:9/cb", "http://127.0.0.1:9/signed-out"
	client, secret := env.mustOIDCClient(t, dev, "", redirect, []string{signedOut}, "openid")
	conf := &oauth2.Config{ClientID: client.ID, ClientSecret: secret, RedirectURL: redirect, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: env.URL + "/oauth/authorize", TokenURL: env.URL + "/oauth/token"}}
	b := newBrowser(t, env.URL)
	b.mustLogin(user.Email)
	back := authorizeInBrowser(t, b, conf.AuthCodeURL("st"), "allow")
	tok, err := conf.Exchange(ctx, back.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	idToken, _ := tok.Extra("id_token").(string)

	logout := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {signedOut}, "state": {"lo-1"}}
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/oauth/logout", strings.NewReader(logout.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://127.0.0.1:9")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultTransport.RoundTrip(req) // no cookies, as a browser sends none cross-site
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout by POST: status %d; want 303 to the same request by GET", resp.StatusCode)
	}
	asGet, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || asGet.Path != "/oauth/logout" || asGet.Query().Get("id_token_hint") != idToken || asGet.Query().Get("state") != "lo-1" {
		t.Fatalf("logout by POST sends the browser to %q", resp.Header.Get("Location"))
	}
	resp, body := b.get(asGet.String())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != signedOut+"?state=lo-1" {
		t.Fatalf("the logout GET: status %d, Location %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if resp, _ := b.get("/account"); resp.StatusCode != http.StatusFound {
		t.Errorf("after logout /account answers %d; want a redirect to log in", resp.StatusCode)
	}

	// The confirmation form is still CSRF-protected: a csrf_token that is wrong is refused, not
	// re-sent as a GET.
	b.mustLogin(user.Email)
	logout.Set("csrf_token", "forged")
	if resp, _ := b.postExactly("/oauth/logout", logout); resp.StatusCode != http.StatusForbidden {
		t.Errorf("confirmation POST with a forged CSRF token: status %d, want 403", resp.StatusCode)
	}
}
