package web_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/devportal/devportal/docs"
	"github.com/devportal/devportal/models"
)

// TestAPIsGuide runs docs/apis.md against a live server as TestOAuthGuide runs docs/oauth.md:
// the sample API's RFC 9728 document (§3), its 401 naming it (§5.1), a client-credentials token
// for resource={issuer}/api/v1 (RFC 8707 §2) that the sample API accepts, and invalid_target.
// Its fixtures: MACHINE_CLIENT_ID and MACHINE_CLIENT_SECRET (a machine-to-machine application
// with INVOICE.READ, owned by a developer so the sample API has invoices to list for it) and
// ACCESS_TOKEN (from the last response).
func TestAPIsGuide(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "payer@example.com", false)
	machine, secret := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
	g := newGuideRun(t, env, "payer@example.com")
	g.fixtures = map[string]func() (string, error){
		"ISSUER":                func() (string, error) { return env.URL, nil },
		"MACHINE_CLIENT_ID":     func() (string, error) { return machine.ID, nil },
		"MACHINE_CLIENT_SECRET": func() (string, error) { return secret, nil },
		"ACCESS_TOKEN":          func() (string, error) { return g.fromResponse("access_token") },
	}
	g.run(string(docs.APIsGuide))
	g.mustCover("POST /oauth/token client_credentials", "GET /api/v1/invoices")
}

// BEGIN verifier (docs/apis.md shows this code, character for character)

// Verifier checks access tokens for one API offline, against the portal's key set.
type Verifier struct {
	Issuer     string             // the portal's issuer, e.g. http://localhost:8080
	Identifier string             // your API's identifier, the aud you accept
	Keys       jose.JSONWebKeySet // GET {issuer}/.well-known/jwks.json, refreshed now and then
}

// Verify returns the token's claims when it is a valid access token for this API.
func (v *Verifier) Verify(raw string) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != "at+jwt" && typ != "application/at+jwt" {
			return nil, errors.New("not an access token")
		}
		kid, _ := t.Header["kid"].(string)
		if keys := v.Keys.Key(kid); len(keys) == 1 {
			return keys[0].Key, nil
		}
		return nil, errors.New("not signed by a key of the portal")
	},
		jwt.WithValidMethods([]string{"ES256", "RS256"}),
		jwt.WithIssuer(v.Issuer),
		jwt.WithAudience(v.Identifier),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	return claims, err
}

// END verifier

// RFC 8707 and RFC 9068 §4 with independent code: a resource server built on golang-jwt (the
// Verifier docs/apis.md shows), keyed from the portal's JWKS over HTTP, accepts a token minted
// with resource=its identifier and refuses, as an invalid audience, a token minted for another
// API and one whose aud is the issuer (a token not restricted to it).
func TestResourceServerWithGolangJWT(t *testing.T) {
	env := newTestEnv(t)
	env.mustBillingAPI(t, "https://billing.example.test")
	client, secret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ", "PAYOUT.READ")
	resp, err := http.Get(env.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var keys jose.JSONWebKeySet
	err = json.NewDecoder(resp.Body).Decode(&keys)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	billing := &Verifier{Issuer: env.URL, Identifier: "https://billing.example.test", Keys: keys}

	mine := env.mustTokenOverHTTP(t, client, secret, url.Values{"resource": {"https://billing.example.test"}})
	claims, err := billing.Verify(mine)
	if err != nil || claims["scope"] != "PAYOUT.READ" {
		t.Fatalf("Verify(token for Billing) = %v, %v; want it accepted with scope PAYOUT.READ", claims, err)
	}
	for name, token := range map[string]string{
		"a token for the sample API":     env.mustTokenOverHTTP(t, client, secret, url.Values{"resource": {env.URL + "/api/v1"}}),
		"a token spanning both APIs":     env.mustTokenOverHTTP(t, client, secret, url.Values{}),
		"a token for the sample's scope": env.mustTokenOverHTTP(t, client, secret, url.Values{"scope": {"INVOICE.READ"}}),
	} {
		if _, err := billing.Verify(token); !errors.Is(err, jwt.ErrTokenInvalidAudience) {
			t.Errorf("%s: Verify = %v, want an invalid audience", name, err)
		}
	}
}

// The Go example of docs/apis.md is the Verifier above, character for character, so the code a
// reader copies is the code TestResourceServerWithGolangJWT runs.
func TestAPIsGuideShowsTheTestedVerifier(t *testing.T) {
	src, err := os.ReadFile("apis_guide_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(src), "// BEGIN verifier (docs/apis.md shows this code, character for character)\n\n")
	code, _, ok := strings.Cut(rest, "\n// END verifier")
	if !ok {
		t.Fatal("the markers around Verifier are gone")
	}
	if !strings.Contains(string(docs.APIsGuide), "```go\n"+code+"```") {
		t.Fatalf("docs/apis.md's ```go block differs from the tested Verifier:\n%s", code)
	}
}
