// Package shared holds the view parts several areas of pages use: form errors, scope options
// and the confirmation page.
package shared

import "github.com/devportal/devportal/templates/layout"

// Errors maps a form field name to the message shown beside it.
type Errors map[string]string

// ScopeOption is a catalog scope as a checkbox or a consent line.
type ScopeOption struct {
	Name        string
	Description string
	Sensitive   bool
	Checked     bool
	New         bool
	Retired     bool   // no longer in the catalog; an application that holds it keeps it
	Request     string // an administrator's pending or rejected decision on it, for this application
	Standard    bool   // an OpenID Connect scope (openid, profile, email, offline_access)
	API         string // the name of the API it belongs to ("" for none)
}

// ConfirmView asks before a destructive action.
type ConfirmView struct {
	layout.Base
	Heading string
	Message string
	Action  string // where the confirming form posts
	Button  string
	Cancel  string // where "Cancel" leads
}
