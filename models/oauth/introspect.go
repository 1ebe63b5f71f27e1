package oauth

import (
	"context"
	"errors"
	"strings"

	"github.com/devportal/devportal/models"
)

// Introspection is an RFC 7662 §2.2 response. Only Active is set for an inactive token.
type Introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Username  string   `json:"username,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Aud       []string `json:"aud,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	Jti       string   `json:"jti,omitempty"`
}

var inactive = &Introspection{Active: false}

// looksLikeJWT tells access tokens (JWS compact) from our opaque refresh tokens by their form, so
// token_type_hint is never needed, and a wrong one cannot mislead the lookup.
func looksLikeJWT(token string) bool { return strings.Count(token, ".") == 2 }

// Introspect answers RFC 7662 for an authenticated caller. Public clients cannot introspect.
// A client sees only its own tokens unless an admin made it a resource server (CanIntrospect);
// anything else, like unknown, expired or revoked tokens, is {"active": false}.
func (s *Server) Introspect(ctx context.Context, caller *models.Client, token string) (*Introspection, error) {
	if !caller.Type.Confidential() {
		return nil, ErrUnauthorizedClient.Describe("public clients cannot introspect tokens")
	}
	if token == "" {
		return nil, ErrInvalidRequest.Describe("token is missing")
	}
	allowed := func(clientID string) bool { return caller.CanIntrospect || clientID == caller.ID }
	if looksLikeJWT(token) {
		c, err := s.ValidateAccessToken(ctx, token)
		var oe *Error
		if errors.As(err, &oe) || (err == nil && !allowed(c.ClientID)) {
			return inactive, nil
		}
		if err != nil {
			return nil, err
		}
		return &Introspection{
			Active: true, Scope: c.Scope, ClientID: c.ClientID, TokenType: "Bearer", Sub: c.Subject,
			Aud: c.Audience, Iss: c.Issuer, Jti: c.ID, Exp: c.Expiry.Time().Unix(), Iat: c.IssuedAt.Time().Unix(),
		}, nil
	}
	rt, err := s.store.RefreshTokenByHash(ctx, models.HashToken(token))
	if errors.Is(err, models.ErrNotFound) {
		return inactive, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if rt.UsedAt != nil || !now.Before(rt.ExpiresAt) || rt.Grant.RevokedAt != nil || !allowed(rt.Grant.ClientID) {
		return inactive, nil
	}
	if ok, err := s.store.ClientActive(ctx, rt.Grant.ClientID); err != nil || !ok {
		return inactive, err
	}
	// aud: whom the grant's access tokens are for when no resource narrows them (RFC 8707).
	api, err := s.tokenTarget(ctx, &rt.Grant, rt.Scope)
	if err != nil {
		return nil, err
	}
	return &Introspection{
		// token_type names an access token type (RFC 7662 §2.2, RFC 6749 §7.1); a refresh token has none.
		Active: true, Scope: rt.Scope.String(), ClientID: rt.Grant.ClientID, Aud: []string{s.audienceOf(api)},
		Sub: subjectOf(&rt.Grant), Iss: s.cfg.Issuer, Exp: rt.ExpiresAt.Unix(), Iat: rt.CreatedAt.Unix(),
	}, nil
}

// Revoke answers RFC 7009 for an authenticated caller (public clients included, by client_id).
// Revoking a refresh token, or an access token of a grant, ends the whole grant (RFC 7009 §2.1
// allows both); a client-credentials access token is remembered by jti until it expires.
// Unknown, expired or already revoked tokens succeed silently (§2.2).
func (s *Server) Revoke(ctx context.Context, caller *models.Client, token string) error {
	if token == "" {
		return ErrInvalidRequest.Describe("token is missing")
	}
	now := s.now()
	if looksLikeJWT(token) {
		c, err := s.parseAccessToken(token)
		if err != nil || !now.Before(c.Expires()) {
			return nil // not ours, or dead already
		}
		if c.ClientID != caller.ID {
			return ErrUnauthorizedClient.Describe("the token was issued to another client")
		}
		if c.GrantID != "" {
			return s.store.RevokeGrant(ctx, c.GrantID, now)
		}
		return s.store.RevokeAccessToken(ctx, c.ID, c.Expires())
	}
	rt, err := s.store.RefreshTokenByHash(ctx, models.HashToken(token))
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if rt.Grant.ClientID != caller.ID {
		return ErrUnauthorizedClient.Describe("the token was issued to another client")
	}
	return s.store.RevokeGrant(ctx, rt.GrantID, now)
}
