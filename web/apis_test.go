package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
)

// mustBillingAPI registers a second API, Billing, with the scope PAYOUT.READ.
func (e *testEnv) mustBillingAPI(t *testing.T, identifier string) *models.API {
	t.Helper()
	ctx := context.Background()
	a := &models.API{Name: "Billing", Identifier: models.RelativeIdentifier(identifier, e.URL)}
	if err := e.Store.CreateAPI(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.CreateScopeIn(ctx, a.ID, "PAYOUT.READ", "See your payouts", false); err != nil {
		t.Fatal(err)
	}
	e.OAuth.ForgetCatalog()
	return a
}

// tokenOverHTTP asks the token endpoint for a client-credentials token with the form's extra
// parameters, returning the status and the decoded body.
func (e *testEnv) tokenOverHTTP(t *testing.T, client *models.Client, secret string, form url.Values) (int, map[string]any) {
	t.Helper()
	form.Set("grant_type", "client_credentials")
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client.ID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func (e *testEnv) mustTokenOverHTTP(t *testing.T, client *models.Client, secret string, form url.Values) string {
	t.Helper()
	status, body := e.tokenOverHTTP(t, client, secret, form)
	tok, _ := body["access_token"].(string)
	if status != http.StatusOK || tok == "" {
		t.Fatalf("token endpoint: %d %v", status, body)
	}
	return tok
}

// invoices calls the sample API with token, returning the status and WWW-Authenticate.
func (e *testEnv) invoices(t *testing.T, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.URL+"/api/v1/invoices", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

// RFC 8707 and RFC 9068 §4 through the sample API: it accepts tokens for {issuer}/api/v1 and,
// for compatibility, tokens whose aud is the issuer (minted before APIs existed, or spanning
// several APIs); a token for another API is refused with 401 invalid_token even when it carries
// INVOICE.READ, and every 401 names the RFC 9728 document (§5.1).
func TestSampleAPIAcceptsOnlyItsAudience(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	billing := env.mustBillingAPI(t, "https://billing.example.test")
	dev := env.mustUser(t, "dev@example.com", false)
	client, secret := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ", "PAYOUT.READ")
	metadata := `resource_metadata="` + env.URL + `/.well-known/oauth-protected-resource/api/v1"`

	forSample := env.mustTokenOverHTTP(t, client, secret, url.Values{"resource": {env.URL + "/api/v1"}})
	spanning := env.mustTokenOverHTTP(t, client, secret, url.Values{}) // both APIs: aud is the issuer
	forBilling := env.mustTokenOverHTTP(t, client, secret, url.Values{"resource": {"https://billing.example.test"}})
	// An admin moves INVOICE.READ to Billing: its new tokens carry INVOICE.READ for Billing.
	if err := env.Store.SetScopeAPI(ctx, "INVOICE.READ", billing.ID); err != nil {
		t.Fatal(err)
	}
	env.OAuth.ForgetCatalog()
	movedScope := env.mustTokenOverHTTP(t, client, secret, url.Values{"scope": {"INVOICE.READ"}})

	for _, tc := range []struct {
		name   string
		token  string
		status int
	}{
		{"a token for the sample API", forSample, http.StatusOK},
		{"compatibility: a token whose aud is the issuer", spanning, http.StatusOK},
		{"a token for another API", forBilling, http.StatusUnauthorized},
		{"a token for another API carrying INVOICE.READ", movedScope, http.StatusUnauthorized},
		{"no token", "", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, challenge := env.invoices(t, tc.token)
			if status != tc.status {
				t.Fatalf("status %d, want %d (WWW-Authenticate %s)", status, tc.status, challenge)
			}
			if status == http.StatusUnauthorized && (!strings.Contains(challenge, metadata) || !strings.Contains(challenge, `error="invalid_token"`)) {
				t.Fatalf("WWW-Authenticate %q: want invalid_token and %s (RFC 9728 §5.1)", challenge, metadata)
			}
		})
	}
}

// RFC 8707 §2 over HTTP: invalid_target in the RFC 6749 §5.2 error format with status 400,
// also for a resource sent twice (one resource per token), which is not a repeated-parameter
// invalid_request.
func TestTokenEndpointInvalidTarget(t *testing.T) {
	env := newTestEnv(t)
	env.mustBillingAPI(t, "https://billing.example.test")
	client, secret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ", "PAYOUT.READ")
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"unknown resource", url.Values{"resource": {"https://nowhere.example.test"}}},
		{"two resources", url.Values{"resource": {"https://billing.example.test", env.URL + "/api/v1"}}},
		{"malformed resource", url.Values{"resource": {"not a uri"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := env.tokenOverHTTP(t, client, secret, tc.form)
			if status != http.StatusBadRequest || body["error"] != "invalid_target" {
				t.Fatalf("%d %v, want 400 invalid_target", status, body)
			}
		})
	}
}

// RFC 9728 §3: the sample API's protected-resource metadata, and that of an API registered
// under the issuer, at /.well-known/oauth-protected-resource/<its path>: resource,
// authorization_servers, that API's scopes only, bearer_methods_supported; public and cacheable.
func TestProtectedResourceMetadata(t *testing.T) {
	env := newTestEnv(t)
	env.mustBillingAPI(t, env.URL+"/billing")
	t.Run("sample API", func(t *testing.T) {
		md := mustResourceMetadata(t, env, "/api/v1", http.StatusOK)
		scopes, _ := md["scopes_supported"].([]any)
		if md["resource"] != env.URL+"/api/v1" || !slices.Equal(toStrings(md["authorization_servers"]), []string{env.URL}) ||
			!slices.Contains(toStrings(scopes), "INVOICE.READ") || slices.Contains(toStrings(scopes), "openid") || slices.Contains(toStrings(scopes), "PAYOUT.READ") ||
			!slices.Equal(toStrings(md["bearer_methods_supported"]), []string{"header"}) || md["resource_name"] != "Sample API" {
			t.Fatalf("metadata %v", md)
		}
	})
	t.Run("an API under the issuer", func(t *testing.T) {
		md := mustResourceMetadata(t, env, "/billing", http.StatusOK)
		if md["resource"] != env.URL+"/billing" || !slices.Equal(toStrings(md["scopes_supported"]), []string{"PAYOUT.READ"}) {
			t.Fatalf("metadata %v", md)
		}
	})
	t.Run("no such API", func(t *testing.T) {
		mustResourceMetadata(t, env, "/api/v2", http.StatusNotFound)
	})
}

func mustResourceMetadata(t *testing.T, env *testEnv, path string, want int) map[string]any {
	t.Helper()
	resp, err := http.Get(env.URL + "/.well-known/oauth-protected-resource" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var md map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("status %d, want %d: %v", resp.StatusCode, want, md)
	}
	if want == http.StatusOK && !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
		t.Errorf("Cache-Control %q: the document is cacheable", resp.Header.Get("Cache-Control"))
	}
	return md
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
