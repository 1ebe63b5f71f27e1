// Package layout holds the page frames every page is drawn in.
package layout

// Base is what every page needs besides its own content.
type Base struct {
	Title   string
	User    *User // nil when signed out
	CSRF    string
	Flashes []Flash
	Nav     string // which top-bar entry is current: "apps", "docs", "account", "admin"
	Version string
	Brand   Brand
	Links   Links
}

// Brand is the operator's branding (DEVPORTAL_BRAND_*).
type Brand struct {
	Name    string // the product name, in the top bar, every <title> and the mails
	LogoURL string // shown before the name; "": none
	CSS     string // the stylesheet of the accent colour; "": the built-in one
	Color   string // the accent as #rrggbb, for mails (which ignore stylesheets); "": built-in
}

// Links are the portal's fixed destinations, which handlers build from the route table so that
// no page spells a path.
type Links struct {
	Home, Login, Signup, Logout                       string
	Docs, Guide, APIReference, OAuthReference         string
	OpenAPI                                           string // the OpenAPI document itself
	OIDCGuide                                         string // "Sign in with devportal"
	Apps, NewApp                                      string
	Account, AuthorizedApps, ChangePassword, Security string
	SignOutEverywhere                                 string
	AdminClients, AdminScopes, AdminUsers, AdminAudit string
	ForgotPassword                                    string
	AdminOverview                                     string // the admin console's first page, /admin
	AdminAPIs                                         string // the APIs (resource servers)
	AdminClientHosts                                  string // hosts whose client metadata documents are blocked

	// AdminRegistrationTokens is the initial access tokens page (dynamic client registration).
	AdminRegistrationTokens string
}

// User is the signed-in person as the frame shows them.
type User struct {
	Email   string
	IsAdmin bool
}

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind string // "success", "error" or "info"
	Text string
}

func current(b Base, nav string) string {
	if b.Nav == nav {
		return "page"
	}
	return ""
}

// brandName is the product name the frame shows: the operator's, or devportal's own.
func brandName(b Base) string {
	if b.Brand.Name == "" {
		return "devportal"
	}
	return b.Brand.Name
}

// footerText is the footer's line: the product, and the devportal version it runs.
func footerText(b Base) string {
	if name := brandName(b); name != "devportal" {
		return name + " · devportal " + b.Version
	}
	return "devportal " + b.Version
}
