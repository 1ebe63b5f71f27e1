package oauth

import "testing"

// Issue 9 item 5: one rune-safe "capitalise the first letter". The byte-wise versions it
// replaces turned a multi-byte first letter into U+FFFD.
func TestCapitalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"use at most 2048 characters", "Use at most 2048 characters"},
		{"Already", "Already"},
		{"élan", "Élan"},
		{"日本", "日本"},
		{"1 scope", "1 scope"},
		// Issue 13 ("Forms and words"): parameter names are written as they are sent.
		{"client_id is missing", "client_id is missing"},
		{"redirect_uri is not registered for this client", "redirect_uri is not registered for this client"},
		{"code_challenge_method must be S256", "code_challenge_method must be S256"},
		{"scope \"x\" does not exist", "Scope \"x\" does not exist"},
	} {
		if got := Capitalize(tc.in); got != tc.want {
			t.Errorf("Capitalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
