package account

import "github.com/devportal/devportal/templates/layout"

// PasskeysView is the passkeys section of the security page.
type PasskeysView struct {
	// Available is false when the server cannot be a WebAuthn relying party (an IP issuer).
	Available bool
	// BeginURL answers the registration options (JSON); FinishURL takes the new credential.
	BeginURL, FinishURL string
	Max                 int // the most passkeys an account may have
	Passkeys            []PasskeyRow
}

// PasskeyRow is one registered passkey.
type PasskeyRow struct {
	Name                  string
	CreatedISO, Created   string
	LastUsedISO, LastUsed string // empty: never used
	RenameURL, RemoveURL  string
}

// RenamePasskeyView is the form that renames a passkey.
type RenamePasskeyView struct {
	layout.Base
	Name   string
	Error  string
	Action string
	Cancel string
}
