package handlers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/devportal/devportal/models/oauth"
)

// Fuzz targets for the token endpoints' request parsing: `go test -run '^$' -fuzz '^FuzzX$'
// ./handlers`. Seeds are in testdata/fuzz/FuzzX.

func tokenRequest(contentType, body, authorization string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	return r
}

// mustProtocolError checks that a parse failure is an OAuth error (RFC 6749 §5.2), so it is
// written as one and never becomes a 500.
func mustProtocolError(t *testing.T, err error) {
	t.Helper()
	var oe *oauth.Error
	if !errors.As(err, &oe) || (oe.Code != "invalid_request" && oe.Code != "invalid_client") {
		t.Fatalf("error %v (%T) is not invalid_request or invalid_client", err, err)
	}
}

func mustScopeTokens(t *testing.T, scope []string) {
	t.Helper()
	for i, s := range scope {
		if s == "" || strings.IndexFunc(s, unicode.IsSpace) >= 0 || slices.Contains(scope[:i], s) {
			t.Fatalf("scope %q: empty, spaced or repeated token %q", scope, s)
		}
	}
}

// mustCredentials checks RFC 6749 §2.3: the client authenticated one way only. With HTTP Basic,
// id and secret are its form-decoded halves (§2.3.1) and the body carries no secret and no other
// id; without it, they are the body's.
func mustCredentials(t *testing.T, authorization, bodyID, bodySecret string, req oauth.TokenRequest) {
	t.Helper()
	scheme, rest, found := strings.Cut(authorization, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		if req.ClientID != bodyID || req.ClientSecret != bodySecret {
			t.Fatalf("credentials %q/%q, want the body's %q/%q", req.ClientID, req.ClientSecret, bodyID, bodySecret)
		}
		return
	}
	if bodySecret != "" || (bodyID != "" && bodyID != req.ClientID) {
		t.Fatalf("Basic and a body secret %q or another body id %q were both accepted", bodySecret, bodyID)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	id, secret, ok := strings.Cut(string(raw), ":")
	if err != nil || !ok {
		t.Fatalf("malformed Basic credentials %q accepted", authorization)
	}
	id, err1 := url.QueryUnescape(id)
	secret, err2 := url.QueryUnescape(secret)
	if err1 != nil || err2 != nil || id != req.ClientID || secret != req.ClientSecret {
		t.Fatalf("Basic %q gave %q/%q", authorization, req.ClientID, req.ClientSecret)
	}
}

// RFC 6749 §3.2 and §4.1.3: a form token request is read once; no parameter may repeat.
func FuzzParseTokenRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, body, authorization string) {
		req, err := parseTokenRequest(tokenRequest("application/x-www-form-urlencoded", body, authorization))
		if err != nil {
			mustProtocolError(t, err)
			return
		}
		form, perr := url.ParseQuery(body)
		if perr != nil {
			t.Fatalf("%q: accepted, but it is not a form: %v", body, perr)
		}
		for k, vs := range form {
			if len(vs) > 1 {
				t.Fatalf("%q: parameter %q repeated but accepted", body, k)
			}
		}
		got := []string{req.GrantType, req.Code, req.RedirectURI, req.CodeVerifier, req.RefreshToken}
		want := []string{form.Get("grant_type"), form.Get("code"), form.Get("redirect_uri"), form.Get("code_verifier"), form.Get("refresh_token")}
		if !slices.Equal(got, want) {
			t.Fatalf("%q: parsed %q, want %q", body, got, want)
		}
		if !slices.Equal(req.Scope, oauth.ParseScope(form.Get("scope"))) {
			t.Fatalf("%q: scope %q", body, req.Scope)
		}
		mustScopeTokens(t, req.Scope)
		mustCredentials(t, authorization, form.Get("client_id"), form.Get("client_secret"), req)
	})
}

var compatFields = []string{"grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret", "refresh_token", "scope"}

