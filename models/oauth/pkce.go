package oauth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// MethodS256 is the only PKCE method devportal accepts; "plain" offers no protection against a
// leaked authorization request (RFC 9700 §2.1.1).
const MethodS256 = "S256"

// validPKCEValue checks the RFC 7636 §4.1 alphabet and length, which code_challenge (a base64url
// SHA-256, 43 characters) and code_verifier (43 to 128 characters) share.
func validPKCEValue(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// S256Challenge derives the code_challenge of a verifier (RFC 7636 §4.2).
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// verifyPKCE checks a token request's verifier against the stored challenge (RFC 7636 §4.6).
// A verifier sent for a code issued without a challenge is rejected too (RFC 9700 §2.1.1), so an
// attacker cannot strip PKCE from an authorization request.
func verifyPKCE(challenge, method, verifier string) error {
	switch {
	case challenge == "" && verifier == "":
		return nil
	case challenge == "":
		return ErrPKCE.Describe("code_verifier was sent but the authorization request had no code_challenge")
	case verifier == "":
		return ErrPKCE.Describe("code_verifier is required: the authorization request had a code_challenge")
	case method != MethodS256 || !validPKCEValue(verifier):
		return ErrPKCE.Describe("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]")
	case subtle.ConstantTimeCompare([]byte(S256Challenge(verifier)), []byte(challenge)) != 1:
		return ErrPKCE
	}
	return nil
}
