package admin

import (
	"github.com/devportal/devportal/templates/layout"
	"github.com/devportal/devportal/templates/pages/shared"
)

// RegTokenRow is one initial access token on the registration tokens page.
type RegTokenRow struct {
	ID, Hint, Status    string
	Active              bool
	UsesLeft, Uses      int
	CreatedBy           string
	CreatedISO, Created string
	ExpiresISO, Expires string
	RevokeURL           string
}

// RegTokenForm is the new-token form as typed.
type RegTokenForm struct {
	ExpiresIn, Uses string
	Errors          shared.Errors
}

// RegTokensView is the admin page of initial access tokens for dynamic client registration.
type RegTokensView struct {
	layout.Base
	// Policy is DEVPORTAL_DCR; tokens are only asked for under "token".
	Policy   string
	Tokens   []RegTokenRow
	Form     RegTokenForm
	NewToken string // the token just created, shown this once
	SaveURL  string
}
