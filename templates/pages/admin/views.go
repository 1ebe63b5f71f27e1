// Package admin holds the admin console's pages: clients, scopes, users and the audit log, each
// taking a view model defined here.
package admin

import (
	"net/url"
	"strconv"

	"github.com/devportal/devportal/templates/layout"
	"github.com/devportal/devportal/templates/pages/shared"
)

// AdminSection is one entry of the admin console's sub-navigation.
type AdminSection struct{ Key, Label, Href string }

// AdminSections are the admin console's pages, in the order the sub-navigation shows them.
func AdminSections(l layout.Links) []AdminSection {
	return []AdminSection{
		{"overview", "Overview", l.AdminOverview},
		{"clients", "Clients", l.AdminClients},
		{"apis", "APIs", l.AdminAPIs},
		{"scopes", "Scopes", l.AdminScopes},
		{"registration-tokens", "Registration tokens", l.AdminRegistrationTokens},
		{"client-hosts", "Client hosts", l.AdminClientHosts},
		{"users", "Users", l.AdminUsers},
		{"audit", "Audit log", l.AdminAudit},
	}
}

// ClientStatusOption is one choice of the clients page's status filter.
type ClientStatusOption struct{ Value, Label string }

// ClientStatusOptions are the status filter's choices; the empty value means any status.
var ClientStatusOptions = []ClientStatusOption{
	{"", "Any status"},
	{"active", "Active"},
	{"suspended", "Suspended"},
	{"revoked", "Revoked"},
}

// AdminClientRow is one client in the admin list.
type AdminClientRow struct {
	ID, Name, TypeLabel string
	Owner               string // the owner's email; empty for a client created from the CLI
	Status              string
	CreatedISO, Created string
	Confidential        bool // may be made a resource server
	CanIntrospect       bool // is one
	// MetadataDocument: not registered here, identified by its client ID metadata document's URL.
	MetadataDocument bool

	// The client's status as flags, set by the handler from the model's constants so the template
	// holds no status names.
	Active, Suspended, Revoked bool

	// The client's page, and the confirmation pages of the row's actions, from the route table.
	URL                                                   string
	SuspendURL, ReinstateURL, IntrospectionURL, RevokeURL string
	OwnerURL                                              string // the owner's page, when there is an owner

	// Device: "allowed" or "off" for a client that signs users in, whether its developer turned
	// on the device authorization grant (RFC 8628); "" for a machine client.
	Device string
	// Dynamic marks a client that registered itself (RFC 7591); RegistrationNote says under
	// which policy, on its page.
	Dynamic          bool
	RegistrationNote string
}

// AdminClientsView is the admin list of every client.
type AdminClientsView struct {
	layout.Base
	Query   string
	Status  string
	Clients []AdminClientRow
	Pages   Pager
	Return  string // this list with its filters and page, where row actions come back to
}

// Filtered reports whether a search or filter narrows the list.
func (v AdminClientsView) Filtered() bool { return v.Query != "" || v.Status != "" }

// AdminScopeRow is one catalog scope in the admin list.
type AdminScopeRow struct {
	Name, Description  string
	Sensitive, Retired bool
	Standard           bool   // an OpenID Connect scope: never retired, its description still editable
	RetiredAt          string // when it was retired, for people
	EditURL, RetireURL string
	API                string // the name of its API; "" for an OpenID Connect scope
}

// ScopeRequestRow is a pending request for a sensitive scope.
type ScopeRequestRow struct {
	ClientID, ClientName    string
	Owner                   string
	Scope                   string
	RequestedISO, Requested string
	ApproveURL, RejectURL   string // their confirmation pages
	ClientURL               string // the client's admin page
}

// ScopeForm is the new-scope form, or the edit form of one scope.
type ScopeForm struct {
	Name        string
	Description string
	Sensitive   bool
	// APIID is the chosen API (its id, as the select sends it); APIs the choices, empty for an
	// OpenID Connect scope, which belongs to none.
	APIID  string
	APIs   []APIOption
	Errors shared.Errors
}

