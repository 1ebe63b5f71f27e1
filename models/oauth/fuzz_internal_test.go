package oauth

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// pkceSyntax is RFC 7636 §4.1's code_verifier ABNF, written independently of validPKCEValue.
var pkceSyntax = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// RFC 7636 §4.6 and RFC 9700 §2.1.1: a token request passes PKCE only with no challenge and no
// verifier, or with an S256 challenge and a verifier of valid syntax that hashes to it.
func FuzzVerifyPKCE(f *testing.F) {
	f.Fuzz(func(t *testing.T, challenge, method, verifier string) {
		for _, v := range []string{challenge, verifier} {
			if validPKCEValue(v) != pkceSyntax.MatchString(v) {
				t.Fatalf("validPKCEValue(%q) = %v, RFC 7636 §4.1 says %v", v, validPKCEValue(v), pkceSyntax.MatchString(v))
			}
		}
		err := verifyPKCE(challenge, method, verifier)
		want := challenge == "" && verifier == "" ||
			challenge != "" && method == MethodS256 && pkceSyntax.MatchString(verifier) && S256Challenge(verifier) == challenge
		if (err == nil) != want {
			t.Fatalf("verifyPKCE(%q, %q, %q) = %v, want success %v", challenge, method, verifier, err, want)
		}
		if err != nil && !errors.Is(err, ErrPKCE) {
			t.Fatalf("verifyPKCE error %v is not invalid_grant (pkce)", err)
		}
	})
}

// RFC 9068 §4: whatever it is given, access-token validation never panics, fails only with
// invalid_token (a 401, never a 500), and accepts only tokens this server signed: an accepted
// token's jti is one the test minted, since a fuzzer cannot sign with the ring.
func FuzzParseAccessToken(f *testing.F) {
	e := mustRingEnv(f)
	key := e.mustRingKey(f)
	minted := map[string]bool{}
	mint := func(edit func(map[string]any)) string {
		c := e.claims()
		edit(c)
		minted[c["jti"].(string)] = true
		return mustSign(f, key, jose.SignatureAlgorithm(key.Algorithm), "at+jwt", c)
	}
	good := mint(func(map[string]any) {})
	f.Add(good)
	f.Add(mint(func(c map[string]any) { c["scope"] = "INVOICE.READ INVOICE.WRITE" }))
	f.Add(mint(func(c map[string]any) { c["aud"] = []string{"https://other.example", testIssuer} }))
	parts := strings.Split(good, ".")
	f.Add(parts[0] + "." + parts[1] + ".")            // signature stripped
	f.Add(parts[0] + "." + parts[1] + "." + parts[1]) // signature replaced
	f.Add(good + "." + parts[2])                      // one part too many
	ctx := context.Background()

	f.Fuzz(func(t *testing.T, raw string) {
		c, err := e.srv.ValidateAccessToken(ctx, raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v is not invalid_token", err)
			}
			return
		}
		if !minted[c.ID] {
			t.Fatalf("accepted a token the server never signed: jti %q", c.ID)
		}
		if c.Issuer != testIssuer || !c.Audience.Contains(testIssuer) || c.Expiry == nil || e.now.After(c.Expiry.Time()) {
			t.Fatalf("accepted claims %+v", c.Claims)
		}
	})
}

// OIDC Core §3.1.2.1, RP-Initiated Logout §2: an id_token_hint is untrusted input. Whatever it
// is, ParseIDTokenHint never panics, fails only with invalid_request, and accepts only an ID
// Token (typ JWT) this server signed, never an access token, even one it signed itself.
func FuzzParseIDTokenHint(f *testing.F) {
	e := mustRingEnv(f)
	key := e.mustRingKey(f)
	idToken := func(sub string) string {
		return mustSign(f, key, jose.SignatureAlgorithm(key.Algorithm), "JWT", map[string]any{"iss": testIssuer, "sub": sub, "aud": "dp_client", "iat": 1, "exp": 2})
	}
	good := idToken("subject-minted")
	access := mustSign(f, key, jose.SignatureAlgorithm(key.Algorithm), "at+jwt", e.claims())
	f.Add(good, "")
	f.Add(good, "dp_client")
	f.Add(good, "dp_other")
	f.Add(access, "")
	parts := strings.Split(good, ".")
	f.Add(parts[0]+"."+parts[1]+".", "")
	f.Add(parts[0]+"."+parts[1]+"."+parts[1], "")
	f.Fuzz(func(t *testing.T, raw, clientID string) {
		c, err := e.srv.ParseIDTokenHint(raw, clientID)
		if err != nil {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("error %v is not invalid_request", err)
			}
			return
		}
		if c.Subject != "subject-minted" || c.Issuer != testIssuer || (clientID != "" && clientID != "dp_client") {
			t.Fatalf("accepted a hint the server never issued for %q: %+v", clientID, c)
		}
	})
}
