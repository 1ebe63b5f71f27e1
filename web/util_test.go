package web_test

import (
	"errors"
	"html"
	"net/url"
	"regexp"

	"golang.org/x/oauth2"
)

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)

var returnLinkRE = regexp.MustCompile(`<a class="btn btn-secondary" href="([^"]+)" rel="noreferrer">Return to `)

// returnLink is the "Return to host" link of an authorization error page, or nil.
func returnLink(body string) *url.URL {
	m := returnLinkRE.FindStringSubmatch(body)
	if m == nil {
		return nil
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return nil
	}
	return u
}

func htmlUnescape(s string) string { return html.UnescapeString(s) }

func asRetrieveError(err error, target **oauth2.RetrieveError) bool { return errors.As(err, target) }
