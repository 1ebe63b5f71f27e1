package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/pages/admin"
	"github.com/devportal/devportal/templates/pages/apps"
)

// adminPageSize is how many rows one page of an admin list shows.
const adminPageSize = 50

// clientFilter is the clients page's query string: the search, the status and the page.
type clientFilter struct {
	Query  string
	Status string
	Page   models.ListPage
}

func parseClientFilter(c echo.Context) clientFilter {
	f := clientFilter{Query: strings.TrimSpace(c.QueryParam("q")), Status: c.QueryParam("status"), Page: parsePage(c)}
	if !slices.Contains([]string{models.ClientActive, models.ClientSuspended, models.ClientRevoked}, f.Status) {
		f.Status = ""
	}
	return f
}

// parsePage reads an admin list's page from the query string: ?before= or ?after= a cursor
// the list handed out (both: the first one wins).
func parsePage(c echo.Context) models.ListPage {
	p := models.ListPage{Before: c.QueryParam("before"), Limit: adminPageSize}
	if p.Before == "" {
		p.After = c.QueryParam("after")
	}
	return p
}

// values are the filter's search and status as a query string, without the page.
func (f clientFilter) values() url.Values {
	q := url.Values{}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	return q
}

// url is the clients page at list with the filter (and its page) in its query string.
func (f clientFilter) url(list string) string { return pageURL(list, f.values(), f.Page) }

// pageURL is list with query and the page's cursor in its query string.
func pageURL(list string, query url.Values, p models.ListPage) string {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	if p.Before != "" {
		q.Set("before", p.Before)
	} else if p.After != "" {
		q.Set("after", p.After)
	}
	if len(q) == 0 {
		return list
	}
	return list + "?" + q.Encode()
}

// listPager links the pages around page p of a list at list with query, given the cursors
// the store returned. A search is in the key's order (after: later in the alphabet), a list
// newest first (before: older).
func listPager(noun, list string, query url.Values, p models.ListPage, before, after string, search bool) admin.Pager {
	pg := admin.Pager{Noun: noun, Search: search}
	if p.Before != "" || p.After != "" {
		pg.FirstURL = pageURL(list, query, models.ListPage{})
	}
	prev, next := models.ListPage{After: after}, models.ListPage{Before: before}
	if search {
		prev, next = models.ListPage{Before: before}, models.ListPage{After: after}
	}
	if prev.Before != "" || prev.After != "" {
		pg.PrevURL = pageURL(list, query, prev)
	}
	if next.Before != "" || next.After != "" {
		pg.NextURL = pageURL(list, query, next)
	}
	return pg
}

// AdminClients lists clients a page at a time, filtered by the query string.
func (h *Handlers) AdminClients(c echo.Context) error {
	f := parseClientFilter(c)
	if err := models.ValidateSearch(f.Query); err != nil {
		return searchTooLong(err)
	}
	page, err := h.store.ListClients(c.Request().Context(), f.Query, f.Status, f.Page)
	if err != nil {
		return err
	}
	list := h.url(RouteAdminClients)
	v := admin.AdminClientsView{Base: h.base(c, "Clients · Admin", "admin"), Query: f.Query, Status: f.Status, Return: f.url(list)}
	v.Pages = listPager("clients", list, f.values(), f.Page, page.Before, page.After, f.Query != "")
	for _, cl := range page.Rows {
		v.Clients = append(v.Clients, h.adminClientRow(&cl.Client, cl.OwnerEmail))
	}
	return h.render(c, http.StatusOK, admin.AdminClients(v))
}

