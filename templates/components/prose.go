package components

import "regexp"

// paramName is a protocol parameter name as messages mention them: lower-case words joined by
// underscores (client_id, redirect_uri, code_challenge_method).
var paramName = regexp.MustCompile(`\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b`)

type prosePart struct {
	text string
	code bool
}

// proseParts splits text into the plain runs and the parameter names between them.
func proseParts(text string) []prosePart {
	var out []prosePart
	last := 0
	for _, m := range paramName.FindAllStringIndex(text, -1) {
		if m[0] > last {
			out = append(out, prosePart{text: text[last:m[0]]})
		}
		out = append(out, prosePart{text: text[m[0]:m[1]], code: true})
		last = m[1]
	}
	if last < len(text) {
		out = append(out, prosePart{text: text[last:]})
	}
	return out
}
