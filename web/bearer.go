package web

import (
	"context"
	"slices"

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

// Resource is what a protected resource accepts: tokens whose aud names one of Audiences
// (RFC 9068 §4, RFC 8707), and the URL of its RFC 9728 document, named in its 401 challenges.
type Resource struct {
	Audiences []string
	Metadata  string
}

// SampleAPI is the built-in sample API at {issuer}/api/v1. It accepts tokens for its own
// identifier, and, so that tokens minted before APIs existed (and tokens spanning several APIs,
// whose aud stays the issuer) keep working, tokens whose aud is the issuer. A token for any
// other API is refused, even when it carries a scope of the same name.
func SampleAPI(issuer string) Resource {
	id := issuer + "/api/v1"
	return Resource{Audiences: []string{id, issuer}, Metadata: oauth.ProtectedResourceMetadataURL(issuer, id)}
}

// RequireBearer is Echo middleware for a protected resource (RFC 6750). It takes the token from
// the Authorization header only (§2.1; query and form tokens leak into logs), validates it,
// checks that its aud names res (RFC 9068 §4), and that it carries scope. Failures go to
// onError as oauth.ErrInvalidToken (401) or oauth.ErrInsufficientScope (403), for the caller to
// write with a WWW-Authenticate challenge naming res.Metadata (RFC 9728 §5.1). On success the
// claims are available to handlers through handlers.AccessClaims.
//
// To reuse it in another Go service, copy this function and give it your own onError, your
// API's identifier and a TokenValidator (docs/apis.md).
func RequireBearer(v TokenValidator, res Resource, scope string, onError func(echo.Context, error) error) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			handlers.SetRequiredScope(c, scope)
			if res.Metadata != "" {
				handlers.SetResourceMetadata(c, res.Metadata)
			}
			token := handlers.BearerToken(c.Request())
			if token == "" {
				return onError(c, oauth.ErrInvalidToken.Describe("send the access token in an Authorization: Bearer header"))
			}
			claims, err := v.ValidateAccessToken(c.Request().Context(), token)
			if err != nil {
				return onError(c, err)
			}
			if !slices.ContainsFunc(res.Audiences, claims.Audience.Contains) {
				return onError(c, oauth.ErrInvalidToken.Describe("the access token is for another API (its aud does not name this one); ask for a token with resource=%s", res.Audiences[0]))
			}
			if !claims.HasScope(scope) {
				return onError(c, oauth.ErrInsufficientScope.Describe("this request needs the %s scope", scope))
			}
			handlers.SetAccessClaims(c, claims)
			return next(c)
		}
	}
}
