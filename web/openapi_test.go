package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/devportal/devportal/docs"
	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

func init() {
	// Pages (consent, authorization errors) are documented as strings of HTML.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
}

// specCheck sends requests to a live server and holds each exchange against docs/openapi.yaml.
type specCheck struct {
	env    *testEnv
	doc    *openapi3.T
	router routers.Router
	seen   map[string][]int // operationId → statuses exercised
}

func mustSpec(t *testing.T, env *testEnv) *specCheck {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: env.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &specCheck{env: env, doc: doc, router: router, seen: map[string][]int{}}
}

// apiCall is one request and the status it must get.
type apiCall struct {
	client      *http.Client // nil: a client without cookies
	method      string
	path        string // with the query
	contentType string
	body        string
	header      map[string]string
	status      int
	// offSpec marks a request that breaks the description on purpose (a malformed body, a
	// missing field): only its response is held against the description.
	offSpec bool
}

// do sends c, checks the request against the description (unless offSpec) and the response
// always, including that the status is one the operation documents.
func (s *specCheck) do(t *testing.T, c apiCall) (*http.Response, map[string]any) {
	t.Helper()
	newReq := func() *http.Request {
		req, err := http.NewRequest(c.method, s.env.URL+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		return req
	}
	req := newReq()
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s is not in openapi.yaml: %v", c.method, c.path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if !c.offSpec {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: the request does not match openapi.yaml: %v", c.method, c.path, err)
		}
	}
	client := c.client
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(newReq())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != c.status {
		t.Fatalf("%s %s: status %d, want %d\n%s", c.method, c.path, resp.StatusCode, c.status, body)
	}
	in.Request = newReq()
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	if err != nil {
		t.Errorf("%s %s: the %d response does not match openapi.yaml: %v\n%s", c.method, c.path, resp.StatusCode, err, body)
	}
	id := route.Operation.OperationID
	if !slices.Contains(s.seen[id], resp.StatusCode) {
		s.seen[id] = append(s.seen[id], resp.StatusCode)
	}
	var out map[string]any
	json.Unmarshal(body, &out)
	return resp, out
}

