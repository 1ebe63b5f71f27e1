package pages

import (
	"net/url"
	"strings"
)

// signupLink is the sign-up page at path, keeping where the person was going.
func signupLink(path, next string) string { return withNext(path, next) }

// loginLink is the log-in page at path, keeping where the person was going.
func loginLink(path, next string) string { return withNext(path, next) }

func withNext(path, next string) string {
	if next == "" {
		return path
	}
	return path + "?next=" + url.QueryEscape(next)
}

// originsHint explains the "Allowed web origins" field and what leaving it empty means.
func originsHint(defaults []string) string {
	hint := "One per line, such as https://app.example.com: the origins whose pages may call the token and revocation endpoints from a browser (CORS). "
	if len(defaults) == 0 {
		return hint + "Empty: none, since no redirect URI is a web address."
	}
	return hint + "Empty: the origins of the redirect URIs, " + strings.Join(defaults, ", ") + "."
}
