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
	} {
		if got := Capitalize(tc.in); got != tc.want {
			t.Errorf("Capitalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
