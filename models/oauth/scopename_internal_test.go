package oauth

import (
	"strings"
	"testing"
)

// TestScopeNameRules: one home for both scope-name rules (issue 9 item 2: the catalog rule lived
// in handlers/admin_scopes.go beside, and disagreeing with, validScopeToken). validScopeToken is
// RFC 6749 §3.3's scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); the catalog rule is stricter,
// and a name it accepts is always a valid token.
func TestScopeNameRules(t *testing.T) {
	const (
		ok      = ""
		empty   = "Enter a name"
		tooLong = "Use at most 64 characters."
		style   = "Use uppercase letters"
	)
	tests := []struct {
		name    string
		token   bool   // RFC 6749 §3.3 scope-token
		catalog string // start of CheckCatalogScopeName's message; "" when accepted
	}{
		{"INVOICE.READ", true, ok},
		{"VIRTUAL_ACCOUNT.WRITE", true, ok},
		{"PAYOUT_V2.WRITE", true, ok},
		{"A", true, ok},
		{"0.1", true, ok},
		{strings.Repeat("A", 64), true, ok},
		{strings.Repeat("A", 65), true, tooLong},
		{"", false, empty},
		// Valid tokens the catalog refuses: the standard scopes and other house styles.
		{"openid", true, style},
		{"offline_access", true, style},
		{"payout.write", true, style},
		{"read:invoices", true, style},
		{"https://api.example/invoices.read", true, style},
		{"PAYOUT..WRITE", true, style},
		{".PAYOUT", true, style},
		{"PAYOUT.", true, style},
		{"!", true, style},
		{"~", true, style},
		{"[]", true, style},
		// Not tokens at all.
		{"PAYOUT WRITE", false, style},
		{"PAYOUT\tWRITE", false, style},
		{`PAYOUT"WRITE`, false, style},
		{`PAYOUT\WRITE`, false, style},
		{"PAYOUT\x7f", false, style},
		{"PAYOUT\x00", false, style},
		{"ÉCRIRE", false, style},
		{"PAYOUT\u00a0WRITE", false, style},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validScopeToken(tt.name); got != tt.token {
				t.Errorf("validScopeToken(%q) = %v, want %v", tt.name, got, tt.token)
			}
			got := CheckCatalogScopeName(tt.name)
			if (tt.catalog == ok) != (got == "") || !strings.HasPrefix(got, tt.catalog) {
				t.Errorf("CheckCatalogScopeName(%q) = %q, want %q…", tt.name, got, tt.catalog)
			}
			if got == "" && !validScopeToken(tt.name) {
				t.Errorf("the catalog accepts %q, which is no RFC 6749 §3.3 scope-token", tt.name)
			}
		})
	}
}
