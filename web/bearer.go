package web

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/handlers"
	"github.com/devportal/devportal/models/oauth"
)

// TokenValidator checks a bearer token; *oauth.Server is one. A resource server elsewhere can
// satisfy it by verifying the JWT against the JWKS offline (no revocation) or by calling the
// introspection endpoint (revocation seen at once).
type TokenValidator interface {
	ValidateAccessToken(ctx context.Context, raw string) (*oauth.AccessClaims, error)
}

// RequireBearer is Echo middleware for a protected resource (RFC 6750). It takes the token from
// the Authorization header only (§2.1; query and form tokens leak into logs), validates it, and
// checks that it carries scope. Failures go to onError as oauth.ErrInvalidToken (401) or
// oauth.ErrInsufficientScope (403), for the caller to write with a WWW-Authenticate challenge.
// On success the claims are available to handlers through handlers.AccessClaims.
//
// To reuse it in another Go service, copy this function and give it your own onError and a
// TokenValidator.
func RequireBearer(v TokenValidator, scope string, onError func(echo.Context, error) error) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			handlers.SetRequiredScope(c, scope)
			token := handlers.BearerToken(c.Request())
			if token == "" {
				return onError(c, oauth.ErrInvalidToken.Describe("send the access token in an Authorization: Bearer header"))
			}
			claims, err := v.ValidateAccessToken(c.Request().Context(), token)
			if err != nil {
				return onError(c, err)
			}
			if !claims.HasScope(scope) {
				return onError(c, oauth.ErrInsufficientScope.Describe("this request needs the %s scope", scope))
			}
			handlers.SetAccessClaims(c, claims)
			return next(c)
		}
	}
}