// adminClientRow is what the list and the client's page show of a client and its actions.
func (h *Handlers) adminClientRow(cl *models.Client, ownerEmail string) admin.AdminClientRow {
	row := admin.AdminClientRow{
		ID: cl.ID, Name: cl.Name, TypeLabel: apps.TypeLabel(string(cl.Type)), Owner: ownerEmail, Status: cl.Status,
		CreatedISO: isoTime(cl.CreatedAt), Created: humanTime(cl.CreatedAt),
		Confidential: cl.Type.Confidential(), CanIntrospect: cl.CanIntrospect,
		Active: cl.Status == models.ClientActive, Suspended: cl.Status == models.ClientSuspended,
		Revoked: cl.Status == models.ClientRevoked, URL: h.url(RouteAdminClient, cl.ID),
		SuspendURL: h.url(RouteSuspendClient, cl.ID), ReinstateURL: h.url(RouteReinstate, cl.ID),
		IntrospectionURL: h.url(RouteIntrospectFlag, cl.ID), RevokeURL: h.url(RouteRevokeClient, cl.ID),
	}
	if cl.OwnerID != nil {
		row.OwnerURL = h.url(RouteAdminUser, strconv.FormatInt(*cl.OwnerID, 10))
	}
	switch {
	case cl.Type == models.ClientMachine:
	case cl.AllowDeviceGrant:
		row.Device = "allowed"
	default:
		row.Device = "off"
	}
	row.MetadataDocument = cl.MetadataDocument
	row.Dynamic = cl.Dynamic
	if cl.Dynamic {
		row.RegistrationNote = registrationNote(cl.RegistrationPolicy)
	}
	return row
}

// clientBack is where an action on client id returns: the list it was started from (with its
// filters) or the client's page.
func (h *Handlers) clientBack(c echo.Context, id string) string {
	return adminReturn(c, h.url(RouteAdminClients), h.url(RouteAdminClient, id))
}

// clientStatusChange is one of the status changes an admin confirms: suspend or reinstate.
type clientStatusChange struct {
	from, to, auditType string
	title, button       string
	danger              bool
	consequence         string // after the client's name, on the confirmation page
	done, refused       string // after the client's name, in the flash
}

var (
	suspendChange = clientStatusChange{
		from: models.ClientActive, to: models.ClientSuspended, auditType: models.AuditClientSuspended,
		title: "Suspend client", button: "Suspend", danger: true,
		consequence: " stops working now: the token endpoint refuses it and every token it holds is refused, until you reinstate it. Nothing is deleted.",
		done:        " was suspended. Its tokens stop working until you reinstate it.",
		refused:     " is not active, so it cannot be suspended.",
	}
	reinstateChange = clientStatusChange{
		from: models.ClientSuspended, to: models.ClientActive, auditType: models.AuditClientReinstated,
		title: "Reinstate client", button: "Reinstate",
		consequence: " works again: its existing tokens are honoured and it may get new ones.",
		done:        " was reinstated. Its existing tokens work again.",
		refused:     " is not suspended, so it cannot be reinstated. A revoked client stays revoked.",
	}
)

func (h *Handlers) statusAction(client *models.Client, ch clientStatusChange, back string) adminAction {
	route := RouteSuspendClient
	if ch.to == models.ClientActive {
		route = RouteReinstate
	}
	return adminAction{
		title: ch.title, heading: ch.button + " " + client.Name + "?", message: client.Name + ch.consequence,
		action: h.url(route, client.ID), button: ch.button, danger: ch.danger, back: back,
	}
}

// ConfirmSuspendClient asks before suspending a client.
func (h *Handlers) ConfirmSuspendClient(c echo.Context) error {
	return h.confirmClientStatus(c, suspendChange)
}

// ConfirmReinstateClient asks before reinstating a suspended client.
func (h *Handlers) ConfirmReinstateClient(c echo.Context) error {
	return h.confirmClientStatus(c, reinstateChange)
}

func (h *Handlers) confirmClientStatus(c echo.Context, ch clientStatusChange) error {
	client, err := h.adminClient(c)
	if err != nil {
		return err
	}
	back := h.clientBack(c, client.ID)
	if client.Status != ch.from {
		h.flash(c, "error", client.Name+ch.refused)
		return seeOther(c, back)
	}
	return h.confirmAction(c, http.StatusOK, h.statusAction(client, ch, back), "", "")
}