// exactFields returns the top-level members of a JSON object when every name is exactly one of
// compatFields and none repeats; ok is false otherwise, for bodies whose reading depends on
// encoding/json's case-insensitive, last-one-wins matching.
func exactFields(body []byte) (map[string]json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		name, isName := tok.(string)
		if err != nil || !isName || out[name] != nil {
			return nil, false
		}
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return nil, false
		}
		if slices.Contains(compatFields, name) {
			out[name] = v
		}
	}
	return out, true
}

// ambiguousKeys reports a top-level key that repeats, or that spells a field in another case:
// encoding/json would resolve either silently, so the dialect must refuse them (finding 10).
func ambiguousKeys(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		name, _ := tok.(string)
		if err != nil {
			return false
		}
		if seen[name] {
			return true
		}
		seen[name] = true
		for _, f := range compatFields {
			if name != f && strings.EqualFold(name, f) {
				return true
			}
		}
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return false
		}
	}
	return false
}

// The compatibility dialect's token request, JSON or form (docs/oauth.md): errors are OAuth
// errors, a form is read exactly as by the RFC 6749 endpoint, and JSON members land in the
// fields they name.
func FuzzParseCompatTokenRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, form bool, body, authorization string) {
		ct := "application/json"
		if form {
			ct = "application/x-www-form-urlencoded"
		}
		req, err := parseCompatTokenRequest(tokenRequest(ct, body, authorization))
		if form {
			want, werr := parseTokenRequest(tokenRequest(ct, body, authorization))
			if (err == nil) != (werr == nil) || (err == nil && !equalRequests(req, want)) {
				t.Fatalf("%q: form read as %+v, %v; the RFC 6749 endpoint reads %+v, %v", body, req, err, want, werr)
			}
		}
		if err != nil {
			mustProtocolError(t, err)
			return
		}
		mustScopeTokens(t, req.Scope)
		if form {
			return
		}
		if !json.Valid([]byte(body)) {
			t.Fatalf("%q: accepted, but it is not JSON", body)
		}
		if ambiguousKeys([]byte(body)) {
			t.Fatalf("%q: accepted with a repeated or case-variant key", body)
		}
		fields, ok := exactFields([]byte(body))
		if !ok {
			return
		}
		str := func(name string) string {
			var s string
			if raw := fields[name]; raw != nil && string(raw) != "null" && json.Unmarshal(raw, &s) != nil {
				t.Fatalf("%q: member %s is not a string but was accepted", body, name)
			}
			return s
		}
		got := []string{req.GrantType, req.Code, req.RedirectURI, req.CodeVerifier, req.RefreshToken}
		want := []string{str("grant_type"), str("code"), str("redirect_uri"), str("code_verifier"), str("refresh_token")}
		if !slices.Equal(got, want) {
			t.Fatalf("%q: parsed %q, want %q", body, got, want)
		}
		mustCredentials(t, authorization, str("client_id"), str("client_secret"), req)
	})
}

func equalRequests(a, b oauth.TokenRequest) bool {
	return slices.Equal(a.Scope, b.Scope) && a.GrantType == b.GrantType && a.Code == b.Code && a.RedirectURI == b.RedirectURI &&
		a.CodeVerifier == b.CodeVerifier && a.RefreshToken == b.RefreshToken && a.ClientID == b.ClientID && a.ClientSecret == b.ClientSecret
}

// The compatibility dialect's scope member: a space-separated string (RFC 6749 §3.3) or an array
// of names.
func FuzzCompatScope(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		out, err := compatScope(json.RawMessage(raw))
		if err != nil {
			mustProtocolError(t, err)
			return
		}
		mustScopeTokens(t, out)
		var s string
		var names []string
		switch {
		case raw == "" || raw == "null":
			if out != nil {
				t.Fatalf("%q: scope %q, want none", raw, out)
			}
		case json.Unmarshal([]byte(raw), &s) == nil:
			if want := oauth.ParseScope(s); !slices.Equal(out, want) {
				t.Fatalf("%q: scope %q, want %q", raw, out, want)
			}
		case json.Unmarshal([]byte(raw), &names) == nil:
			for _, name := range strings.Fields(strings.Join(names, " ")) {
				if !slices.Contains(out, name) {
					t.Fatalf("%q: scope %q lost %q", raw, out, name)
				}
			}
		}
	})
}