// TestOpenAPIDescribesTheServer validates docs/openapi.yaml, then runs every documented
// operation against a live server, its success and its main errors, and validates each request
// and response against the description: an endpoint, field, status or error code that changes
// on one side only fails here.
func TestOpenAPIDescribesTheServer(t *testing.T) {
	f := newCompatFixture(t)
	env := f.env
	s := mustSpec(t, env)
	ctx := context.Background()
	machine, machineSecret := env.mustClient(t, f.dev, models.ClientMachine, nil, "INVOICE.READ")
	cliMachine, cliSecret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ")
	native, _ := env.mustClient(t, f.dev, models.ClientNative, []string{"http://127.0.0.1:9999/callback"}, "INVOICE.READ")
	suspended, _ := env.mustClient(t, f.dev, models.ClientWeb, []string{f.redirect}, "INVOICE.READ")
	if err := env.Store.SetClientStatus(ctx, suspended.ID, models.ClientSuspended); err != nil {
		t.Fatal(err)
	}
	const (
		jsonCT = "application/json"
		formCT = "application/x-www-form-urlencoded"
	)
	accept := map[string]string{"Accept": jsonCT}
	basic := func(id, secret string) map[string]string {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		return map[string]string{"Authorization": req.Header.Get("Authorization")}
	}
	bearer := func(tok map[string]any) map[string]string {
		return map[string]string{"Authorization": "Bearer " + tok["access_token"].(string)}
	}
	withClient := func(q url.Values, id string) string {
		q = cloneValues(q)
		q.Set("client_id", id)
		return q.Encode()
	}

	t.Run("authorization endpoint", func(t *testing.T) {
		for _, path := range []string{"/auth", "/oauth/authorize"} {
			q := f.authQuery("INVOICE.READ")
			s.do(t, apiCall{method: "GET", path: path + "?" + q.Encode(), status: 302})                                  // signed out: to log in
			s.do(t, apiCall{client: f.user.c, method: "GET", path: path + "?" + q.Encode(), status: 200})                // the consent page
			s.do(t, apiCall{method: "GET", path: path + "?" + withClient(q, "dp_unknown"), status: 400})                 // shown, not redirected
			s.do(t, apiCall{method: "GET", path: path + "?" + withClient(q, "dp_unknown"), header: accept, status: 404}) // DATA_NOT_FOUND
			s.do(t, apiCall{method: "GET", path: path + "?" + withClient(q, suspended.ID), header: accept, status: 401}) // INVALID_CLIENT
			s.do(t, apiCall{method: "GET", path: path + "?" + withClient(q, machine.ID), header: accept, status: 403})   // UNAUTHORIZED_CLIENT
			bad := cloneValues(q)
			bad.Set("response_type", "token")
			s.do(t, apiCall{method: "GET", path: path + "?" + bad.Encode(), status: 400, offSpec: true}) // a page linking to the client with the error
			s.do(t, apiCall{method: "GET", path: path + "?" + f.authQuery(`["INVOICE.READ","EWALLET.WRITE"]`).Encode(), header: accept, status: 403})
			s.do(t, apiCall{method: "GET", path: path + "?" + f.authQuery(`["INVOICE.READ"`).Encode(), header: accept, status: 400})
		}
	})

	var userTokens, readOnly map[string]any
	t.Run("compatibility token endpoint", func(t *testing.T) {
		exchange := jsonBody(map[string]any{"grant_type": "authorization_code", "code": f.code(t, f.authQuery("INVOICE.READ INVOICE.WRITE")),
			"redirect_uri": f.redirect, "client_id": f.web.ID, "client_secret": f.secret})
		_, userTokens = s.do(t, apiCall{method: "POST", path: "/oauth/tokens", contentType: jsonCT, body: exchange, status: 200})
		s.do(t, apiCall{method: "POST", path: "/oauth/tokens", contentType: jsonCT, status: 400, // INVALID_GRANT
			body: jsonBody(map[string]any{"grant_type": "authorization_code", "code": "dpc_unknown", "redirect_uri": f.redirect, "client_id": f.web.ID, "client_secret": f.secret})})
		refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {userTokens["refresh_token"].(string)}, "client_id": {f.web.ID}, "client_secret": {f.secret}, "scope": {"INVOICE.READ"}}
		_, readOnly = s.do(t, apiCall{method: "POST", path: "/oauth/tokens", contentType: formCT, body: refresh.Encode(), status: 200})
		s.do(t, apiCall{method: "POST", path: "/oauth/tokens", contentType: jsonCT, status: 200,
			body: jsonBody(map[string]any{"grant_type": "client_credentials", "client_id": machine.ID, "client_secret": machineSecret, "scope": []string{"INVOICE.READ"}})})
		s.do(t, apiCall{method: "POST", path: "/oauth/tokens", contentType: jsonCT, body: `{"grant_type":`, status: 400, offSpec: true})
		s.do(t, apiCall{method: "POST", path: "/oauth/tokens", contentType: jsonCT, status: 401,
			body: jsonBody(map[string]any{"grant_type": "client_credentials", "client_id": machine.ID, "client_secret": "wrong"})})
		s.do(t, apiCall{method: "POST", path: "/oauth/tokens", contentType: jsonCT, status: 403,
			body: jsonBody(map[string]any{"grant_type": "client_credentials", "client_id": machine.ID, "client_secret": machineSecret, "scope": "INVOICE.WRITE"})})
		s.do(t, apiCall{method: "POST", path: "/oauth/tokens", contentType: jsonCT, status: 403,
			body: jsonBody(map[string]any{"grant_type": "authorization_code", "code": "x", "client_id": machine.ID, "client_secret": machineSecret})})
		s.do(t, apiCall{method: "POST", path: "/oauth/tokens", contentType: jsonCT, status: 404,
			body: jsonBody(map[string]any{"grant_type": "client_credentials", "client_id": "dp_nobody", "client_secret": "x"})})
	})

	var machineToken map[string]any
	t.Run("RFC token endpoint", func(t *testing.T) {
		cc := url.Values{"grant_type": {"client_credentials"}, "scope": {"INVOICE.READ"}}.Encode()
		_, machineToken = s.do(t, apiCall{method: "POST", path: "/oauth/token", contentType: formCT, body: cc, header: basic(machine.ID, machineSecret), status: 200})
		verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXkdBjftJeZ4"
		q := url.Values{"client_id": {native.ID}, "response_type": {"code"}, "redirect_uri": {"http://127.0.0.1:9999/callback"}, "state": {"s"},
			"code_challenge": {oauth.S256Challenge(verifier)}, "code_challenge_method": {"S256"}}
		code := authorizeInBrowser(t, f.user, "/oauth/authorize?"+q.Encode(), "allow").Query().Get("code")
		pkce := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {"http://127.0.0.1:9999/callback"}, "client_id": {native.ID}, "code_verifier": {verifier}}
		s.do(t, apiCall{method: "POST", path: "/oauth/token", contentType: formCT, body: pkce.Encode(), status: 200})
		s.do(t, apiCall{method: "POST", path: "/oauth/token", contentType: formCT, body: pkce.Encode(), status: 400}) // invalid_grant: used
		s.do(t, apiCall{method: "POST", path: "/oauth/token", contentType: formCT, body: cc, header: basic(machine.ID, "wrong"), status: 401})
	})

	t.Run("device authorization (RFC 8628)", func(t *testing.T) {
		device, _ := env.mustDeviceClient(t, f.dev, models.ClientNative, "INVOICE.READ")
		start := url.Values{"client_id": {device.ID}, "scope": {"INVOICE.READ"}}.Encode()
		_, da := s.do(t, apiCall{method: "POST", path: "/oauth/device_authorization", contentType: formCT, body: start, status: 200})
		s.do(t, apiCall{method: "POST", path: "/oauth/device_authorization", contentType: formCT, body: "client_id=" + native.ID, status: 400}) // not turned on
		s.do(t, apiCall{method: "POST", path: "/oauth/device_authorization", contentType: formCT, body: "client_id=dp_nobody", status: 401})
		poll := url.Values{"grant_type": {oauth.GrantDeviceCode}, "client_id": {device.ID}, "device_code": {da["device_code"].(string)}}.Encode()
		s.do(t, apiCall{method: "POST", path: "/oauth/token", contentType: formCT, body: poll, status: 400}) // authorization_pending
	})

	t.Run("introspection and revocation", func(t *testing.T) {
		auth := basic(machine.ID, machineSecret)
		_, out := s.do(t, apiCall{method: "POST", path: "/oauth/introspect", contentType: formCT, body: "token=" + machineToken["access_token"].(string), header: auth, status: 200})
		if out["active"] != true {
			t.Errorf("introspection of a fresh token: %v", out)
		}
		s.do(t, apiCall{method: "POST", path: "/oauth/introspect", contentType: formCT, body: "token=dpr_unknown", header: auth, status: 200})
		s.do(t, apiCall{method: "POST", path: "/oauth/introspect", contentType: formCT, body: "", header: auth, status: 400, offSpec: true})
		s.do(t, apiCall{method: "POST", path: "/oauth/introspect", contentType: formCT, body: "token=x", header: basic(machine.ID, "wrong"), status: 401})
		s.do(t, apiCall{method: "POST", path: "/oauth/revoke", contentType: formCT, body: "token=dpr_unknown", header: auth, status: 200})
		s.do(t, apiCall{method: "POST", path: "/oauth/revoke", contentType: formCT, body: "", header: auth, status: 400, offSpec: true})
		s.do(t, apiCall{method: "POST", path: "/oauth/revoke", contentType: formCT, body: "token=x", header: basic(machine.ID, "wrong"), status: 401})
	})

	t.Run("invoices API", func(t *testing.T) {
		_, fresh := call(t, "POST", env.URL+"/oauth/tokens", jsonCT, jsonBody(map[string]any{"grant_type": "authorization_code",
			"code": f.code(t, f.authQuery("INVOICE.READ INVOICE.WRITE")), "redirect_uri": f.redirect, "client_id": f.web.ID, "client_secret": f.secret}), nil)
		s.do(t, apiCall{method: "POST", path: "/api/v1/invoices", contentType: jsonCT, body: `{"amount":150000,"currency":"IDR","description":"March rent"}`, header: bearer(fresh), status: 201})
		s.do(t, apiCall{method: "GET", path: "/api/v1/invoices?limit=10", header: bearer(fresh), status: 200})
		s.do(t, apiCall{method: "GET", path: "/api/v1/invoices", header: bearer(machineToken), status: 200})
		s.do(t, apiCall{method: "GET", path: "/api/v1/invoices?limit=0", header: bearer(fresh), status: 400, offSpec: true})
		s.do(t, apiCall{method: "GET", path: "/api/v1/invoices", status: 401})
		s.do(t, apiCall{method: "GET", path: "/api/v1/invoices", header: map[string]string{"Authorization": "Bearer not-a-jwt"}, status: 401})
		_, cli := call(t, "POST", env.URL+"/oauth/tokens", jsonCT, jsonBody(map[string]any{"grant_type": "client_credentials", "client_id": cliMachine.ID, "client_secret": cliSecret}), nil)
		s.do(t, apiCall{method: "GET", path: "/api/v1/invoices", header: bearer(cli), status: 403}) // REQUEST_FORBIDDEN_ERROR
		s.do(t, apiCall{method: "POST", path: "/api/v1/invoices", contentType: jsonCT, body: `{"amount":1,"currency":"IDR"}`, header: bearer(readOnly), status: 403})
		s.do(t, apiCall{method: "POST", path: "/api/v1/invoices", contentType: jsonCT, body: `{"amount":-1,"currency":"rupiah"}`, header: bearer(fresh), status: 400, offSpec: true})
		s.do(t, apiCall{method: "POST", path: "/api/v1/invoices", contentType: "text/plain", body: "amount=1", header: bearer(fresh), status: 415, offSpec: true})
		s.do(t, apiCall{method: "POST", path: "/api/v1/invoices", contentType: jsonCT, body: `{"amount":1,"currency":"IDR"}`, status: 401})
		// Revoking the user's refresh token ends the grant, and its access tokens with it.
		s.do(t, apiCall{method: "POST", path: "/oauth/revoke", contentType: formCT, body: "token=" + fresh["refresh_token"].(string), header: basic(f.web.ID, f.secret), status: 200})
		s.do(t, apiCall{method: "GET", path: "/api/v1/invoices", header: bearer(fresh), status: 401})
	})

	t.Run("discovery and health", func(t *testing.T) {
		s.do(t, apiCall{method: "GET", path: "/.well-known/oauth-authorization-server", status: 200})
		s.do(t, apiCall{method: "GET", path: "/.well-known/jwks.json", status: 200})
		s.do(t, apiCall{method: "GET", path: "/healthz", status: 200})
		s.do(t, apiCall{method: "GET", path: "/readyz", status: 200})
		if err := env.Store.Close(); err != nil { // last: the database goes away
			t.Fatal(err)
		}
		s.do(t, apiCall{method: "GET", path: "/readyz", status: 503})
	})

	// Every documented operation ran, and every one that documents a client error showed one.
	for path, item := range s.doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, tag := range op.Tags {
				if s.doc.Tags.Get(tag) == nil {
					t.Errorf("%s %s: tag %q is not declared (the API reference groups by declared tags)", method, path, tag)
				}
			}
			got := s.seen[op.OperationID]
			sort.Ints(got)
			if len(got) == 0 || got[0] >= 300 && got[0] != 302 {
				t.Errorf("%s %s (%s): no success exercised (statuses %v)", method, path, op.OperationID, got)
			}
			documents4xx := false
			for status := range op.Responses.Map() {
				documents4xx = documents4xx || strings.HasPrefix(status, "4")
			}
			if documents4xx && !slices.ContainsFunc(got, func(s int) bool { return s >= 400 && s < 500 }) {
				t.Errorf("%s %s (%s): documents client errors, none exercised (statuses %v)", method, path, op.OperationID, got)
			}
		}
	}
}

// The check above must be able to fail: a response the description does not allow is caught.
func TestOpenAPICheckCatchesDrift(t *testing.T) {
	env := newTestEnv(t)
	s := mustSpec(t, env)
	req, _ := http.NewRequest("GET", env.URL+"/api/v1/invoices", nil)
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
	for name, tc := range map[string]struct {
		status int
		body   string
	}{
		"renamed field":       {200, `{"invoices":[]}`},
		"undocumented code":   {401, `{"error_code":"TOKEN_EXPIRED","message":"x"}`},
		"undocumented status": {418, `{}`},
	} {
		header := http.Header{"Content-Type": {"application/json"}, "Www-Authenticate": {`Bearer error="invalid_token"`}}
		err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: tc.status, Header: header, Body: io.NopCloser(strings.NewReader(tc.body)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true},
		})
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, _, err := s.router.FindRoute(mustRequest(t, "POST", env.URL+"/oauth/tokenz")); err == nil {
		t.Error("an undocumented path was found")
	}
}

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// cloneValues copies url.Values.
func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
