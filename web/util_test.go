package web_test

import (
	"errors"
	"html"
	"regexp"

	"golang.org/x/oauth2"
)

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)

func htmlUnescape(s string) string { return html.UnescapeString(s) }

func asRetrieveError(err error, target **oauth2.RetrieveError) bool { return errors.As(err, target) }
