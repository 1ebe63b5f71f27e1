package auth

import "github.com/devportal/devportal/templates/layout"

// VerifyView is the second step of logging in: the authentication code.
type VerifyView struct {
	layout.Base
	Action string // where the form posts (/login/verify)
	Error  string
	// PasskeyBegin and PasskeyFinish, when set, offer the account's passkeys instead of a code.
	PasskeyBegin, PasskeyFinish, Next string
}

func (v VerifyView) describedBy() string {
	if v.Error != "" {
		return "code-error code-hint"
	}
	return "code-hint"
}
