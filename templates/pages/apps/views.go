// Package apps holds a developer's application pages: the list, the forms, the application page,
// its secrets and its activity chart, each taking a view model defined here.
package apps

import (
	"github.com/devportal/devportal/templates/layout"
	"github.com/devportal/devportal/templates/pages/shared"
)

// AppRow is one application in the developer's list.
type AppRow struct {
	ID, Name, TypeLabel, Status string
	CreatedISO, Created         string
	Pending                     bool // it has scope requests waiting for an administrator
	URL                         string
}

// AppsView is the developer's application list.
type AppsView struct {
	layout.Base
	Apps []AppRow
}

// AppTypeOption is one choice of application type.
type AppTypeOption struct {
	Value, Label, Hint string
}

// AppTypes are the three kinds of application, in the order the form offers them.
var AppTypes = []AppTypeOption{
	{"web", "Web application", "A server keeps the secret; users sign in with the authorization code flow."},
	{"native", "Native or single-page application", "No secret: runs on the user's device or in the browser, uses PKCE."},
	{"machine", "Machine-to-machine", "Your service calls the API as itself with client credentials."},
}

// TypeLabel names a client type for people.
func TypeLabel(t string) string {
	for _, o := range AppTypes {
		if o.Value == t {
			return o.Label
		}
	}
	return t
}

// AppFormView is the new-application form.
type AppFormView struct {
	layout.Base
	Name         string
	Type         string
	RedirectURIs string
	Scopes       []shared.ScopeOption
	Errors       shared.Errors
}

// SecretRow is one client secret, described without its value.
type SecretRow struct {
	ID                    int64
	Hint                  string
	CreatedISO, Created   string
	LastUsedISO, LastUsed string // LastUsedISO is empty when it was never used
	ExpiresISO, Expires   string // empty when it works until retired
	Expired               bool
	RetireURL             string
}

// AppLinks are the pages of one application, from the route table.
type AppLinks struct{ Overview, Activity, Rotate, Delete string }

// AppView is the application page.
type AppView struct {
	layout.Base
	URLs         AppLinks
	ID           string
	Name         string
	Type         string
	Status       string
	Confidential bool
	RedirectURIs []string
	Scopes       []shared.ScopeOption
	CreatedISO   string
	Created      string
	Secrets      []SecretRow
	NewSecret    string // shown once, right after creation or rotation
	Pending      bool   // scope requests wait for an administrator
	Heading      string // the stored name; Name is the form's, which may be a rejected edit

	// The settings form, as stored or as just submitted.
	LogoURL, HomepageURL, PrivacyURL, TermsURL string
	RedirectURIsText                           string // one per line
	// The lifetimes as a count of a unit ("15", "minutes"); an empty count is the default.
	AccessTTL, AccessTTLUnit   string
	RefreshTTL, RefreshTTLUnit string
	// The deployment defaults and the ranges, in words ("15 minutes", "1 minute and 1 day").
	DefaultAccessTTL, DefaultRefreshTTL string
	AccessRange, RefreshRange           string
	Errors                              shared.Errors

	AllowedOriginsText string   // one per line; empty means DefaultOrigins
	DefaultOrigins     []string // the redirect URIs' origins, shown as the default

	PostLogoutURIsText string // one per line
	SigningAlg         string // "" is RS256
	SigningAlgs        []AlgOption
	OpenID             *OpenIDPanel // nil for machine applications

	// AllowDevice: the application may use the device authorization grant; DeviceURL is where
	// its users enter codes.
	AllowDevice bool
	DeviceURL   string
}

// AlgOption is one choice of ID Token signing algorithm.
type AlgOption struct{ Value, Label string }

// OpenIDPanel tells a developer how to sign people in with the application.
type OpenIDPanel struct {
	Issuer       string
	DiscoveryURL string   // shown, not linked
	Scopes       []string // openid, and the other standard scopes the application holds
	Enabled      bool     // the application holds openid
}

// KeepOption is one choice of how long the current secrets keep working after a rotation.
type KeepOption struct {
	Value, Label string
	Selected     bool
}

// RotateView asks before a new secret is made, and what becomes of the current ones.
type RotateView struct {
	layout.Base
	URLs      AppLinks
	ID, Name  string
	Options   []KeepOption
	AtLimit   bool // two secrets work already: only "now" can succeed
	MaxActive int
}

// AppTab is the application header shared by its pages: who it is and which tab is open.
type AppTab struct {
	ID, Name, Type, Status string
	CreatedISO, Created    string
	Pending                bool
	Current                string // "overview" or "activity"
	URLs                   AppLinks
}

// EventRow is one entry of an application's activity timeline.
type EventRow struct {
	Kind, KindLabel     string
	GrantType           string
	CreatedISO, Created string
	ErrorCode, Detail   string // failures only
}

// ActivityView is an application's activity: the 30-day chart and the latest events.
type ActivityView struct {
	layout.Base
	App    AppTab
	Days   []ChartDay // oldest first
	Chart  Chart
	Events []EventRow
}