// SuspendClient stops a client at once: the token endpoint refuses it with invalid_client and
// the token check refuses every token it holds, until an admin reinstates it.
func (h *Handlers) SuspendClient(c echo.Context) error {
	return h.changeClientStatus(c, suspendChange)
}

// ReinstateClient lets a suspended client work again; a revoked one stays revoked.
func (h *Handlers) ReinstateClient(c echo.Context) error {
	return h.changeClientStatus(c, reinstateChange)
}

func (h *Handlers) changeClientStatus(c echo.Context, ch clientStatusChange) error {
	client, err := h.adminClient(c)
	if err != nil {
		return err
	}
	back := h.clientBack(c, client.ID)
	reason, ok, err := h.actionReason(c, h.statusAction(client, ch, back))
	if !ok {
		return err
	}
	switch err := h.store.ChangeClientStatus(c.Request().Context(), client.ID, ch.from, ch.to); {
	case errors.Is(err, models.ErrClientStatus):
		h.flash(c, "error", client.Name+ch.refused)
		return seeOther(c, back)
	case err != nil:
		return err
	}
	h.audit(c, ch.auditType, client.ID, withReason(client.Name, reason))
	h.flash(c, "success", client.Name+ch.done)
	return seeOther(c, back)
}

// introspectionAction is the confirmation page of allowing (or stopping) a client's
// introspection of every client's tokens.
func (h *Handlers) introspectionAction(client *models.Client, allow bool, back string) adminAction {
	a := adminAction{
		title: "Allow introspection", heading: "Let " + client.Name + " introspect every token?",
		message: client.Name + " becomes a resource server: it may ask the introspection endpoint about tokens issued to any client, and learn their users and scopes.",
		action:  h.url(RouteIntrospectFlag, client.ID), button: "Allow introspection", danger: true, back: back,
		hidden: []admin.Hidden{{Name: "allow", Value: "1"}},
	}
	if !allow {
		a.title, a.heading, a.button, a.danger = "Stop introspection", "Stop "+client.Name+" introspecting other clients' tokens?", "Stop introspection", false
		a.message = client.Name + " may then introspect only its own tokens; a resource server relying on it stops recognising other clients' tokens."
		a.hidden = []admin.Hidden{{Name: "allow", Value: "0"}}
	}
	return a
}

// ConfirmIntrospection asks before making a client a resource server (allow=1) or taking
// that away (allow=0).
func (h *Handlers) ConfirmIntrospection(c echo.Context) error {
	client, err := h.adminClient(c)
	if err != nil {
		return err
	}
	back := h.clientBack(c, client.ID)
	if !client.Type.Confidential() || client.Status == models.ClientRevoked {
		h.flash(c, "error", client.Name+" cannot authenticate or is revoked, so it cannot introspect.")
		return seeOther(c, back)
	}
	return h.confirmAction(c, http.StatusOK, h.introspectionAction(client, c.FormValue("allow") == "1", back), "", "")
}

// SetIntrospection makes a confidential client a resource server that may introspect any token
// (allow=1), or takes that away (allow=0).
func (h *Handlers) SetIntrospection(c echo.Context) error {
	client, err := h.adminClient(c)
	if err != nil {
		return err
	}
	allow := c.FormValue("allow") == "1"
	back := h.clientBack(c, client.ID)
	reason, ok, err := h.actionReason(c, h.introspectionAction(client, allow, back))
	if !ok {
		return err
	}
	switch err := h.store.SetClientIntrospection(c.Request().Context(), client.ID, allow); {
	case errors.Is(err, models.ErrNotFound):
		h.flash(c, "error", client.Name+" is a public client: it cannot authenticate, so it cannot introspect.")
		return seeOther(c, back)
	case err != nil:
		return err
	}
	if allow {
		h.audit(c, models.AuditIntrospectOn, client.ID, withReason(client.Name, reason))
		h.flash(c, "success", client.Name+" may now introspect tokens of every client.")
	} else {
		h.audit(c, models.AuditIntrospectOff, client.ID, withReason(client.Name, reason))
		h.flash(c, "success", client.Name+" may now introspect only its own tokens.")
	}
	return seeOther(c, back)
}

