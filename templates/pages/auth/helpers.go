package auth

import "net/url"

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
