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
		{"clients", "Clients", l.AdminClients},
		{"scopes", "Scopes", l.AdminScopes},
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

	// The client's status as flags, set by the handler from the model's constants so the template
	// holds no status names.
	Active, Suspended, Revoked bool

	// Where the row's actions post, from the route table.
	SuspendURL, ReinstateURL, IntrospectionURL, RevokeURL string
}

// AdminClientsView is the admin list of every client.
type AdminClientsView struct {
	layout.Base
	Query     string
	Status    string
	Clients   []AdminClientRow
	Truncated bool   // more clients match than are shown
	Return    string // this list with its filters, where row actions come back to
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
}

// ScopeRequestRow is a pending request for a sensitive scope.
type ScopeRequestRow struct {
	ClientID, ClientName    string
	Owner                   string
	Scope                   string
	RequestedISO, Requested string
	ApproveURL, RejectURL   string
}

// ScopeForm is the new-scope form, or the edit form of one scope.
type ScopeForm struct {
	Name        string
	Description string
	Sensitive   bool
	Errors      shared.Errors
}

// AdminScopesView is the scope catalog with the pending sensitive-scope requests.
type AdminScopesView struct {
	layout.Base
	Scopes   []AdminScopeRow
	Requests []ScopeRequestRow
	Form     ScopeForm
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
	// Where the row's actions post, from the route table.
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
	Query     string
	Users     []AdminUserRow
	Truncated bool
	Return    string
}

// AuditRow is one audit event.
type AuditRow struct {
	Type, Actor, Target, IP, Detail string
	ISO, Time                       string
}

// AdminAuditView is one page of the audit log, newest first.
type AdminAuditView struct {
	layout.Base
	Actor, Target, Type string
	Types               []string
	Events              []AuditRow
	Paged               bool   // this page starts before the newest event
	OlderURL            string // the next page, when there is one
}

// Filtered reports whether a filter narrows the log.
func (v AdminAuditView) Filtered() bool { return v.Actor != "" || v.Target != "" || v.Type != "" }

// NewestURL is the first page of the log with the same filters.
func (v AdminAuditView) NewestURL() string {
	return AuditURL(v.Links.AdminAudit, v.Actor, v.Target, v.Type, 0)
}

// AuditURL is the audit log at path filtered by actor, target and type, starting before the
// event with id before (0: the newest). Empty filters stay out of the URL so bookmarks read
// cleanly.
func AuditURL(path, actor, target, typ string, before int64) string {
	q := url.Values{}
	for k, v := range map[string]string{"actor": actor, "target": target, "type": typ} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if before > 0 {
		q.Set("before", strconv.FormatInt(before, 10))
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
