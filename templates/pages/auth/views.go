// Package auth holds the pages of signing in and of authorizing an application: home, log-in,
// sign-up, consent and the error page, each taking a view model defined here.
package auth

import (
	"github.com/devportal/devportal/templates/layout"
	"github.com/devportal/devportal/templates/pages/shared"
)

// HomeView is the landing page.
type HomeView struct {
	layout.Base
}

// LoginView is the log-in form.
type LoginView struct {
	layout.Base
	Email string
	Next  string
	Error string
	// SignedInAs is set when a signed-in user must log in again (prompt=login, max_age).
	SignedInAs string
}

// SignupView is the sign-up form.
type SignupView struct {
	layout.Base
	Email  string
	Name   string // the optional display name
	Next   string
	Errors shared.Errors
}

// Param is a hidden form field.
type Param struct{ Name, Value string }

// ConsentView is the consent screen.
type ConsentView struct {
	layout.Base
	// SignIn is set when only identity scopes are asked: "Sign in to App as email".
	SignIn       bool
	AppName      string
	Owner        string
	Initial      string
	UserEmail    string
	SwitchNext   string // the authorization request, to come back to after "Not you?"
	Before       bool   // the user allowed every requested scope before (a public client asks again)
	Scopes       []shared.ScopeOption
	RedirectHost string
	Params       []Param // the authorization request, re-validated when the form comes back
	Action       string  // where the decision is posted: the authorization endpoint
	LogoURL      string
	HomepageURL  string
	PrivacyURL   string
	TermsURL     string

	// OwnerVerified: an admin marked the owner a verified publisher (badge on the page).
	OwnerVerified bool
}

// ErrorView explains a failure to a person.
type ErrorView struct {
	layout.Base
	Status  int
	Heading string
	Message string
	Hint    string // what the application's developer should check
	Code    string // the RFC error code, in small type
	// ContinueURL, when set, is the error response for the application, offered as a link to
	// ContinueHost instead of an automatic redirect (RFC 9700 §4.11.2).
	ContinueURL  string
	ContinueHost string
}
