package web_test

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// testSecret is the server secret newTestEnvConfig configures.
var testSecret = []byte(strings.Repeat("s", 32))

// stepClock is a clock a test moves by hand.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *stepClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// mustResign signs token's header and claims again with the server's own signing key, under
// JOSE type typ ("" for none), so the result differs from a real token in that one respect. It
// opens the key as oauth.LoadKeys does: AES-GCM under a key derived from the server secret, the
// key id as additional data, PKCS #8 inside.
func mustResign(t *testing.T, env *testEnv, token, typ string) string {
	t.Helper()
	return mustResignEdited(t, env, token, typ, nil)
}

// mustResignEdited is mustResign with the claims changed by edit first (nil: unchanged).
func mustResignEdited(t *testing.T, env *testEnv, token, typ string, edit func(map[string]any)) string {
	t.Helper()
	tok, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	kid := tok.Signatures[0].Header.KeyID
	rows, err := env.Store.SigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var priv crypto.Signer
	for _, k := range rows {
		if k.ID != kid {
			continue
		}
		block, _ := aes.NewCipher(models.DeriveKey(testSecret, "signing-key-encryption"))
		aead, _ := cipher.NewGCM(block)
		n := aead.NonceSize()
		der, err := aead.Open(nil, k.PrivateKey[:n], k.PrivateKey[n:], []byte(k.ID))
		if err != nil {
			t.Fatalf("open signing key %s: %v", k.ID, err)
		}
		key, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			t.Fatal(err)
		}
		priv = key.(crypto.Signer)
	}
	if priv == nil {
		t.Fatalf("no signing key %s", kid)
	}
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	alg := jose.SignatureAlgorithm(tok.Signatures[0].Header.Algorithm)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: priv, KeyID: kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		var claims map[string]any
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		edit(claims)
		if payload, err = json.Marshal(claims); err != nil {
			t.Fatal(err)
		}
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustMachineTokenFrom has srv, a protocol core over the test server's database and keys,
// issue a client-credentials token.
func mustMachineTokenFrom(t *testing.T, srv *oauth.Server, client *models.Client, secret string) string {
	t.Helper()
	resp, err := srv.Token(context.Background(), oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: client.ID, ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return resp.AccessToken
}

// RFC 9068 §4 through the sample API (RFC 6750 §3.1 invalid_token) and introspection (RFC 7662
// §2.2 inactive): an access token with the wrong aud, the wrong iss or the wrong typ, or expired
// by a single second, is refused, even though this server's own keys signed it.
func TestAccessTokenChecksOverHTTP(t *testing.T) {
	start := time.Unix(1_900_000_000, 0).UTC() // a whole second: exp has no fractions
	clk := &stepClock{now: start}
	env := newTestEnvConfig(t, storetest.SQLite(t), func(c *oauth.Config) { c.Now = clk.Now })
	checks := newTokenChecks(t, env)
	// The sample API acts for a machine client's owner.
	client, secret := env.mustClient(t, env.mustUser(t, "dev@example.com", false), models.ClientMachine, nil, "INVOICE.READ")
	// Other deployments sharing the keys: one with another issuer, one for another audience.
	sibling := func(cfg oauth.Config) *oauth.Server {
		cfg.Now = clk.Now
		srv, err := oauth.NewServer(cfg, env.Store, testSecret)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.LoadKeys(context.Background()); err != nil {
			t.Fatal(err)
		}
		return srv
	}
	good := mustMachineTokenFrom(t, env.OAuth, client, secret)

	for _, tc := range []struct {
		name  string
		token string
		ok    bool
	}{
		{"control: the server's own token", good, true},
		{"control: re-signed with typ at+jwt", mustResign(t, env, good, "at+jwt"), true},
		{"wrong iss", mustMachineTokenFrom(t, sibling(oauth.Config{Issuer: "https://other.example", Audience: env.URL}), client, secret), false},
		// RFC 8707: the aud of a resource this server does not know (a registered API's is
		// TestSampleAPIAcceptsOnlyItsAudience's).
		{"wrong aud", mustResignEdited(t, env, good, "at+jwt", func(c map[string]any) { c["aud"] = "https://other.example/api" }), false},
		{"typ JWT", mustResign(t, env, good, "JWT"), false},
		{"no typ", mustResign(t, env, good, ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := checks.honoured(t, tc.token); got != tc.ok {
				t.Fatalf("honoured = %v, want %v", got, tc.ok)
			}
		})
	}

	t.Run("expired by one second", func(t *testing.T) {
		ttl := env.OAuth.Config().AccessTTL
		defer clk.Set(start)
		clk.Set(start.Add(ttl - time.Second))
		if !checks.honoured(t, good) {
			t.Fatal("refused a second before it expires")
		}
		clk.Set(start.Add(ttl + time.Second))
		if checks.honoured(t, good) {
			t.Fatal("honoured a second after it expired: is a leeway in force?")
		}
	})
}

// Issue #8: once an admin disables a user, the refresh token the user's application holds is
// refused (RFC 6749 §5.2 invalid_grant), so it cannot mint access tokens that verifiers without
// revocation checks would accept.
func TestRefreshAfterDisablingOverHTTP(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	user := env.mustUser(t, "user@example.com", false)
	env.mustUser(t, "admin@example.com", true)
	redirect := "https://shop.example/cb"
	client, secret := env.mustClient(t, dev, models.ClientWeb, []string{redirect}, "INVOICE.READ")
	ub := newBrowser(t, env.URL)
	ub.mustLogin("user@example.com")
	refresh := func(token string) (*http.Response, map[string]any) {
		return postForm(t, env.URL+"/oauth/token", client.ID, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}})
	}
	tokens := mustTokens(t, env, ub, client, secret, redirect, "INVOICE.READ")
	resp, out := refresh(tokens["refresh_token"].(string))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh before disabling: %d %v", resp.StatusCode, out)
	}
	current := out["refresh_token"].(string)

	ab := newBrowser(t, env.URL)
	ab.mustLogin("admin@example.com")
	ab.get("/admin/users")
	if resp, body := ab.post("/admin/users/"+strconv.FormatInt(user.ID, 10)+"/disable", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d\n%s", resp.StatusCode, body)
	}
	if resp, out := refresh(current); resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Fatalf("refresh after disabling: %d %v, want 400 invalid_grant", resp.StatusCode, out)
	}
}

