// Package auth holds the pages of signing in and of authorizing an application: home, log-in,
// sign-up, consent and the error page, each taking a view model defined here.
package auth

import (
	"hash/fnv"
	"strconv"
	"strings"
	"unicode"

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
	SignIn   bool
	ClientID string // picks the colour of the initial, the same for an application every time
	AppName  string
	Owner    string
	Initial  string // shown when there is no logo, or the logo does not load (see Initial)
	// Public: a client without a secret (native, single-page), which cannot prove it is the
	// application the user allowed before.
	Public     bool
	UserEmail  string
	SwitchNext string // the authorization request, to come back to after "Not you?"
	Before     bool   // the user allowed every requested scope before (a public client, or prompt=consent, asks again)
	// Additional: the user allowed this application something before and it now asks for more;
	// Scopes then lists only what is new, and Granted what the user already allowed.
	Additional   bool
	Scopes       []shared.ScopeOption
	Granted      []shared.ScopeOption
	RedirectHost string
	Params       []Param // the authorization request, re-validated when the form comes back
	Action       string  // where the decision is posted: the authorization endpoint
	LogoURL      string
	HomepageURL  string
	PrivacyURL   string
	TermsURL     string

	// OwnerVerified: an admin marked the owner a verified publisher (badge on the page).
	OwnerVerified bool

	// Device: the request comes from a device sign-in (RFC 8628), which redirects nowhere; the
	// page warns instead that only the user's own device should get access (§5.4).
	Device bool
	// MetadataHost is set for a client identified by its metadata document's URL: that URL's
	// host, shown in place of the publisher, with a notice that the application is not
	// registered with PortalName (the operator's brand).
	MetadataHost, PortalName string
	// SelfRegistered is set for a client that registered itself (RFC 7591): anyone could have
	// chosen its name and logo, so the page says nobody here vouches for them.
	SelfRegistered bool
	// APIName is the API the request named as its resource (RFC 8707): the only one its tokens
	// will work at.
	APIName string
}

// Initial is the letter that stands for an application without a logo: the first letter or
// digit of its name, upper-cased ("?" when the name has none).
func Initial(name string) string {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return strings.ToUpper(string(r))
		}
	}
	return "?"
}

// logoColours is how many background colours an initial can have: app.css defines
// .logo-colour-0 to .logo-colour-7, each dark enough for white text (WCAG AA, 4.5:1).
const logoColours = 8

// logoColourClass picks an initial's colour from the client id, so an application looks the
// same on every visit and two applications with the same initial usually differ. The CSP
// forbids inline styles, hence a class per colour.
func logoColourClass(clientID string) string {
	h := fnv.New32a()
	h.Write([]byte(clientID))
	return "logo-colour-" + strconv.Itoa(int(h.Sum32()%logoColours))
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
