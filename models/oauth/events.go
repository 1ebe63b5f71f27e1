package oauth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/devportal/devportal/models"
)

// EventSink receives application activity; models.EventBuffer is one. Recording must not block.
type EventSink interface {
	Record(models.ClientEvent)
}

// record reports what happened to a known client: kind on success, a failure with its code and a
// plain-language explanation otherwise.
func (s *Server) record(clientID, kind, grantType string, err error) {
	if s.cfg.Events == nil || clientID == "" {
		return
	}
	e := models.ClientEvent{ClientID: clientID, Kind: kind, GrantType: grantType, CreatedAt: s.now()}
	if err != nil {
		var oe *Error
		if !errors.As(err, &oe) {
			oe = ErrServerError
		}
		e.Kind, e.ErrorCode, e.Detail = models.EventFailure, oe.Code, Explain(oe)
	}
	s.cfg.Events.Record(e)
}

// explanations say, for a developer, what most likely went wrong.
var explanations = map[string]string{
	"bad_secret":        "The client secret did not match an active secret: it may have been rotated or retired, carry stray whitespace, or belong to another application.",
	"client_disabled":   "An administrator suspended or revoked this application, so every request is refused.",
	"pkce":              "The code_verifier did not match the code_challenge: send the very verifier whose S256 hash (base64url, no padding) was in the authorization request.",
	"code_reused":       "The authorization code was exchanged twice, so the tokens issued from it were revoked: exchange each code once and do not retry a successful exchange.",
	"refresh_reused":    "A refresh token was used after it had been rotated, so the whole grant was revoked: store the new refresh token from every refresh response.",
	"scope_not_allowed": "The application asked for a scope it has not registered, or one still waiting for an administrator's approval.",
	"unknown_scope":     "A requested scope is not in the catalog: check its spelling and case (scopes look like INVOICE.READ).",
	"origin":            "A browser page whose origin is not among the application's Allowed web origins called the token endpoint: add the page's origin (scheme://host:port) in the application's settings.",
}

// Explain turns a protocol error into advice for the application's developer.
func Explain(oe *Error) string {
	if e, ok := explanations[oe.reason]; ok {
		return e
	}
	switch oe.Code {
	case "unauthorized_client":
		return "This application type cannot use that grant: web and native applications use authorization_code and refresh_token; machine-to-machine applications use client_credentials."
	case "unsupported_grant_type":
		return "The grant_type is not one devportal supports (authorization_code, client_credentials, refresh_token)."
	}
	if oe.Description == "" {
		return oe.Code
	}
	d := oe.Description
	if first, _, _ := strings.Cut(d, " "); !strings.Contains(first, "_") { // keep redirect_uri as written
		d = Capitalize(d)
	}
	return d + "."
}

// explainRedirect says how a redirect_uri differs from the nearest registered one, since the
// usual mistake is a small one: a trailing slash, http for https, a port, a letter's case.
func explainRedirect(requested string, registered []string) string {
	if len(registered) == 0 {
		return fmt.Sprintf("redirect_uri %q is sent, but the application has no redirect URIs registered", requested)
	}
	r, err := url.Parse(requested)
	if err != nil {
		return fmt.Sprintf("redirect_uri %q is not a valid URI", requested)
	}
	for _, reg := range registered {
		g, err := url.Parse(reg)
		if err != nil {
			continue
		}
		diff := ""
		switch {
		case strings.TrimSuffix(requested, "/") == strings.TrimSuffix(reg, "/"):
			diff = "its trailing slash"
		case !strings.EqualFold(r.Scheme, g.Scheme) && r.Host == g.Host && r.Path == g.Path:
			diff = "its scheme (" + r.Scheme + " instead of " + g.Scheme + ")"
		case strings.EqualFold(requested, reg):
			diff = "upper and lower case"
		case r.Hostname() == g.Hostname() && r.Port() != g.Port() && r.Path == g.Path:
			diff = "its port"
		case r.Scheme == g.Scheme && r.Host == g.Host && r.Path == g.Path && r.RawQuery != g.RawQuery:
			diff = "its query string"
		case r.Scheme == g.Scheme && r.Host == g.Host && r.Path != g.Path:
			diff = "its path"
		}
		if diff != "" {
			return fmt.Sprintf("redirect_uri %q differs from the registered %q in %s", requested, reg, diff)
		}
	}
	return fmt.Sprintf("redirect_uri %q is not one of the registered redirect URIs", requested)
}
