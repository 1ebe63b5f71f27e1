package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/devportal/devportal/models"
)

// MaxAllowedOrigins bounds how many web origins one application lists: a single-page app has
// one or two (production, staging, a local dev server), and every entry widens who may call.
const MaxAllowedOrigins = 20

// ErrOriginNotAllowed refuses a browser request from a page whose origin the client does not
// allow. It is refused before the grant runs, so a code is not spent nor a refresh token rotated.
var ErrOriginNotAllowed = protoErr("unauthorized_client", "origin", "requests from this origin are not allowed for this client")

// ValidateOrigin checks a web origin a developer allows (the value of a browser's Origin header):
// scheme://host[:port] exactly as browsers serialise it (RFC 6454 §6.2), https or loopback http,
// with no path, query, fragment, user info or wildcard.
func ValidateOrigin(raw string) error {
	if raw == "" || strings.ContainsAny(raw, " \t\r\n") {
		return errors.New("must be an origin without spaces, such as https://app.example.com")
	}
	if strings.Contains(raw, "*") {
		return errors.New("wildcards are not allowed: list each origin")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return errors.New("must be an origin such as https://app.example.com")
	}
	if u.User != nil {
		return errors.New("must not contain a user name or password")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !isLoopback(strings.ToLower(u.Hostname())) {
			return errors.New("must use https (http is allowed only for 127.0.0.1, [::1] or localhost)")
		}
	default:
		return errors.New("must use https (http is allowed only for 127.0.0.1, [::1] or localhost)")
	}
	canonical, ok := models.WebOrigin(raw)
	if !ok {
		return errors.New("must name its host in ASCII (an internationalised domain in its xn-- form)")
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(raw, "?#") {
		return fmt.Errorf("is a URL, not an origin: write only %s (no path, not even a trailing /)", canonical)
	}
	if canonical != raw {
		return fmt.Errorf("must be written as browsers send it: %s", canonical)
	}
	return nil
}

// validateAllowedOrigins trims and de-duplicates the allowed web origins of a web or native
// client and checks each. An empty list is valid: it means the redirect URIs' origins.
func validateAllowedOrigins(raw []string, errs FieldErrors) []string {
	var origins []string
	for _, o := range raw {
		if o = strings.TrimSpace(o); o != "" && !slices.Contains(origins, o) {
			origins = append(origins, o)
		}
	}
	if len(origins) > MaxAllowedOrigins {
		errs["allowed_origins"] = fmt.Sprintf("List at most %d origins.", MaxAllowedOrigins)
		return origins
	}
	for _, o := range origins {
		if err := ValidateOrigin(o); err != nil {
			errs["allowed_origins"] = fmt.Sprintf("%s %s.", o, err)
			break
		}
	}
	return origins
}

// OriginAllowed reports whether a browser page at origin may call the token and revocation
// endpoints as client: origins compare as exact strings, as browsers send them serialised.
func OriginAllowed(client *models.Client, origin string) bool {
	return origin != "" && slices.Contains(client.WebOrigins(), origin)
}

// CrossOrigin reports whether an Origin header names a page other than the portal's own, the
// requests CORS is about. No header (a server calling) and the issuer's own pages are not.
func (s *Server) CrossOrigin(origin string) bool {
	return origin != "" && origin != s.issuerOrigin
}

// CheckOrigin refuses a cross-origin browser request that client does not allow. RFC 9700
// ("Usage of CORS") lets the token endpoint support CORS and leaves which origins to the server;
// ours are per client, so one application's page cannot spend another's codes.
func (s *Server) CheckOrigin(client *models.Client, origin string) error {
	if !s.CrossOrigin(origin) || OriginAllowed(client, origin) {
		return nil
	}
	return ErrOriginNotAllowed.Describe("requests from origin %q are not allowed for this client: add it to the application's Allowed web origins", origin)
}

// AnyClientAllowsOrigin reports whether some active client allows origin: what a CORS preflight,
// which names no client, can be answered by.
func (s *Server) AnyClientAllowsOrigin(ctx context.Context, origin string) (bool, error) {
	if !s.CrossOrigin(origin) {
		return false, nil
	}
	return s.store.AnyActiveClientAllowsOrigin(ctx, origin)
}

// issuerOriginOf is the serialised origin of the issuer URL, whose own pages are same-origin.
func issuerOriginOf(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return ""
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if (scheme == "https" && strings.HasSuffix(host, ":443")) || (scheme == "http" && strings.HasSuffix(host, ":80")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	return scheme + "://" + host
}
