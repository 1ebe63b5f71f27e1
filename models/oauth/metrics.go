package oauth

import (
	"cmp"
	"errors"
)

// Metrics counts what operators alert on. The protocol only reports; web's Prometheus
// implementation exports. Calls sit on the token endpoint's path, so an implementation must
// not block or allocate per call.
type Metrics interface {
	// TokenIssued counts a successful token response of one grant type.
	TokenIssued(grantType string)
	// ClientAuthFailed counts a refused client authentication (RFC 6749 §2.3), by reason:
	// missing_client, unknown_client, bad_secret or client_disabled.
	ClientAuthFailed(reason string)
	// RefreshReused counts a rotated refresh token that came back and revoked its grant
	// (RFC 9700 §4.14.2).
	RefreshReused()
}

// countToken reports a token request's outcome to the metrics, if any.
func (s *Server) countToken(grantType string, err error) {
	m := s.cfg.Metrics
	switch {
	case m == nil:
	case err == nil:
		m.TokenIssued(grantType)
	case errors.Is(err, ErrRefreshTokenReused):
		m.RefreshReused()
	}
}

// countAuthFailure reports a refused client authentication to the metrics, if any.
func (s *Server) countAuthFailure(err error) {
	var oe *Error
	if s.cfg.Metrics != nil && errors.As(err, &oe) && oe.Code == ErrInvalidClient.Code {
		s.cfg.Metrics.ClientAuthFailed(cmp.Or(oe.reason, "invalid_client"))
	}
}