// OpenID Connect Core §3.1.2.1: prompt=consent shows the consent page to a user who allowed
// everything before; without it they go straight back. A confidential client is used, since
// public ones are shown the page every time (RFC 8252 §8.6).
func TestPromptConsentOverHTTP(t *testing.T) {
	env := newTestEnv(t)
	client, secret, redirect, b := env.mustShopAndUser(t)
	mustTokens(t, env, b, client, secret, redirect, "INVOICE.READ") // allowed once
	q := url.Values{"client_id": {client.ID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"INVOICE.READ"}, "state": {"st"}}

	resp, _ := b.get("/oauth/authorize?" + q.Encode())
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), redirect+"?code=") {
		t.Fatalf("without prompt: %d → %q, want straight back with a code", resp.StatusCode, resp.Header.Get("Location"))
	}
	q.Set("prompt", "consent")
	resp, body := b.get("/oauth/authorize?" + q.Encode())
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, ">Allow</button>") {
		t.Fatalf("prompt=consent: %d → %q, want the consent page", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// RFC 6749 §4.1.2.1 and issue #8: a suspended or revoked application's authorization request
// is answered with a page, never a redirect, for signed-in and signed-out visitors alike.
func TestDisabledClientAtAuthorizationEndpoint(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "user@example.com", false)
	redirect := "https://shop.example/cb"
	for _, status := range []string{models.ClientSuspended, models.ClientRevoked} {
		t.Run(status, func(t *testing.T) {
			client, _ := env.mustClient(t, dev, models.ClientWeb, []string{redirect}, "INVOICE.READ")
			if err := env.Store.SetClientStatus(context.Background(), client.ID, status); err != nil {
				t.Fatal(err)
			}
			q := url.Values{"client_id": {client.ID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"INVOICE.READ"}, "state": {"st"}}
			signedIn := newBrowser(t, env.URL)
			signedIn.mustLogin("user@example.com")
			for name, b := range map[string]*browser{"signed out": newBrowser(t, env.URL), "signed in": signedIn} {
				resp, body := b.get("/oauth/authorize?" + q.Encode())
				if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(body, "This application is not available") {
					t.Errorf("%s: %d → %q, want the page saying the application is not available", name, resp.StatusCode, resp.Header.Get("Location"))
				}
			}
		})
	}
}
