package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/devportal/devportal/docs"
	"github.com/devportal/devportal/models"
)

// What docs/oauth.md tells developers to register.
const (
	oauthGuideRedirectURI = "http://127.0.0.1:9999/callback"
	oauthGuideSPARedirect = "https://spa.example/callback"
)

// TestOAuthGuide runs docs/oauth.md, "The OAuth 2.0 endpoints", against a live server exactly as
// TestIntegrationGuide runs the integration guide (see the rules at the top of guide_test.go):
// the RFC 8414 metadata, the authorization code with PKCE S256 (RFC 6749 §4.1, RFC 7636 §4),
// the token endpoint's three grants, form-encoded (RFC 6749 §4.1.3, §6, §4.4), introspection
// (RFC 7662 §2), revocation (RFC 7009 §2), the JWKS (RFC 7517), CORS and the error reference.
//
// Its fixtures: CLIENT_ID and CLIENT_SECRET (the web application, registered by its developer),
// MACHINE_CLIENT_ID and MACHINE_CLIENT_SECRET (a machine-to-machine application from the command
// line), RS_CLIENT_ID and RS_CLIENT_SECRET (a resource server allowed to introspect, as
// `devportal clients create --introspect` makes it), SPA_CLIENT_ID (a single-page application
// served from https://spa.example), CODE, ACCESS_TOKEN and REFRESH_TOKEN. The applications are
// made through the store, as the page's command lines would; the portal's registration form has
// its own tests.
func TestOAuthGuide(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "payer@example.com", false)
	webApp, webSecret := env.mustClient(t, dev, models.ClientWeb, []string{oauthGuideRedirectURI}, "INVOICE.READ", "INVOICE.WRITE")
	machine, machineSecret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ", "INVOICE.WRITE")
	rs, rsSecret, err := env.Store.CreateClient(ctx, models.NewClient{Name: "Invoice API", Type: models.ClientMachine,
		Scopes: []string{"INVOICE.READ"}, CanIntrospect: true})
	if err != nil {
		t.Fatal(err)
	}
	spa, _ := env.mustClient(t, dev, models.ClientNative, []string{oauthGuideSPARedirect}, "INVOICE.READ")
	device, _ := env.mustDeviceClient(t, dev, models.ClientNative, "INVOICE.READ")

	g := newGuideRun(t, env, "payer@example.com")
	g.fixtures = map[string]func() (string, error){
		"ISSUER":                func() (string, error) { return env.URL, nil },
		"CLIENT_ID":             func() (string, error) { return webApp.ID, nil },
		"CLIENT_SECRET":         func() (string, error) { return webSecret, nil },
		"MACHINE_CLIENT_ID":     func() (string, error) { return machine.ID, nil },
		"MACHINE_CLIENT_SECRET": func() (string, error) { return machineSecret, nil },
		"RS_CLIENT_ID":          func() (string, error) { return rs.ID, nil },
		"RS_CLIENT_SECRET":      func() (string, error) { return rsSecret, nil },
		"SPA_CLIENT_ID":         func() (string, error) { return spa.ID, nil },
		"DEVICE_CLIENT_ID":      func() (string, error) { return device.ID, nil },
		"DEVICE_CODE":           func() (string, error) { return g.fromResponse("device_code") },
		"CODE":                  func() (string, error) { return g.fromRedirect("code") },
		"ACCESS_TOKEN":          func() (string, error) { return g.fromResponse("access_token") },
		"REFRESH_TOKEN":         func() (string, error) { return g.fromResponse("refresh_token") },
	}
	md := string(docs.OAuthGuide)
	g.run(md)
	g.mustCover(
		"GET /.well-known/oauth-authorization-server", "GET /oauth/authorize",
		"POST /oauth/token authorization_code", "POST /oauth/token refresh_token", "POST /oauth/token client_credentials",
		"POST /oauth/device_authorization", "POST /oauth/token urn:ietf:params:oauth:grant-type:device_code",
		"POST /oauth/introspect", "POST /oauth/revoke", "GET /.well-known/jwks.json", "PKCE",
	)

	// The decoded access token the page illustrates has the claims of the one the run ended
	// with (an authorization-code token, refreshed): RFC 9068 §2.2.
	got := jwtClaims(t, g.vars["ACCESS_TOKEN"])
	shown := illustratedJSON(t, md, `"gid"`)
	if k, s := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(shown)); !slices.Equal(k, s) {
		t.Errorf("the access token has the claims %v; the page's decoded example shows %v", k, s)
	}

	// The page sends readers from one step to another: every such link lands.
	_, page := g.user.get("/docs/oauth")
	for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !strings.Contains(page, `id="`+m[1]+`"`) {
			t.Errorf("/docs/oauth links to #%s, which is not on the page", m[1])
		}
	}
}

// jwtClaims decodes the payload of a JWT, unverified: the run already had the server accept it.
func jwtClaims(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a JWT", raw)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// illustratedJSON is the page's ```json block that contains marker, decoded.
func illustratedJSON(t *testing.T, md, marker string) map[string]any {
	t.Helper()
	for _, f := range fences(md) {
		body := strings.Join(f.body, "\n")
		if f.lang != "json" || !strings.Contains(body, marker) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("line %d: the example is not JSON: %v", f.line, err)
		}
		return m
	}
	t.Fatalf("the page no longer shows a ```json block with %s", marker)
	return nil
}
