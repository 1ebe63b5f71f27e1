package oauth_test

import (
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

// Fuzz targets: `go test -run '^$' -fuzz '^FuzzX$' ./models/oauth`. Seeds are in
// testdata/fuzz/FuzzX; `go test` runs them as ordinary tests.

// mustScopeList checks what every parsed scope list must be (RFC 6749 §3.3): tokens that are
// non-empty, contain no whitespace, and appear once.
func mustScopeList(t *testing.T, input string, out []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, s := range out {
		if s == "" || strings.IndexFunc(s, unicode.IsSpace) >= 0 {
			t.Fatalf("%q: scope token %q is empty or contains whitespace", input, s)
		}
		if seen[s] {
			t.Fatalf("%q: scope %q listed twice in %q", input, s, out)
		}
		seen[s] = true
	}
}

// sameSet reports whether a and b hold the same strings, ignoring order and repeats.
func sameSet(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	for _, s := range b {
		if !slices.Contains(a, s) {
			return false
		}
	}
	return true
}

func FuzzParseScope(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		out := oauth.ParseScope(s)
		mustScopeList(t, s, out)
		fields := strings.Fields(s)
		if !sameSet(out, fields) {
			t.Fatalf("%q: parsed %q, but its space-separated tokens are %q", s, out, fields)
		}
		for i := 1; i < len(out); i++ { // first-occurrence order is kept
			if slices.Index(fields, out[i-1]) > slices.Index(fields, out[i]) {
				t.Fatalf("%q: order of %q not kept", s, out)
			}
		}
		if again := oauth.ParseScope(strings.Join(out, " ")); !slices.Equal(again, out) {
			t.Fatalf("%q: parsing %q again gives %q", s, out, again)
		}
	})
}

func FuzzParseScopesParam(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		out, err := oauth.ParseScopesParam(s)
		isArray := strings.HasPrefix(strings.TrimSpace(s), "[")
		if err != nil {
			if !errors.Is(err, oauth.ErrInvalidRequest) || !isArray {
				t.Fatalf("%q: error %v; only a malformed JSON array may fail, as invalid_request", s, err)
			}
			return
		}
		mustScopeList(t, s, out)
		if !isArray {
			if want := oauth.ParseScope(s); !slices.Equal(out, want) {
				t.Fatalf("%q: %q, want the RFC 6749 reading %q", s, out, want)
			}
			return
		}
		var names []string
		if json.Unmarshal([]byte(strings.TrimSpace(s)), &names) != nil {
			t.Fatalf("%q: accepted, but it is not a JSON array of strings", s)
		}
		if want := strings.Fields(strings.Join(names, " ")); !sameSet(out, want) {
			t.Fatalf("%q: %q, want the names %q", s, out, want)
		}
	})
}

// clientType maps a fuzzed byte onto the three kinds of client.
func clientType(b byte) models.ClientType {
	return []models.ClientType{models.ClientWeb, models.ClientNative, models.ClientMachine}[int(b)%3]
}

func loopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §4.1: what an accepted redirect URI must be.
func FuzzValidateRedirectURI(f *testing.F) {
	f.Fuzz(func(t *testing.T, kind byte, raw string) {
		typ := clientType(kind)
		if oauth.ValidateRedirectURI(typ, raw) != nil {
			return
		}
		if typ != models.ClientNative && oauth.ValidateRedirectURI(models.ClientNative, raw) != nil {
			t.Fatalf("%q: accepted for a %s client but not for a native one, whose rules are wider", raw, typ)
		}
		if raw == "" || strings.ContainsAny(raw, " \t\r\n#") {
			t.Fatalf("%q: accepted with whitespace or a fragment", raw)
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "" || u.User != nil || u.Fragment != "" {
			t.Fatalf("%q: accepted, but parses as %#v, %v (want absolute, no user info, no fragment)", raw, u, err)
		}
		switch scheme := strings.ToLower(u.Scheme); {
		case scheme == "https":
			if u.Host == "" {
				t.Fatalf("%q: https without a host", raw)
			}
		case scheme == "http":
			if !loopbackHost(u.Hostname()) {
				t.Fatalf("%q: http to a host that is not loopback", raw)
			}
		case typ != models.ClientNative || !strings.Contains(scheme, "."):
			t.Fatalf("%q: scheme %q accepted for a %s client", raw, scheme, typ)
		}
	})
}

// RFC 9700 §4.1.3 exact matching, with RFC 8252 §7.3's one exception: a native client's
// loopback-IP redirect may use any port.
func FuzzMatchRedirectURI(f *testing.F) {
	f.Fuzz(func(t *testing.T, kind byte, registered, requested string) {
		c := &models.Client{Type: clientType(kind)}
		for _, r := range strings.Split(registered, "\n") {
			if oauth.ValidateRedirectURI(c.Type, r) == nil && len(c.RedirectURIs) < 4 {
				c.RedirectURIs = append(c.RedirectURIs, r) // only what registration would keep
			}
		}
		got, ok := oauth.MatchRedirectURI(c, requested)
		if slices.Contains(c.RedirectURIs, requested) {
			if !ok || got != requested {
				t.Fatalf("%q is registered exactly but matched %q, %v", requested, got, ok)
			}
			return
		}
		if !ok {
			return
		}
		if !slices.Contains(c.RedirectURIs, got) {
			t.Fatalf("%q matched %q, which is not registered (%q)", requested, got, c.RedirectURIs)
		}
		if c.Type != models.ClientNative {
			t.Fatalf("%s client: %q matched %q without being identical", c.Type, requested, got)
		}
		req, err1 := url.Parse(requested)
		reg, err2 := url.Parse(got)
		if err1 != nil || err2 != nil {
			t.Fatalf("%q matched %q but does not parse: %v %v", requested, got, err1, err2)
		}
		ip := net.ParseIP(req.Hostname())
		if req.Scheme != "http" || reg.Scheme != "http" || ip == nil || !ip.IsLoopback() || req.Hostname() != reg.Hostname() {
			t.Fatalf("%q matched %q: only http loopback IPs may differ, and only in port", requested, got)
		}
		if req.EscapedPath() != reg.EscapedPath() || req.RawQuery != reg.RawQuery || req.Fragment != "" || req.User != nil || req.Opaque != "" {
			t.Fatalf("%q matched %q but differs in more than the port", requested, got)
		}
	})
}
