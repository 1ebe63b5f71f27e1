package oauth

import (
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/devportal/devportal/models"
)

// ValidateRedirectURI checks a redirect URI a developer registers (RFC 6749 §3.1.2, RFC 8252 §7,
// RFC 9700 §4.1): absolute, no fragment, no user info; https, or http on a loopback host; native
// applications may also use a private-use scheme in reverse-domain form (com.example.app:/cb).
func ValidateRedirectURI(t models.ClientType, raw string) error {
	if raw == "" {
		return errors.New("must be a URI without spaces")
	}
	u, err := parseAbsolute(raw, "URI", "https://app.example.com/callback")
	if err != nil {
		return err
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("must not contain a fragment (#…)")
	}
	if hasUserInfo(u) {
		return errUserInfo
	}
	if !validPort(u.Port()) || strings.HasSuffix(u.Host, ":") {
		return errors.New("must have a port from 1 to 65535, or none")
	}
	switch scheme := strings.ToLower(u.Scheme); {
	case scheme == "https":
		if u.Host == "" {
			return errors.New("https URIs need a host")
		}
	case scheme == "http":
		if !isLoopback(u.Hostname()) {
			return errors.New("http is allowed only for loopback hosts (127.0.0.1, [::1], localhost); use https")
		}
	case strings.Contains(scheme, "."):
		if t != models.ClientNative {
			return errors.New("private-use schemes are for native applications only")
		}
	default:
		return errors.New("use https, loopback http, or (native apps) a reverse-domain scheme such as com.example.app:/callback")
	}
	return nil
}

// parseAbsolute holds the first checks a redirect URI and a consent-page link share: written
// without white space, and parsed with a scheme. noun ("URI", "URL") and example phrase the
// errors for the field they are shown beside.
func parseAbsolute(raw, noun, example string) (*url.URL, error) {
	if strings.TrimSpace(raw) != raw || strings.ContainsAny(raw, " \t\r\n") {
		return nil, errors.New("must be a " + noun + " without spaces")
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
