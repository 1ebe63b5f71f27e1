package account

import (
	"github.com/devportal/devportal/templates/layout"
	"github.com/devportal/devportal/templates/pages/shared"
)

// TwoFactorView is the two-factor (TOTP) section of the security page.
type TwoFactorView struct {
	Enabled      bool
	EnabledISO   string
	EnabledAt    string
	RecoveryLeft int // unused recovery codes
	// Setup is the set-up under way (secret and QR code), nil when none is.
	Setup *TOTPSetupView
	// Where the section's forms post.
	SetupURL, EnableURL, DisableURL, RegenerateURL string
	// Errors of the section's code fields: "enable-code", "disable-code", "regenerate-code".
	Errors shared.Errors
}

// TOTPSetupView is an authenticator being set up: the secret to type in, or its QR code.
type TOTPSetupView struct {
	Secret string
	URI    string // otpauth://, what the QR code holds
}

// RecoveryCodesView shows freshly issued recovery codes, the only time they are shown.
type RecoveryCodesView struct {
	layout.Base
	Codes []string
	Done  string // back to the security page
}
