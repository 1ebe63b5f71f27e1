package auth

import "github.com/devportal/devportal/templates/layout"

// FormPostView is the OAuth 2.0 Form Post Response Mode page: a form that carries the
// authorization response to the client's redirect URI.
type FormPostView struct {
	Action string // the redirect URI
	Host   string // its host, named on the button
	Params []Param
}

// SelectAccountView asks which account to continue with (prompt=select_account).
type SelectAccountView struct {
	layout.Base
	AppName     string
	UserEmail   string
	ContinueURL string // the authorization request, continued as the signed-in user
	SwitchNext  string // the authorization request, to come back to after signing in as someone else
}

// LogoutView asks the user to confirm signing out (RP-Initiated Logout §2), or says they are out.
type LogoutView struct {
	layout.Base
	AppName   string // the application asking, "" when unknown
	UserEmail string // the signed-in user, "" once signed out
	Params    []Param
	Action    string // where the confirmation posts: the logout endpoint
	// ReturnHost names where the browser goes afterwards, "" for nowhere.
	ReturnHost string
	ReturnURL  string // on the signed-out page: a link back to the application
}
