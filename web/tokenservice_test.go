package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/devportal/devportal/models"
)

// postForm sends a form to a protocol endpoint with HTTP Basic client authentication.
func postForm(t *testing.T, endpoint, id, secret string, form url.Values) (*http.Response, map[string]any) {
	t.Helper()
	var headers map[string]string
	if id != "" {
		req, _ := http.NewRequest(http.MethodPost, endpoint, nil)
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		headers = map[string]string{"Authorization": req.Header.Get("Authorization")}
	}
	return corsRequest(t, http.MethodPost, endpoint, "", form, headers)
}

// A resource server verifies our access tokens offline with an independent JOSE stack: go-oidc's
// remote key set fetches the JWKS and checks the signature (RFC 9068 §4).
func TestAccessTokensVerifyOfflineWithGoOIDC(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	client, secret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ")
	tok, err := (&clientcredentials.Config{ClientID: client.ID, ClientSecret: secret, TokenURL: env.URL + "/oauth/token"}).Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys := oidc.NewRemoteKeySet(ctx, env.URL+"/.well-known/jwks.json")
	payload, err := keys.VerifySignature(ctx, tok.AccessToken)
	if err != nil {
		t.Fatalf("go-oidc cannot verify our token: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"iss", "sub", "aud", "client_id", "scope", "jti", "iat", "exp"} {
		if claims[k] == nil {
			t.Errorf("claim %s missing (RFC 9068 §2.2): %v", k, claims)
		}
	}
	if claims["iss"] != env.URL || claims["client_id"] != client.ID || claims["scope"] != "INVOICE.READ" {
		t.Errorf("claims %v", claims)
	}
	tampered := tok.AccessToken[:len(tok.AccessToken)-4] + "AAAA"
	if _, err := keys.VerifySignature(ctx, tampered); err == nil {
		t.Error("a tampered token verifies")
	}
}

func TestIntrospectionAndRevocationEndpoints(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	machine, secret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ")
	other, otherSecret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ")
	tok, err := (&clientcredentials.Config{ClientID: machine.ID, ClientSecret: secret, TokenURL: env.URL + "/oauth/token"}).Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	introspect, revoke := env.URL+"/oauth/introspect", env.URL+"/oauth/revoke"

	resp, out := postForm(t, introspect, machine.ID, secret, url.Values{"token": {tok.AccessToken}, "token_type_hint": {"refresh_token"}})
	if resp.StatusCode != 200 || out["active"] != true || out["client_id"] != machine.ID || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("RFC 7662 §2.2 own token with a wrong hint: %d %v", resp.StatusCode, out)
	}
	if _, out := postForm(t, introspect, other.ID, otherSecret, url.Values{"token": {tok.AccessToken}}); out["active"] != false || len(out) != 1 {
		t.Fatalf("RFC 7662 §2.1 another client's token: %v, want only active=false", out)
	}
	if resp, out := postForm(t, introspect, machine.ID, "wrong", url.Values{"token": {tok.AccessToken}}); resp.StatusCode != 401 || out["error"] != "invalid_client" {
		t.Fatalf("RFC 7662 §2.1 unauthenticated caller: %d %v", resp.StatusCode, out)
	}
	if resp, out := postForm(t, revoke, other.ID, otherSecret, url.Values{"token": {tok.AccessToken}}); resp.StatusCode != 400 || out["error"] != "unauthorized_client" {
		t.Fatalf("RFC 7009 §2.1 revoking another client's token: %d %v", resp.StatusCode, out)
	}
	if resp, _ := postForm(t, revoke, machine.ID, secret, url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}); resp.StatusCode != 200 {
		t.Fatalf("RFC 7009 §2.2 revoke: %d", resp.StatusCode)
	}
	if _, out := postForm(t, introspect, machine.ID, secret, url.Values{"token": {tok.AccessToken}}); out["active"] != false {
		t.Fatalf("revoked token still active: %v", out)
	}
	if resp, _ := postForm(t, revoke, machine.ID, secret, url.Values{"token": {"dpr_never-issued"}}); resp.StatusCode != 200 {
		t.Fatalf("RFC 7009 §2.2 unknown token: %d, want 200", resp.StatusCode)
	}
	if resp, out := postForm(t, revoke, machine.ID, secret, url.Values{}); resp.StatusCode != 400 || out["error"] != "invalid_request" {
		t.Fatalf("RFC 7009 §2.1 missing token: %d %v", resp.StatusCode, out)
	}
}
