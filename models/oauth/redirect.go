package oauth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/devportal/devportal/models"
)

// The rules a registered redirect URI can break. ValidateRedirectURI's errors, and the Err of a
// URIError, match one of them with errors.Is; their text is what the developer reads.
var (
	ErrURISpaces        = errors.New("must be a URI without spaces")
	ErrURINotAbsolute   = errors.New("must be an absolute URI, such as https://app.example.com/callback")
	ErrURIFragment      = errors.New("must not contain a fragment (#…)")
	ErrURIUserInfo      = errUserInfo
	ErrURIPort          = errors.New("must have a port from 1 to 65535, or none")
	ErrURINoHost        = errors.New("https URIs need a host")
	ErrURIInsecure      = errors.New("http is allowed only for loopback hosts (127.0.0.1, [::1], localhost); use https")
	ErrURIPrivateScheme = errors.New("private-use schemes are for native applications only")
	ErrURIScheme        = errors.New("use https, loopback http, or (native apps) a reverse-domain scheme such as com.example.app:/callback")
)

// ValidateRedirectURI checks a redirect URI a developer registers (RFC 6749 §3.1.2, RFC 8252 §7,
// RFC 9700 §4.1): absolute, no fragment, no user info; https, or http on a loopback host; native
// applications may also use a private-use scheme in reverse-domain form (com.example.app:/cb).
// The error is one of the ErrURI… rules.
func ValidateRedirectURI(t models.ClientType, raw string) error {
	if raw == "" {
		return ErrURISpaces
	}
	u, err := parseAbsolute(raw, "URI", "https://app.example.com/callback")
	switch {
	case errors.Is(err, errSpaces):
		return ErrURISpaces
	case err != nil:
		return ErrURINotAbsolute
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return ErrURIFragment
	}
	if hasUserInfo(u) {
		return ErrURIUserInfo
	}
	if !validPort(u.Port()) || strings.HasSuffix(u.Host, ":") {
		return ErrURIPort
	}
	switch scheme := strings.ToLower(u.Scheme); {
	case scheme == "https":
		if u.Host == "" {
			return ErrURINoHost
		}
	case scheme == "http":
		if !isLoopback(u.Hostname()) {
			return ErrURIInsecure
		}
	case strings.Contains(scheme, "."):
		if t != models.ClientNative {
			return ErrURIPrivateScheme
		}
	default:
		return ErrURIScheme
	}
	return nil
}

// URIError is what is wrong with one line of a list of URIs typed one per line.
type URIError struct {
	Line int    // 1-based, counting every line as typed, blank ones included
	URI  string // the line, trimmed
	Err  error  // the rule it breaks: one of the ErrURI…
}

// Error reads "URI rule (line N).": the URI first, as every message about one URI reads (the
// CLI prefixes its flag), then the line that holds it.
func (e *URIError) Error() string { return fmt.Sprintf("%s %s (line %d).", e.URI, e.Err, e.Line) }

// Unwrap lets errors.Is find the rule.
func (e *URIError) Unwrap() error { return e.Err }

// CheckURILines checks every line of a redirect URI list as typed (one URI per line; blank
// lines and repeats are skipped) and returns one URIError per bad line, in order, so the
// developer can correct them all at once.
func CheckURILines(t models.ClientType, lines []string) []*URIError {
	var bad []*URIError
	seen := map[string]bool{}
	for i, u := range lines {
		if u = strings.TrimSpace(u); u == "" || seen[u] {
			continue
		}
		seen[u] = true
		if err := ValidateRedirectURI(t, u); err != nil {
			bad = append(bad, &URIError{Line: i + 1, URI: u, Err: err})
		}
	}
	return bad
}

// parseAbsolute holds the first checks a redirect URI and a consent-page link share: written
// without white space, and parsed with a scheme. noun ("URI", "URL") and example phrase the
// errors for the field they are shown beside.
func parseAbsolute(raw, noun, example string) (*url.URL, error) {
	if strings.TrimSpace(raw) != raw || strings.ContainsAny(raw, " \t\r\n") {
		return nil, fmt.Errorf("must be a %s without spaces%w", noun, errSpaces)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return nil, notAbsolute(noun, example)
	}
	return u, nil
}

func notAbsolute(noun, example string) error {
	return errors.New("must be an absolute " + noun + ", such as " + example)
}

// errUserInfo refuses credentials in a URL (RFC 3986 §3.2.1 deprecates them; RFC 9700 §4.1.1
// lists them among the tricks that make a URL look like another).
var errUserInfo = errors.New("must not contain a user name or password")

// errSpaces marks parseAbsolute's refusal of white space; it adds no text of its own.
var errSpaces = errors.New("")

func hasUserInfo(u *url.URL) bool { return u.User != nil || strings.Contains(u.Host, "@") }

// validPort accepts an absent port or a decimal one from 1 to 65535 (RFC 3986 §3.2.3 allows any
// digits; no socket can listen on 0 or above 65535, and such a URI matches nothing real).
func validPort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && p[0] != '0'
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isLoopbackIP is narrower than isLoopback: RFC 8252 §7.3 lets only literal loopback IPs vary
// their port, since "localhost" may resolve elsewhere.
func isLoopbackIP(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// MatchRedirectURI returns the registered URI that requested matches: exact string comparison
// (RFC 9700 §4.1.3), except that a native client's loopback-IP redirect may differ in port only
// (RFC 8252 §7.3).
func MatchRedirectURI(c *models.Client, requested string) (string, bool) {
	for _, reg := range c.RedirectURIs {
		if reg == requested {
			return reg, true
		}
	}
	if c.Type != models.ClientNative {
		return "", false
	}
	// The port may vary; nothing else may, and the requested URI must itself be one a developer
	// could have registered (no user info, a real port).
	req, err := url.Parse(requested)
	if err != nil || req.Scheme != "http" || !isLoopbackIP(req.Hostname()) || ValidateRedirectURI(models.ClientNative, requested) != nil {
		return "", false
	}
	for _, reg := range c.RedirectURIs {
		r, err := url.Parse(reg)
		if err != nil || r.Scheme != "http" || !isLoopbackIP(r.Hostname()) {
			continue
		}
		if r.Hostname() == req.Hostname() && r.EscapedPath() == req.EscapedPath() && r.RawQuery == req.RawQuery && req.Fragment == "" {
			return reg, true
		}
	}
	return "", false
}
