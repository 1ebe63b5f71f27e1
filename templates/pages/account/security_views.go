package account

import "github.com/devportal/devportal/templates/layout"

// SecurityView is the account's security page: two-factor authentication, passkeys and the
// sessions signed in to the account.
type SecurityView struct {
	layout.Base
	TwoFactor TwoFactorView
	Passkeys  PasskeysView
	Sessions  []SessionRow
	// SignOutAllURL is the "Sign out everywhere" confirmation.
	SignOutAllURL string
}

// SessionRow is one session signed in to the account.
type SessionRow struct {
	Device      string // from the User-Agent, in words ("Chrome on Linux")
	IP          string
	LastSeenISO string
	LastSeen    string
	Current     bool   // this browser's session
	SignOutURL  string // the POST that ends it (empty for the current one)
}
