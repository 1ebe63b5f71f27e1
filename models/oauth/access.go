package oauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// ErrInvalidToken is returned for an access token that is malformed, not ours, expired or
// revoked (RFC 6750 §3.1).
var ErrInvalidToken = protoErr("invalid_token", "", "the access token is invalid, expired or revoked")

// ErrInsufficientScope is returned when a valid token lacks the scope a resource needs
// (RFC 6750 §3.1).
var ErrInsufficientScope = protoErr("insufficient_scope", "", "the access token does not carry the required scope")

var accessAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.RS256}

// parseAccessToken checks an access token's signature against our keys, its type, its issuer and
// that it carries exp and iat, but neither expiry nor revocation. Every token we mint has both
// (RFC 9068 §2.2 requires them); one without exp would otherwise never expire.
func (s *Server) parseAccessToken(raw string) (*AccessClaims, error) {
	// A resource server introspects the same token on every call it receives: its signature,
	// checked once, does not need checking again until it expires or its key goes.
	sum := sha256.Sum256([]byte(raw))
	key := string(sum[:])
	now := s.now()
	c, ok, epoch := s.verified.get(key, now)
	if ok {
		return &c, nil
	}
	parsed, err := s.verifyAccessToken(raw)
	if err != nil {
		return nil, err
	}
	s.verified.put(key, *parsed, epoch, now, parsed.Expires())
	return parsed, nil
}

// DefaultVerifiedTokens bounds how many access tokens whose signature checked out are
// remembered (by SHA-256), each until it expires or the signing keys are reloaded.
const DefaultVerifiedTokens = 4096

// verifyAccessToken is parseAccessToken without the memory of tokens already verified.
func (s *Server) verifyAccessToken(raw string) (*AccessClaims, error) {
	tok, err := jwt.ParseSigned(raw, accessAlgs)
	if err != nil || len(tok.Headers) != 1 {
		return nil, ErrInvalidToken.Describe("the access token is not a signed JWT")
	}
	h := tok.Headers[0]
	// RFC 9068 §4: "at+jwt", or the full media type "application/at+jwt".
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "at+jwt" && typ != "application/at+jwt" {
		return nil, ErrInvalidToken.Describe("the token is not an access token (typ must be at+jwt)")
	}
	s.keys.mu.RLock()
	key, ok := s.keys.byKid[h.KeyID]
	s.keys.mu.RUnlock()
	if !ok {
		return nil, ErrInvalidToken.Describe("the token was not signed by a key of this server")
	}
	var c AccessClaims
	if err := tok.Claims(key, &c); err != nil {
		return nil, ErrInvalidToken.Describe("the token signature is invalid")
	}
	if c.Issuer != s.cfg.Issuer {
		return nil, ErrInvalidToken.Describe("the token was issued by another server")
	}
	if c.Expiry == nil || c.IssuedAt == nil {
		return nil, ErrInvalidToken.Describe("the token lacks exp or iat")
	}
	return &c, nil
}

// ValidateAccessToken is the resource server's check: signature, type, issuer, an audience of
// this server (the deployment's or a registered API's), expiry, then revocation (grant, client
// and user state) in one query. Which audience a resource accepts is its own check.
func (s *Server) ValidateAccessToken(ctx context.Context, raw string) (*AccessClaims, error) {
	c, err := s.parseAccessToken(raw)
	if err != nil {
		return nil, err
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Time: s.now()}, 0); err != nil {
		if errors.Is(err, jwt.ErrExpired) {
			return nil, ErrInvalidToken.Describe("the access token has expired")
		}
		return nil, ErrInvalidToken.Describe("the access token is not valid here: %v", err)
	}
	// Any resource this server issues for: a resource server then checks that aud names it
	// (web.RequireBearer, RFC 9068 §4); introspection reports aud for the caller to check.
	switch ok, err := s.knownAudience(ctx, c.Audience); {
	case err != nil:
		return nil, err
	case !ok:
		return nil, ErrInvalidToken.Describe("the access token is for a resource this server does not know")
	}
	ok, err := s.store.AccessTokenActive(ctx, c.ClientID, c.GrantID, c.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrInvalidToken.Describe("the access token was revoked")
	}
	return c, nil
}

// HasScope reports whether the token carries scope.
func (c *AccessClaims) HasScope(scope string) bool {
	return slices.Contains(ParseScope(c.Scope), scope)
}

// Expires is when the token stops being valid.
func (c *AccessClaims) Expires() time.Time {
	if c.Expiry == nil {
		return time.Time{}
	}
	return c.Expiry.Time()
}