// APIOption is one choice of the scope form's API select.
type APIOption struct{ Value, Label string }

// AdminScopesView is the scope catalog with the pending sensitive-scope requests.
type AdminScopesView struct {
	layout.Base
	Scopes   []AdminScopeRow
	Requests []ScopeRequestRow
	// LaterURL is the next page of the queue (empty on its last); FirstURL its first page
	// (empty on it).
	LaterURL, FirstURL string
	Form               ScopeForm
}

// AdminScopeView is the edit page of one scope.
type AdminScopeView struct {
	layout.Base
	Retired  bool
	Standard bool // an OpenID Connect scope
	Form     ScopeForm
	SaveURL  string // where the form posts
}

// AdminUserRow is one user in the admin list.
type AdminUserRow struct {
	ID                      string
	Email                   string
	IsAdmin, Disabled, Self bool
	CreatedISO, Created     string
	// The user's page, and the confirmation pages of the row's actions, from the route table.
	URL                                                  string
	EnableURL, DisableURL, GrantAdminURL, RemoveAdminURL string
	// TwoFactor: the user has an authenticator app turned on; ResetTwoFactorURL is the
	// confirmation page that removes it.
	TwoFactor         bool
	ResetTwoFactorURL string
	// Mailed links and publisher verification (issue #11); each URL opens a confirmation page.
	EmailVerified, VerifiedPublisher                                  bool
	SendResetURL, UnlockURL, VerifyPublisherURL, UnverifyPublisherURL string
}

// AdminUsersView is the admin list of users.
type AdminUsersView struct {
	layout.Base
	Query  string
	Users  []AdminUserRow
	Pages  Pager
	Return string
}

// AuditRow is one audit event.
type AuditRow struct {
	Type, Actor, Target, IP, Detail string
	ISO, Time                       string
	ActorURL                        string // the admin page of the acting user, when a user acted
	TargetName, TargetURL           string // the client's name and admin page, when the target is a client
}

// AdminAuditView is one page of the audit log, newest first.
type AdminAuditView struct {
	layout.Base
	Actor, Target, Type string
	Types               []string
	Events              []AuditRow
	Paged               bool   // this page does not start at the newest event
	NewerURL, OlderURL  string // the pages around this one, when there are
}

// Filtered reports whether a filter narrows the log.
func (v AdminAuditView) Filtered() bool { return v.Actor != "" || v.Target != "" || v.Type != "" }

// NewestURL is the first page of the log with the same filters.
func (v AdminAuditView) NewestURL() string {
	return AuditURL(v.Links.AdminAudit, v.Actor, v.Target, v.Type, 0, 0)
}

