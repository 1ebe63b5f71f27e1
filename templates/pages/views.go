// Package pages holds one templ component per page, each taking a typed view model defined here.
package pages

import "github.com/devportal/devportal/templates/layout"

// Errors maps a form field name to the message shown beside it.
type Errors map[string]string

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
}

// SignupView is the sign-up form.
type SignupView struct {
	layout.Base
	Email  string
	Next   string
	Errors Errors
}

// ScopeOption is a catalog scope as a checkbox or a consent line.
type ScopeOption struct {
	Name        string
	Description string
	Sensitive   bool
	Checked     bool
	New         bool
	Retired     bool   // no longer in the catalog; an application that holds it keeps it
	Request     string // an administrator's pending or rejected decision on it, for this application
}

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
	Scopes       []ScopeOption
	Errors       Errors
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
	Scopes       []ScopeOption
	CreatedISO   string
	Created      string
	Secrets      []SecretRow
	NewSecret    string // shown once, right after creation or rotation
	Pending      bool   // scope requests wait for an administrator
	Heading      string // the stored name; Name is the form's, which may be a rejected edit

	// The settings form, as stored or as just submitted.
	LogoURL, HomepageURL, PrivacyURL, TermsURL string
	RedirectURIsText                           string // one per line
	AccessTTL, RefreshTTL                      string // "15m", "720h"; empty is the default
	DefaultAccessTTL, DefaultRefreshTTL        string
	Errors                                     Errors

	AllowedOriginsText string   // one per line; empty means DefaultOrigins
	DefaultOrigins     []string // the redirect URIs' origins, shown as the default
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

// Param is a hidden form field.
type Param struct{ Name, Value string }

// ConsentView is the consent screen.
type ConsentView struct {
	layout.Base
	AppName      string
	Owner        string
	Initial      string
	UserEmail    string
	SwitchNext   string // the authorization request, to come back to after "Not you?"
	Before       bool   // the user allowed every requested scope before (a public client asks again)
	Scopes       []ScopeOption
	RedirectHost string
	Params       []Param // the authorization request, re-validated when the form comes back
	Action       string  // where the decision is posted: the authorization endpoint
	LogoURL      string
	HomepageURL  string
	PrivacyURL   string
	TermsURL     string
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

// Endpoint is one protocol endpoint on the docs page.
type Endpoint struct{ Name, Method, URL, Spec string }

// DocsView is the developer documentation page.
type DocsView struct {
	layout.Base
	Issuer      string
	MetadataURL string
	Endpoints   []Endpoint
	Scopes      []ScopeOption
}

// AccountView is the signed-in person's account page.
type AccountView struct {
	layout.Base
	Email      string
	IsAdmin    bool
	CreatedISO string
	Created    string
	Errors     Errors // of the change-password form
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

// AuthorizedAppRow is one application a user approved.
type AuthorizedAppRow struct {
	ClientID, Name        string
	Scopes                []ScopeOption
	GrantedISO, Granted   string
	LastUsedISO, LastUsed string // LastUsedISO is empty when never used
	RevokeURL             string
}

// AuthorizedAppsView lists the applications a user approved.
type AuthorizedAppsView struct {
	layout.Base
	Apps []AuthorizedAppRow
}
