package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/pages/admin"
)

// Every list of the overview and the detail pages is bounded: the newest few, on an index (see
// the store methods and migration 0018), so a page costs the same with a million rows.
const (
	overviewRequests   = 5  // pending scope requests on the overview
	overviewEvents     = 10 // recent security events on the overview
	detailAuditEvents  = 20 // audit entries on a client's or user's page
	detailStatusEvents = 20 // a client's status history
	detailClientEvents = 20 // a client's recent protocol events
	detailApps         = 50 // apps owned, apps authorized
)

// AdminHome is the admin overview: counts, the pending scope requests and the recent security
// events.
func (h *Handlers) AdminHome(c echo.Context) error {
	ctx := c.Request().Context()
	// Counts stop at models.CountCap, each on an index (users' primary key, clients by status,
	// scope requests by status), so this page never counts a million rows.
	counts, err := h.store.AdminCounts(ctx)
	if err != nil {
		return err
	}
	requests, err := h.store.FirstPendingScopeRequests(ctx, overviewRequests+1)
	if err != nil {
		return err
	}
	events, err := h.store.SecurityEvents(ctx, overviewEvents)
	if err != nil {
		return err
	}
	clients := h.url(RouteAdminClients)
	v := admin.OverviewView{
		Base:  h.base(c, "Overview · Admin", "admin"),
		Users: countText(counts.Users), Active: countText(counts.Active), Suspended: countText(counts.Suspended),
		Revoked: countText(counts.Revoked), Pending: countText(counts.PendingScopeRequests),
		ActiveURL:    clients + "?" + url.Values{"status": {models.ClientActive}}.Encode(),
		SuspendedURL: clients + "?" + url.Values{"status": {models.ClientSuspended}}.Encode(),
		RevokedURL:   clients + "?" + url.Values{"status": {models.ClientRevoked}}.Encode(),
	}
	if len(requests) > overviewRequests {
		requests, v.MoreRequests = requests[:overviewRequests], true
	}
	for _, r := range requests {
		v.Requests = append(v.Requests, h.scopeRequestRow(r))
	}
	if v.Events, err = h.auditRows(ctx, events); err != nil {
		return err
	}
	return h.render(c, http.StatusOK, admin.Overview(v))
}

