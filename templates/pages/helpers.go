package pages

import "net/url"

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
