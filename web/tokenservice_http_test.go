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

// codeTokens runs an authorization for a web client as a signed-in user and exchanges the code.
func codeTokens(t *testing.T, env *testEnv, b *browser, client *models.Client, secret, redirect string) map[string]any {
	t.Helper()
	back := authorizeInBrowser(t, b, "/oauth/authorize?"+url.Values{"client_id": {client.ID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"INVOICE.READ"}}.Encode(), "allow")
	_, out := postForm(t, env.URL+"/oauth/token", client.ID, secret, url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")}, "redirect_uri": {redirect}})
	if out["refresh_token"] == nil {
		t.Fatalf("exchange: %v", out)
	}
	out["code"] = back.Query().Get("code")
	return out
}

// RFC 9700 §4.14.2 over HTTP: reuse of a rotated refresh token revokes the family, and a
// configured grace window lets a client that lost a response retry and get the same successor.
func TestRefreshReuseOverHTTP(t *testing.T) {
	for _, grace := range []time.Duration{0, 30 * time.Second} {
		t.Run("grace "+grace.String(), func(t *testing.T) {
			env := newTestEnvConfig(t, storetest.SQLite(t), func(c *oauth.Config) { c.RefreshGrace = grace })
			dev := env.mustUser(t, "dev@example.com", false)
			env.mustUser(t, "user@example.com", false)
			client, secret := env.mustClient(t, dev, models.ClientWeb, []string{"https://app.example/cb"}, "INVOICE.READ")
			b := newBrowser(t, env.URL)
			b.mustLogin("user@example.com")
			first := codeTokens(t, env, b, client, secret, "https://app.example/cb")
			refresh := func(token any) map[string]any {
				_, out := postForm(t, env.URL+"/oauth/token", client.ID, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token.(string)}})
				return out
			}
			second := refresh(first["refresh_token"])
			retry := refresh(first["refresh_token"])
			if grace == 0 {
				if retry["error"] != "invalid_grant" || refresh(second["refresh_token"])["error"] != "invalid_grant" {
					t.Fatalf("reuse did not revoke the family: %v", retry)
				}
				return
			}
			if retry["refresh_token"] != second["refresh_token"] || refresh(retry["refresh_token"])["access_token"] == nil {
				t.Fatalf("retry inside the grace window: %v", retry)
			}
		})
	}
}

// RFC 6749 §4.1.2 over HTTP: a replayed code revokes the tokens it produced.
func TestCodeReplayRevokesOverHTTP(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "user@example.com", false)
	client, secret := env.mustClient(t, dev, models.ClientWeb, []string{"https://app.example/cb"}, "INVOICE.READ")
	b := newBrowser(t, env.URL)
	b.mustLogin("user@example.com")
	tok := codeTokens(t, env, b, client, secret, "https://app.example/cb")
	_, replay := postForm(t, env.URL+"/oauth/token", client.ID, secret, url.Values{"grant_type": {"authorization_code"}, "code": {tok["code"].(string)}, "redirect_uri": {"https://app.example/cb"}})
	if replay["error"] != "invalid_grant" {
		t.Fatalf("replay: %v", replay)
	}
	for _, k := range []string{"access_token", "refresh_token"} {
		if _, out := postForm(t, env.URL+"/oauth/introspect", client.ID, secret, url.Values{"token": {tok[k].(string)}}); out["active"] != false {
			t.Errorf("%s still active after the code was replayed", k)
		}
	}
}

// RFC 8252 §7.3 over HTTP: a native app's loopback redirect may change port, nothing else.
func TestNativeLoopbackPortOverHTTP(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	client, _ := env.mustClient(t, dev, models.ClientNative, []string{"http://127.0.0.1/callback"}, "INVOICE.READ")
	for redirect, wantRedirect := range map[string]bool{
		"http://127.0.0.1:51234/callback": true,
		"http://127.0.0.1:51234/other":    false,
		"http://localhost:51234/callback": false,
	} {
		q := url.Values{"client_id": {client.ID}, "redirect_uri": {redirect}, "response_type": {"code"}, "state": {"s"}}
		resp, body := newBrowser(t, env.URL).get("/oauth/authorize?" + q.Encode())
		// No PKCE: a matching redirect URI is offered the error (a link, since this visitor never
		// allowed the app); one that does not match gets a page with no link at all.
		link := returnLink(body)
		redirected := link != nil && strings.HasPrefix(link.String(), redirect+"?")
		if redirected != wantRedirect || resp.Header.Get("Location") != "" {
			t.Errorf("%s: status %d location %q link %v", redirect, resp.StatusCode, resp.Header.Get("Location"), link)
		}
	}
}

// Key rotation as a resource server sees it: the new key is in the JWKS beside the old one.
func TestKeyRotationPublishesBothKeys(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	if _, err := env.OAuth.RotateKey(ctx); err != nil {
		t.Fatal(err)
	}
	if err := env.OAuth.LoadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(env.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct{ Keys []map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	// An ES256 and an RS256 key before the rotation, and a new one of each after.
	kids := map[any]bool{}
	for _, k := range set.Keys {
		if k["d"] != nil {
			t.Fatalf("JWKS publishes a private key: %v", k)
		}
		kids[k["kid"]] = true
	}
	if len(set.Keys) != 4 || len(kids) != 4 {
		t.Fatalf("JWKS %v: want four distinct public keys", set.Keys)
	}
}