// countText writes a capped count for people: "1,234", or "more than 10,000" past the cap.
func countText(n models.Count) string {
	s := strconv.FormatInt(n.N, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if n.More {
		return "more than " + s
	}
	return s
}

// auditRows words audit events for the admin tables: a client target gets its name and page,
// a user actor their page.
func (h *Handlers) auditRows(ctx context.Context, events []models.AuditEvent) ([]admin.AuditRow, error) {
	targets := make([]string, 0, len(events))
	for _, e := range events {
		targets = append(targets, e.Target)
	}
	names, err := h.store.ClientNames(ctx, targets)
	if err != nil {
		return nil, err
	}
	rows := make([]admin.AuditRow, 0, len(events))
	for _, e := range events {
		row := admin.AuditRow{
			Type: e.Type, Actor: e.Actor, Target: e.Target, IP: e.IP, Detail: e.Detail,
			ISO: isoTime(e.CreatedAt), Time: humanTime(e.CreatedAt),
		}
		if e.ActorID != nil {
			row.ActorURL = h.url(RouteAdminUser, strconv.FormatInt(*e.ActorID, 10))
		}
		if name, ok := names[e.Target]; ok {
			row.TargetName, row.TargetURL = name, h.url(RouteAdminClient, e.Target)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// AdminClient shows everything about one client: owner, type, status and its history,
// secrets, grants, recent activity, audit entries and the actions.
func (h *Handlers) AdminClient(c echo.Context) error {
	client, err := h.adminClient(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.store.LoadRegistration(ctx, client); err != nil {
		return err
	}
	owner := ""
	if client.OwnerID != nil {
		u, err := h.store.UserByID(ctx, *client.OwnerID)
		if err != nil {
			return err
		}
		owner = u.Email
	}
	v := admin.AdminClientView{
		Base:   h.base(c, client.Name+" · Admin", "admin"),
		Client: h.adminClientRow(client, owner), Scopes: client.Scopes, Return: h.url(RouteAdminClient, client.ID),
	}
	grants, err := h.store.ActiveGrantCount(ctx, client.ID)
	if err != nil {
		return err
	}
	v.Grants = countText(grants)
	history, err := h.store.ClientStatusHistory(ctx, client.ID, detailStatusEvents)
	if err != nil {
		return err
	}
	if v.History, err = h.auditRows(ctx, history); err != nil {
		return err
	}
	for _, s := range client.Secrets {
		row := admin.SecretRow{Hint: s.Hint, CreatedISO: isoTime(s.CreatedAt), Created: humanTime(s.CreatedAt)}
		if s.LastUsedAt != nil {
			row.LastUsedISO, row.LastUsed = isoTime(*s.LastUsedAt), humanTime(*s.LastUsedAt)
		}
		if s.ExpiresAt != nil {
			row.ExpiresISO, row.Expires = isoTime(*s.ExpiresAt), humanTime(*s.ExpiresAt)
		}
		v.Secrets = append(v.Secrets, row)
	}
	events, err := h.store.ClientEvents(ctx, client.ID, detailClientEvents)
	if err != nil {
		return err
	}
	for _, e := range events {
		k, ok := eventKinds[e.Kind]
		if !ok {
			k.label = e.Kind
		}
		row := admin.ClientEventRow{Kind: k.label, GrantType: e.GrantType, Detail: k.detail, ISO: isoTime(e.CreatedAt), Time: humanTime(e.CreatedAt)}
		if e.Kind == models.EventFailure {
			row.ErrorCode, row.Detail = e.ErrorCode, e.Detail
		}
		v.Events = append(v.Events, row)
	}
	audit, err := h.store.AuditAbout(ctx, client.ID, detailAuditEvents)
	if err != nil {
		return err
	}
	if v.Audit, err = h.auditRows(ctx, audit); err != nil {
		return err
	}
	return h.render(c, http.StatusOK, admin.AdminClient(v))
}

// AdminUser shows everything about one user: account state, second factors, apps owned and
// authorized, sessions, audit entries and the actions.
func (h *Handlers) AdminUser(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	totp, err := h.store.TOTPStatus(ctx, u.ID)
	if err != nil {
		return err
	}
	v := admin.AdminUserView{
		Base: h.base(c, u.Email+" · Admin", "admin"),
		User: h.adminUserRow(u, CurrentUser(c).ID, totp.Enabled), Name: u.DisplayName,
		Return: h.url(RouteAdminUser, strconv.FormatInt(u.ID, 10)),
	}
	if u.EmailVerifiedAt != nil {
		v.VerifiedISO, v.Verified = isoTime(*u.EmailVerifiedAt), humanTime(*u.EmailVerifiedAt)
	}
	if v.Passkeys, err = h.store.PasskeyCount(ctx, u.ID); err != nil {
		return err
	}
	owned, err := h.store.OwnedClients(ctx, u.ID, detailApps)
	if err != nil {
		return err
	}
	for _, cl := range owned {
		v.Owned = append(v.Owned, admin.OwnedAppRow{ID: cl.ID, Name: cl.Name, URL: h.url(RouteAdminClient, cl.ID), Status: cl.Status,
			ISO: isoTime(cl.CreatedAt), Time: humanTime(cl.CreatedAt)})
	}
	consents, err := h.store.UserConsents(ctx, u.ID, detailApps)
	if err != nil {
		return err
	}
	for _, a := range consents {
		v.Authorized = append(v.Authorized, admin.OwnedAppRow{ID: a.ClientID, Name: a.ClientName, URL: h.url(RouteAdminClient, a.ClientID),
			Scope: strings.Join(a.Scope, " "), ISO: isoTime(a.CreatedAt), Time: humanTime(a.CreatedAt)})
	}
	// UserSessions stops at 100, most recently active first.
	sessions, err := h.store.UserSessions(ctx, u.ID, time.Now())
	if err != nil {
		return err
	}
	v.Sessions = fmt.Sprintf("%d live", len(sessions))
	if len(sessions) >= 100 {
		v.Sessions = fmt.Sprintf("%d or more live", len(sessions))
	}
	if len(sessions) > 0 {
		v.LastSeenISO, v.LastSeen = isoTime(sessions[0].LastSeenAt), humanTime(sessions[0].LastSeenAt)
	}
	audit, err := h.store.AuditOfUser(ctx, u.ID, u.Email, detailAuditEvents)
	if err != nil {
		return err
	}
	if v.Audit, err = h.auditRows(ctx, audit); err != nil {
		return err
	}
	return h.render(c, http.StatusOK, admin.AdminUser(v))
}