func (h *Handlers) revokeAction(client *models.Client, back string) adminAction {
	return adminAction{
		title: "Revoke client", heading: "Revoke " + client.Name + " permanently?",
		message: "Client " + client.ID + " stops working now: its secrets, grants and tokens all end, and users will have to be asked again by a new application. A revoked client cannot be reinstated; suspend it instead if you may want it back.",
		action:  h.url(RouteRevokeClient, client.ID), button: "Revoke", danger: true, back: back,
	}
}

// ConfirmRevokeClient asks before revoking a client for good.
func (h *Handlers) ConfirmRevokeClient(c echo.Context) error {
	client, err := h.revocableClient(c)
	if client == nil {
		return err
	}
	return h.confirmAction(c, http.StatusOK, h.revokeAction(client, h.clientBack(c, client.ID)), "", "")
}

// RevokeClient ends a client for good with all its grants and tokens.
func (h *Handlers) RevokeClient(c echo.Context) error {
	client, err := h.revocableClient(c)
	if client == nil {
		return err
	}
	back := h.clientBack(c, client.ID)
	reason, ok, err := h.actionReason(c, h.revokeAction(client, back))
	if !ok {
		return err
	}
	if err := h.store.RevokeClient(c.Request().Context(), client.ID); err != nil {
		return err
	}
	h.audit(c, models.AuditClientRevoked, client.ID, withReason(client.Name, reason))
	h.flash(c, "success", client.Name+" was revoked. Its grants and tokens have ended.")
	return seeOther(c, back)
}

// revocableClient loads the client named in the path unless it is revoked already, in which
// case it answers for the handler (a flash and back to the list) and returns a nil client.
func (h *Handlers) revocableClient(c echo.Context) (*models.Client, error) {
	client, err := h.adminClient(c)
	if err != nil {
		return nil, err
	}
	if client.Status == models.ClientRevoked {
		h.flash(c, "info", client.Name+" is already revoked.")
		return nil, seeOther(c, h.url(RouteAdminClients))
	}
	return client, nil
}

// adminClient loads the client named in the path.
func (h *Handlers) adminClient(c echo.Context) (*models.Client, error) {
	client, err := h.store.ClientByID(c.Request().Context(), pathParam(c, "id"))
	if err != nil {
		return nil, models.Reword(err, models.ErrNotFound, "There is no client with that id.")
	}
	return client, nil
}

// searchTooLong refuses an admin search over models.MaxSearchLength with a page saying so.
func searchTooLong(err error) error {
	return tooLong(err, "Shorten the search and try again.")
}

// tooLong words a *models.TooLongError for people, with what to do about it; web's table
// gives it its status.
func tooLong(err error, advice string) error {
	var te *models.TooLongError
	if !errors.As(err, &te) {
		return err
	}
	return models.ErrTooLong.Describe(fmt.Sprintf("%s may be at most %d characters. %s", oauth.Capitalize(te.Field), te.Max, advice))
}

// adminReturn is where a row action sends the admin back to: the list it was pressed on, with
// its filters, or one of pages (the thing's own page), when the form or query says so; the
// list otherwise. Nothing else is a place to return to, so the parameter cannot redirect away.
func adminReturn(c echo.Context, list string, pages ...string) string {
	to := safeNext(c.FormValue("return"))
	if to == list || strings.HasPrefix(to, list+"?") || (to != "" && slices.Contains(pages, to)) {
		return to
	}
	return list
}
