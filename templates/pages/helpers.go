package pages

import (
	"net/url"
	"strings"
)

func signupLink(next string) string {
	if next == "" {
		return "/signup"
	}
	return "/signup?next=" + url.QueryEscape(next)
}

func loginLink(next string) string {
	if next == "" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// originsHint explains the "Allowed web origins" field and what leaving it empty means.
func originsHint(defaults []string) string {
	hint := "One per line, such as https://app.example.com: the origins whose pages may call the token and revocation endpoints from a browser (CORS). "
	if len(defaults) == 0 {
		return hint + "Empty: none, since no redirect URI is a web address."
	}
	return hint + "Empty: the origins of the redirect URIs, " + strings.Join(defaults, ", ") + "."
}