// AuditURL is the audit log at path filtered by actor, target and type, starting before the
// event with id before, or after the event with id after (0, 0: the newest). Empty filters stay
// out of the URL so bookmarks read cleanly.
func AuditURL(path, actor, target, typ string, before, after int64) string {
	q := url.Values{}
	for k, v := range map[string]string{"actor": actor, "target": target, "type": typ} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if before > 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	if after > 0 {
		q.Set("after", strconv.FormatInt(after, 10))
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// auditLink is the audit log at path filtered by one field, for the actor and target cells.
func auditLink(path, field, value string) string {
	return path + "?" + url.Values{field: {value}}.Encode()
}

// Hidden is a hidden field a confirmation form posts along.
type Hidden struct{ Name, Value string }

// ConfirmView asks an administrator before an action, with an optional reason that the audit
// log keeps with the entry.
type ConfirmView struct {
	layout.Base
	Heading     string
	Message     string // the consequence, in one sentence
	Action      string // where the confirming form posts
	Button      string // the same words as the button that led here
	Danger      bool   // destructive: a red button
	Cancel      string // where "Cancel" leads, and where the action returns
	Hidden      []Hidden
	Reason      string // what the admin typed, kept when the page is shown again
	ReasonError string
	ReasonMax   int
}

// ReturnTo is url with the page to come back to in its return parameter, for row actions that
// open a confirmation page.
func ReturnTo(to, back string) string {
	if back == "" {
		return to
	}
	return to + "?" + url.Values{"return": {back}}.Encode()
}

// OverviewView is the admin console's first page.
type OverviewView struct {
	layout.Base
	Users, Active, Suspended, Revoked, Pending string // counts, "more than 10,000" past the cap
	ActiveURL, SuspendedURL, RevokedURL        string
	Requests                                   []ScopeRequestRow
	MoreRequests                               bool
	Events                                     []AuditRow
}

// SecretRow is one unretired secret of a client.
type SecretRow struct {
	Hint                  string
	CreatedISO, Created   string
	LastUsedISO, LastUsed string // empty: never used
	ExpiresISO, Expires   string // empty: does not expire
}

// ClientEventRow is one protocol event of a client.
type ClientEventRow struct {
	Kind, GrantType, ErrorCode, Detail string
	ISO, Time                          string
}

// AdminClientView is everything about one client.
type AdminClientView struct {
	layout.Base
	Client  AdminClientRow
	Scopes  []string
	Grants  string // active grants, counted up to a cap
	History []AuditRow
	Secrets []SecretRow
	Events  []ClientEventRow
	Audit   []AuditRow
	Return  string // this page, where its actions come back to
}

// OwnedAppRow is an application a user owns, or one they authorized.
type OwnedAppRow struct {
	ID, Name, URL, Status string
	Scope                 string
	ISO, Time             string
}

// AdminUserView is everything about one user.
type AdminUserView struct {
	layout.Base
	User                  AdminUserRow
	Name                  string
	VerifiedISO, Verified string
	Passkeys              int64
	Owned, Authorized     []OwnedAppRow
	Sessions              string
	LastSeenISO, LastSeen string
	Audit                 []AuditRow
	Return                string
}

// SecondFactors says which second factors the user has, for people.
func (v AdminUserView) SecondFactors() string {
	app := "authenticator app off"
	if v.User.TwoFactor {
		app = "authenticator app on"
	}
	keys := strconv.FormatInt(v.Passkeys, 10) + " passkeys"
	if v.Passkeys == 1 {
		keys = "1 passkey"
	}
	return app + ", " + keys
}

// Pager links the pages around one page of an admin list: newer and older ones for a list
// newest first, earlier and later ones in the alphabet for a search.
type Pager struct {
	Noun             string // what the list holds: "clients"
	Search           bool   // the list is in the order of the search key, not newest first
	FirstURL         string // the first page, when this is not it
	PrevURL, NextURL string // the pages before and after this one, when there are
}

// Shown reports whether there is another page to link to.
func (p Pager) Shown() bool { return p.FirstURL != "" || p.PrevURL != "" || p.NextURL != "" }

// Texts are the words of the first, previous and next links.
func (p Pager) Texts() (first, prev, next string) {
	if p.Search {
		return "First matches", "Previous " + p.Noun, "Next " + p.Noun
	}
	return "Newest " + p.Noun, "Newer " + p.Noun, "Older " + p.Noun
}

// APIForm is the new-API form, or the edit form of one API, as typed.
type APIForm struct {
	Name, Identifier, Description, DocsURL string
	AccessTTL                              string // seconds, "" for the server's default
	Errors                                 shared.Errors
}

// AdminAPIRow is one API in the admin list.
type AdminAPIRow struct {
	Name, Identifier   string
	Scopes             []string
	Lifetime           string // for people: "15 minutes (default)"
	EditURL, DeleteURL string
}

// AdminAPIsView is the list of APIs with the new-API form.
type AdminAPIsView struct {
	layout.Base
	APIs      []AdminAPIRow
	Form      APIForm
	CreateURL string
}

// AdminAPIView is the edit page of one API.
type AdminAPIView struct {
	layout.Base
	Form        APIForm
	SaveURL     string
	MetadataURL string // its RFC 9728 document, when the portal serves one
}
