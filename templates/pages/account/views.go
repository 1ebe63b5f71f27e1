// Package account holds the signed-in person's account pages, each taking a view model defined
// here.
package account

import (
	"github.com/devportal/devportal/templates/layout"
	"github.com/devportal/devportal/templates/pages/shared"
)

// AccountView is the signed-in person's account page.
type AccountView struct {
	layout.Base
	Email      string
	IsAdmin    bool
	CreatedISO string
	Created    string
	Errors     shared.Errors // of the display-name and change-password forms

	// DisplayName is the name form's value: as stored, or as just (wrongly) submitted.
	DisplayName string
	ProfileURL  string // where the name form posts

	// EmailVerified: a mailed link proved the current address.
	EmailVerified  bool
	ResendURL      string // where "Resend verification email" posts
	ChangeEmailURL string // where the email-change form posts
	NewEmail       string // the email-change form's value, as just (wrongly) submitted
}

// AuthorizedAppRow is one application a user approved.
type AuthorizedAppRow struct {
	ClientID, Name        string
	Scopes                []shared.ScopeOption
	GrantedISO, Granted   string
	LastUsedISO, LastUsed string // LastUsedISO is empty when never used
	RevokeURL             string
}

// AuthorizedAppsView lists the applications a user approved.
type AuthorizedAppsView struct {
	layout.Base
	Apps []AuthorizedAppRow
}
