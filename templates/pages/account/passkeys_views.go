package account

// PasskeysView is the passkeys section of the security page.
type PasskeysView struct{}
