package oauth

import (
	"fmt"
	"regexp"

	"github.com/devportal/devportal/models"
)

// Scope names follow two rules, one on top of the other. Every request is checked against the
// first, RFC 6749 §3.3's scope-token, so any name a client may send is at least well-formed; a
// new catalog scope must also follow the second, the catalog's house style. The two disagree on
// purpose: the seeded standard scopes (openid, offline_access, …) and names a client might try
// (read:invoices) are valid tokens the admin form refuses. Both rules are kept as they were when
// they lived apart, so the form accepts and refuses exactly what it did.

// validScopeToken follows RFC 6749 §3.3: printable ASCII except space, quote and backslash.
func validScopeToken(s string) bool {
	for _, r := range s {
		if r < 0x21 || r == 0x22 || r == 0x5c || r > 0x7e {
			return false
		}
	}
	return s != ""
}

// catalogScopeName is the catalog's house style: uppercase letters, digits and underscores in
// parts joined by single dots, like PAYOUT.WRITE. Every name it matches is a valid scope-token.
var catalogScopeName = regexp.MustCompile(`^[A-Z0-9_]+(\.[A-Z0-9_]+)*$`)

// CheckCatalogScopeName says, in words for the admin's scope form, why name cannot name a new
// catalog scope, or returns "" when it can: a scope-token (RFC 6749 §3.3) in the catalog's house
// style, at most models.MaxScopeNameLength bytes long.
func CheckCatalogScopeName(name string) string {
	switch {
	case name == "":
		return "Enter a name, like PAYOUT.WRITE."
	case len(name) > models.MaxScopeNameLength:
		return fmt.Sprintf("Use at most %d characters.", models.MaxScopeNameLength)
	case !validScopeToken(name) || !catalogScopeName.MatchString(name):
		return "Use uppercase letters, digits and underscores, with single dots between parts, like PAYOUT.WRITE."
	}
	return ""
}
