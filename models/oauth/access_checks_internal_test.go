package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// The in-package tests sign tokens with the server's own key ring, so a token can differ from a
// real access token in exactly one respect.

const testIssuer = "https://auth.example.test"

// ringEnv is a server with a fixed clock, a machine client whose tokens it validates, and a
// resource server that may introspect them.
type ringEnv struct {
	srv     *Server
	now     time.Time
	machine *models.Client
	rs      *models.Client
}

func mustRingEnv(t testing.TB) *ringEnv {
	t.Helper()
	ctx := context.Background()
	store := storetest.SQLite(t)
	e := &ringEnv{now: time.Unix(1_900_000_000, 0).UTC()} // a whole second: NumericDate has no fractions
	srv, err := NewServer(Config{Issuer: testIssuer, Now: func() time.Time { return e.now }}, store, []byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.LoadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	for _, c := range []struct {
		dst *(*models.Client)
		rs  bool
	}{{&e.machine, false}, {&e.rs, true}} {
		client, _, err := store.CreateClient(ctx, models.NewClient{Name: "ring", Type: models.ClientMachine, Scopes: []string{"INVOICE.READ"}, CanIntrospect: c.rs})
		if err != nil {
			t.Fatal(err)
		}
		*c.dst = client
	}
	return e
}

// mustRingKey opens the private half of the key the server signs with.
func (e *ringEnv) mustRingKey(t testing.TB) jose.JSONWebKey {
	t.Helper()
	rows, err := e.srv.store.SigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	k := e.srv.signingKey(rows, e.srv.cfg.SigningAlg)
	priv, err := openKey(k, e.srv.kek)
	if err != nil {
		t.Fatal(err)
	}
	return jose.JSONWebKey{Key: priv, KeyID: k.ID, Algorithm: k.Algorithm}
}

// claims are those of a real client-credentials access token of the machine client at e.now.
func (e *ringEnv) claims() map[string]any {
	return map[string]any{
		"iss": testIssuer, "sub": e.machine.ID, "aud": []string{testIssuer}, "client_id": e.machine.ID,
		"scope": "INVOICE.READ", "iat": e.now.Unix(), "exp": e.now.Add(15 * time.Minute).Unix(), "jti": models.NewID(16),
	}
}

// mustSign signs claims with key under alg, with typ as the JOSE type ("" for none).
func mustSign(t testing.TB, key jose.JSONWebKey, alg jose.SignatureAlgorithm, typ string, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return mustCompact(t, signer, claims)
}

// RFC 9068 §4: a resource server refuses an access token whose typ is not at+jwt, whose iss is
// not this server, whose aud does not name it, that has expired (no leeway: expired by one second
// is expired), or whose signature is not from a key of this server. Introspection (RFC 7662
// §2.2) answers such tokens inactive.
func TestValidateAccessTokenChecks(t *testing.T) {
	e := mustRingEnv(t)
	key := e.mustRingKey(t)
	alg := jose.SignatureAlgorithm(key.Algorithm)
	with := func(edit func(map[string]any)) map[string]any {
		c := e.claims()
		edit(c)
		return c
	}
	foreignKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt","kid":"` + key.KeyID + `"}`))
	payload, _ := json.Marshal(e.claims())
	unsigned := noneHeader + "." + base64.RawURLEncoding.EncodeToString(payload) + "."

	for _, tc := range []struct {
		name  string
		token string
		ok    bool
	}{
		{"control: a token like the server's own", mustSign(t, key, alg, "at+jwt", e.claims()), true},
		{"control: aud among several", mustSign(t, key, alg, "at+jwt", with(func(c map[string]any) { c["aud"] = []string{"https://other.example", testIssuer} })), true},
		{"control: expires in one second", mustSign(t, key, alg, "at+jwt", with(func(c map[string]any) { c["exp"] = e.now.Unix() + 1 })), true},
		{"§4 typ as the full media type application/at+jwt", mustSign(t, key, alg, "application/at+jwt", e.claims()), true},
		{"§4 no exp (§2.2: REQUIRED)", mustSign(t, key, alg, "at+jwt", with(func(c map[string]any) { delete(c, "exp") })), false},
		{"§4 no iat (§2.2: REQUIRED)", mustSign(t, key, alg, "at+jwt", with(func(c map[string]any) { delete(c, "iat") })), false},
		{"§4 typ JWT", mustSign(t, key, alg, "JWT", e.claims()), false},
		{"§4 no typ", mustSign(t, key, alg, "", e.claims()), false},
		{"§4 typ of another profile", mustSign(t, key, alg, "dpop+jwt", e.claims()), false},
		{"§4 iss of another server", mustSign(t, key, alg, "at+jwt", with(func(c map[string]any) { c["iss"] = "https://other.example" })), false},
		{"§4 iss with a trailing slash", mustSign(t, key, alg, "at+jwt", with(func(c map[string]any) { c["iss"] = testIssuer + "/" })), false},
		{"§4 no iss", mustSign(t, key, alg, "at+jwt", with(func(c map[string]any) { delete(c, "iss") })), false},
		{"§4 aud of another resource", mustSign(t, key, alg, "at+jwt", with(func(c map[string]any) { c["aud"] = "https://other.example/api" })), false},
		{"§4 no aud", mustSign(t, key, alg, "at+jwt", with(func(c map[string]any) { delete(c, "aud") })), false},
		{"§4 expired one second ago", mustSign(t, key, alg, "at+jwt", with(func(c map[string]any) { c["exp"] = e.now.Unix() - 1 })), false},
		{"§4 expired 59 seconds ago (inside the library's default leeway)", mustSign(t, key, alg, "at+jwt", with(func(c map[string]any) { c["exp"] = e.now.Unix() - 59 })), false},
		{"§4 signed by a key of another server under our kid", mustSign(t, jose.JSONWebKey{Key: foreignKey, KeyID: key.KeyID}, jose.ES256, "at+jwt", e.claims()), false},
		{"§4 unknown kid", mustSign(t, jose.JSONWebKey{Key: key.Key, KeyID: "nope"}, alg, "at+jwt", e.claims()), false},
		{"§4 HS256 (RFC 8725 §3.1: algorithms are not negotiable)", mustSign(t, jose.JSONWebKey{Key: []byte(strings.Repeat("h", 32)), KeyID: key.KeyID}, jose.HS256, "at+jwt", e.claims()), false},
		{"§4 alg none", unsigned, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.srv.ValidateAccessToken(context.Background(), tc.token)
			switch {
			case tc.ok && err != nil:
				t.Fatalf("ValidateAccessToken: %v, want success", err)
			case !tc.ok && !errors.Is(err, ErrInvalidToken):
				t.Fatalf("ValidateAccessToken: %v, want invalid_token", err)
			}
			got, err := e.srv.Introspect(context.Background(), e.rs, tc.token)
			if err != nil || got.Active != tc.ok {
				t.Fatalf("Introspect = %+v, %v; want active=%v", got, err, tc.ok)
			}
		})
	}
}
