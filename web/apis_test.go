package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
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

// The admin console's APIs page (issue 15): the form registers an API ("Name", "Identifier",
// button "Create API") and refuses a second API with the same identifier or a relative one; an
// API that still has scopes cannot be deleted, with a message saying why; the scope form's
// "API" select moves a scope, which changes the aud of its new tokens; each change is audited.
func TestAdminAPIs(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	env.mustUser(t, "admin@example.com", true)
	b := newBrowser(t, env.URL)
	b.mustLogin("admin@example.com")
	_, page := b.get("/admin/apis")
	for _, want := range []string{`<label for="api-name" class="required">Name</label>`, `<label for="api-identifier" class="required">Identifier</label>`, ">Create API</button>", "Sample API", env.URL + "/api/v1"} {
		if !strings.Contains(page, want) {
			t.Fatalf("/admin/apis lacks %s", want)
		}
	}
	_, page = b.mustPostThenGet("/admin/apis", url.Values{"name": {"Billing"}, "identifier": {"https://billing.example.test"}, "access_ttl": {"300"}}, "/admin/apis")
	if !strings.Contains(page, "https://billing.example.test") {
		t.Fatal("the new API is not listed")
	}
	for name, form := range map[string]url.Values{
		"a taken identifier": {"name": {"Again"}, "identifier": {"https://billing.example.test"}},
		"a relative one":     {"name": {"Relative"}, "identifier": {"/billing"}},
		"a fragment":         {"name": {"Fragment"}, "identifier": {"https://billing.example.test/#x"}},
	} {
		b.get("/admin/apis")
		if resp, body := b.post("/admin/apis", form); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="api-identifier-error"`) {
			t.Errorf("%s: status %d, want 422 with the identifier's error", name, resp.StatusCode)
		}
	}
	billing, err := env.Store.APIByIdentifier(ctx, "https://billing.example.test")
	if err != nil {
		t.Fatal(err)
	}
	// A scope in Billing through the scope form's "API" select.
	_, page = b.get("/admin/scopes")
	if !strings.Contains(page, `<label for="scope-api" class="required">API</label>`) {
		t.Fatal("the scope form has no API select")
	}
	b.mustPostThenGet("/admin/scopes", url.Values{"name": {"PAYOUT.READ"}, "description": {"See your payouts"}, "api_id": {strconv.FormatInt(billing.ID, 10)}}, "/admin/scopes")
	apiPath := "/admin/apis/" + strconv.FormatInt(billing.ID, 10)
	b.get(apiPath + "/delete")
	_, page = b.mustPostThenGet(apiPath+"/delete", url.Values{}, "/admin/apis")
	if !strings.Contains(page, "Billing still has 1 scope(s)") {
		t.Fatalf("deleting an API with a scope: the page does not say why it was refused\n%s", page)
	}
	if _, err := env.Store.APIByID(ctx, billing.ID); err != nil {
		t.Fatalf("the API with a scope was deleted: %v", err)
	}
	// Moved back to the sample API, the scope's tokens are for it; then Billing can go.
	sample, err := env.Store.APIByIdentifier(ctx, models.SampleAPIIdentifier)
	if err != nil {
		t.Fatal(err)
	}
	b.get("/admin/scopes/PAYOUT.READ")
	b.mustPostThenGet("/admin/scopes/PAYOUT.READ", url.Values{"description": {"See your payouts"}, "api_id": {strconv.FormatInt(sample.ID, 10)}}, "/admin/scopes")
	client, secret := env.mustClient(t, nil, models.ClientMachine, nil, "PAYOUT.READ")
	if aud := jwtClaims(t, env.mustTokenOverHTTP(t, client, secret, url.Values{}))["aud"]; aud != env.URL+"/api/v1" {
		t.Fatalf("aud of a PAYOUT.READ token after the move: %v, want the sample API", aud)
	}
	b.get(apiPath + "/delete")
	b.mustPostThenGet(apiPath+"/delete", url.Values{}, "/admin/apis")
	if _, err := env.Store.APIByID(ctx, billing.ID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("the API without scopes is still there: %v", err)
	}
	for _, typ := range []string{models.AuditAPICreated, models.AuditAPIDeleted} {
		if events, err := env.Store.AuditEvents(ctx, models.AuditFilter{Type: typ, Limit: 5}); err != nil || len(events) != 1 || events[0].Actor != "admin@example.com" {
			t.Errorf("%s: %+v, %v; want one entry by the admin", typ, events, err)
		}
	}
}

// The developer console groups the scope checkboxes by API, one fieldset per API with its name
// in the legend (issue 15).
func TestConsoleGroupsScopesByAPI(t *testing.T) {
	env := newTestEnv(t)
	env.mustBillingAPI(t, "https://billing.example.test")
	env.mustUser(t, "dev@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin("dev@example.com")
	_, page := b.get("/apps/new")
	for scope, api := range map[string]string{"PAYOUT.READ": "Billing", "INVOICE.READ": "Sample API"} {
		legend := strings.Index(page, "<legend class=\"small\">API access: "+api+"</legend>")
		box := strings.Index(page, `id="scope-`+scope+`"`)
		end := legend + strings.Index(page[max(legend, 0):], "</fieldset>")
		if legend < 0 || box < legend || box > end {
			t.Errorf("%s is not in the fieldset of %s (legend at %d, checkbox at %d, fieldset end %d)", scope, api, legend, box, end)
		}
	}
}

// The sample API at /api/v1 accepts only tokens for {issuer}/api/v1 (TestSampleAPIAcceptsOnlyItsAudience),
// so its identifier cannot be edited away: the form says why, and nothing changes.
func TestSampleAPIIdentifierIsFixed(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	env.mustUser(t, "admin@example.com", true)
	b := newBrowser(t, env.URL)
	b.mustLogin("admin@example.com")
	sample, err := env.Store.APIByIdentifier(ctx, models.SampleAPIIdentifier)
	if err != nil {
		t.Fatal(err)
	}
	path := "/admin/apis/" + strconv.FormatInt(sample.ID, 10)
	b.get(path)
	resp, body := b.post(path, url.Values{"name": {"Sample API"}, "identifier": {"https://elsewhere.example/v1"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "identifier stays") {
		t.Fatalf("editing the sample API's identifier: %d", resp.StatusCode)
	}
	if got, err := env.Store.APIByIdentifier(ctx, models.SampleAPIIdentifier); err != nil || got.ID != sample.ID {
		t.Fatalf("the sample API's identifier changed: %v %v", got, err)
	}
	// Its other fields stay editable.
	b.mustPostThenGet(path, url.Values{"name": {"Invoices (sample)"}, "identifier": {env.URL + "/api/v1"}}, "/admin/apis")
	if got, _ := env.Store.APIByIdentifier(ctx, models.SampleAPIIdentifier); got == nil || got.Name != "Invoices (sample)" {
		t.Errorf("renaming the sample API: %+v", got)
	}
}

// An authorization request naming an API (RFC 8707 resource) says on the consent page which
// API its access is for, the only one its tokens will work at; one without names none.
func TestConsentNamesTheRequestedAPI(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "user@example.com", false)
	app, _ := env.mustClient(t, nil, models.ClientNative, []string{"http://127.0.0.1:9/cb"}, "INVOICE.READ")
	b := newBrowser(t, env.URL)
	b.mustLogin("user@example.com")
	_, plain := authorizationURL(env.URL, app.ID, "http://127.0.0.1:9/cb", "INVOICE.READ", "s1")
	if _, page := b.get(plain + "&resource=" + url.QueryEscape(env.URL+"/api/v1")); !strings.Contains(page, `id="consent-api"`) || !strings.Contains(page, "only for <strong>Sample API</strong>") {
		t.Error("the consent page of a request for the sample API does not name it")
	}
	if _, page := b.get(plain); strings.Contains(page, `id="consent-api"`) {
		t.Error("the consent page names an API the request did not ask for")
	}
}
