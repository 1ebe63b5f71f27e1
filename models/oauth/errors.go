// Package oauth is devportal's OAuth 2.0 protocol core: authorization-request validation,
// redirect-URI rules, PKCE, scopes, the grants of the token endpoint and token minting. It sees no
// HTTP request; handlers parse one into the plain structs here and write back what they return.
package oauth

import "fmt"

// Error is an OAuth 2.0 error (RFC 6749 §4.1.2.1, §5.2). Code is the registered error code;
// reason narrows it where callers must tell causes apart (the compatibility dialect answers an
// unknown client differently from a wrong secret), without inventing codes the RFC lacks.
type Error struct {
	Code        string
	Description string
	reason      string
}

func (e *Error) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

// Reason is the finer cause, or "" for a plain error of its code.
func (e *Error) Reason() string { return e.reason }

// Is makes errors.Is(err, ErrInvalidClient) true for every invalid_client error, and
// errors.Is(err, ErrUnknownClient) true only for that cause.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.reason == "" || t.reason == e.reason)
}

// Describe returns a copy of e with a human-readable description for the client's developer.
func (e *Error) Describe(format string, args ...any) *Error {
	c := *e
	c.Description = fmt.Sprintf(format, args...)
	return &c
}

func protoErr(code, reason, desc string) *Error {
	return &Error{Code: code, reason: reason, Description: desc}
}

// The RFC 6749 error codes.
var (
	ErrInvalidRequest          = protoErr("invalid_request", "", "the request is missing a parameter or is malformed")
	ErrInvalidClient           = protoErr("invalid_client", "", "client authentication failed")
	ErrInvalidGrant            = protoErr("invalid_grant", "", "the grant is invalid, expired, revoked or was issued to another client")
	ErrUnauthorizedClient      = protoErr("unauthorized_client", "", "the client may not use this grant type")
	ErrUnsupportedGrantType    = protoErr("unsupported_grant_type", "", "the grant type is not supported")
	ErrInvalidScope            = protoErr("invalid_scope", "", "the requested scope is invalid or exceeds what was granted")
	ErrAccessDenied            = protoErr("access_denied", "", "the user denied the request")
	ErrUnsupportedResponseType = protoErr("unsupported_response_type", "", "only response_type=code is supported")
	ErrServerError             = protoErr("server_error", "", "the server could not complete the request")
)

// The OpenID Connect authorization errors (OIDC Core §3.1.2.6), sent to the redirect URI.
var (
	ErrLoginRequired          = protoErr("login_required", "", "the user is not signed in, or must sign in again")
	ErrConsentRequired        = protoErr("consent_required", "", "the user has not allowed this application what it asks for")
	ErrRequestNotSupported    = protoErr("request_not_supported", "", "request objects (the request parameter) are not supported")
	ErrRequestURINotSupported = protoErr("request_uri_not_supported", "", "request_uri is not supported")
)

// Finer causes, each still its RFC code.
var (
	// ErrMissingClient: the request names no client at all.
	ErrMissingClient = protoErr("invalid_client", "missing_client", "client_id is missing")
	// ErrUnknownClient: no client has that id.
	ErrUnknownClient = protoErr("invalid_client", "unknown_client", "no client is registered with that client_id")
	// ErrBadClientSecret: the client exists but the secret is missing or wrong.
	ErrBadClientSecret = protoErr("invalid_client", "bad_secret", "the client secret is missing or wrong")
	// ErrClientDisabled: the client was suspended or revoked by an admin.
	ErrClientDisabled = protoErr("invalid_client", "client_disabled", "the client is suspended or revoked")
	// ErrInvalidRedirectURI: the redirect_uri is missing, malformed or not registered; never
	// redirected to.
	ErrInvalidRedirectURI = protoErr("invalid_request", "redirect_uri", "the redirect_uri is not registered for this client")
	// ErrUnknownScope: a scope is not in the catalog (or was retired).
	ErrUnknownScope = protoErr("invalid_scope", "unknown_scope", "a requested scope does not exist")
	// ErrScopeNotAllowed: a scope exists but the client did not register it, or the grant lacks it.
	ErrScopeNotAllowed = protoErr("invalid_scope", "scope_not_allowed", "a requested scope is not allowed for this client")
	// ErrRefreshTokenReused: a rotated refresh token came back; its whole grant is now revoked.
	ErrRefreshTokenReused = protoErr("invalid_grant", "refresh_reused", "the refresh token was already used; the grant is revoked")
	// ErrCodeReused: an authorization code came back; the tokens issued from it are now revoked.
	ErrCodeReused = protoErr("invalid_grant", "code_reused", "the authorization code was already used; tokens issued from it are revoked")
	// ErrPKCE: the code_verifier is missing or does not match the code_challenge.
	ErrPKCE = protoErr("invalid_grant", "pkce", "the code_verifier does not match the code_challenge")
)
