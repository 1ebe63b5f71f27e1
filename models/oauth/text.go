package oauth

import (
	"strings"
	"unicode/utf8"
)

// Capitalize upper-cases the first letter of s, so an error value written in lower case (as Go
// error strings are) can open a sentence shown to a person. It works on the first rune, not the
// first byte, so a multi-byte letter such as "é" is not split. A sentence that opens with a
// parameter name (client_id, redirect_uri: a word with an underscore) keeps it as it is sent,
// since "Client_id" names no parameter.
func Capitalize(s string) string {
	first, _, _ := strings.Cut(s, " ")
	if strings.Contains(first, "_") {
		return s
	}
	_, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(s[:n]) + s[n:]
}
