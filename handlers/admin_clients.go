package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/pages/admin"
	"github.com/devportal/devportal/templates/pages/apps"
	"github.com/devportal/devportal/templates/pages/shared"
)

// adminListLimit is how many rows an admin list shows before asking for a narrower search.
const adminListLimit = 200

// AdminHome sends /admin to the first page of the console.
func (h *Handlers) AdminHome(c echo.Context) error {
	return c.Redirect(http.StatusFound, h.url(RouteAdminClients))
}

// clientFilter is the clients page's query string.
type clientFilter struct {
	Query  string
	Status string
}

func parseClientFilter(c echo.Context) clientFilter {
	f := clientFilter{Query: strings.TrimSpace(c.QueryParam("q")), Status: c.QueryParam("status")}
	if !slices.Contains([]string{models.ClientActive, models.ClientSuspended, models.ClientRevoked}, f.Status) {
		f.Status = ""
	}
	return f
}

// url is the clients page at list with the filter in its query string.
func (f clientFilter) url(list string) string {
	q := url.Values{}
	if f.Query != "" {
		q.Set("q", f.Query)
	}
	if f.Status != "" {
		q.Set("status", f.Status)
	}
	if len(q) == 0 {
		return list
	}
	return list + "?" + q.Encode()
}

// AdminClients lists every client, filtered by the query string.
func (h *Handlers) AdminClients(c echo.Context) error {
	f := parseClientFilter(c)
	if err := models.ValidateSearch(f.Query); err != nil {
		return searchTooLong(err)
	}
	clients, err := h.store.ListClients(c.Request().Context(), f.Query, f.Status, adminListLimit+1)
	if err != nil {
		return err
	}
	v := admin.AdminClientsView{Base: h.base(c, "Clients · Admin", "admin"), Query: f.Query, Status: f.Status, Return: f.url(h.url(RouteAdminClients))}
	if len(clients) > adminListLimit {
		clients, v.Truncated = clients[:adminListLimit], true
	}
	for _, cl := range clients {
		v.Clients = append(v.Clients, admin.AdminClientRow{
			ID: cl.ID, Name: cl.Name, TypeLabel: apps.TypeLabel(string(cl.Type)), Owner: cl.OwnerEmail, Status: cl.Status,
			CreatedISO: isoTime(cl.CreatedAt), Created: humanTime(cl.CreatedAt),
			Confidential: cl.Type.Confidential(), CanIntrospect: cl.CanIntrospect,
			Active: cl.Status == models.ClientActive, Suspended: cl.Status == models.ClientSuspended,
			Revoked:    cl.Status == models.ClientRevoked,
			SuspendURL: h.url(RouteSuspendClient, cl.ID), ReinstateURL: h.url(RouteReinstate, cl.ID),
			IntrospectionURL: h.url(RouteIntrospectFlag, cl.ID), RevokeURL: h.url(RouteRevokeClient, cl.ID),
		})
	}
	return h.render(c, http.StatusOK, admin.AdminClients(v))
}

// SuspendClient stops a client at once: the token endpoint refuses it with invalid_client and
// the token check refuses every token it holds, until an admin reinstates it.
func (h *Handlers) SuspendClient(c echo.Context) error {
	return h.changeClientStatus(c, models.ClientActive, models.ClientSuspended, models.AuditClientSuspended,
		" was suspended. Its tokens stop working until you reinstate it.",
		" is not active, so it cannot be suspended.")
}

// ReinstateClient lets a suspended client work again; a revoked one stays revoked.
func (h *Handlers) ReinstateClient(c echo.Context) error {
	return h.changeClientStatus(c, models.ClientSuspended, models.ClientActive, models.AuditClientReinstated,
		" was reinstated. Its existing tokens work again.",
		" is not suspended, so it cannot be reinstated. A revoked client stays revoked.")
}

func (h *Handlers) changeClientStatus(c echo.Context, from, to, auditType, done, refused string) error {
	client, err := h.adminClient(c)
	if err != nil {
		return err
	}
	back := adminReturn(c, h.url(RouteAdminClients))
	switch err := h.store.ChangeClientStatus(c.Request().Context(), client.ID, from, to); {
	case errors.Is(err, models.ErrClientStatus):
		h.flash(c, "error", client.Name+refused)
		return seeOther(c, back)
	case err != nil:
		return err
	}
	h.audit(c, auditType, client.ID, client.Name)
	h.flash(c, "success", client.Name+done)
	return seeOther(c, back)
}

// SetIntrospection makes a confidential client a resource server that may introspect any token
// (allow=1), or takes that away (allow=0).
func (h *Handlers) SetIntrospection(c echo.Context) error {
	client, err := h.adminClient(c)
	if err != nil {
		return err
	}
	allow := c.FormValue("allow") == "1"
	back := adminReturn(c, h.url(RouteAdminClients))
	switch err := h.store.SetClientIntrospection(c.Request().Context(), client.ID, allow); {
	case errors.Is(err, models.ErrNotFound):
		h.flash(c, "error", client.Name+" is a public client: it cannot authenticate, so it cannot introspect.")
		return seeOther(c, back)
	case err != nil:
		return err
	}
	if allow {
		h.audit(c, models.AuditIntrospectOn, client.ID, client.Name)
		h.flash(c, "success", client.Name+" may now introspect tokens of every client.")
	} else {
		h.audit(c, models.AuditIntrospectOff, client.ID, client.Name)
		h.flash(c, "success", client.Name+" may now introspect only its own tokens.")
	}
	return seeOther(c, back)
}

// ConfirmRevokeClient asks before revoking a client for good.
func (h *Handlers) ConfirmRevokeClient(c echo.Context) error {
	client, err := h.revocableClient(c)
	if client == nil {
		return err
	}
	return h.render(c, http.StatusOK, shared.Confirm(shared.ConfirmView{
		Base: h.base(c, "Revoke client · Admin", "admin"), Heading: "Revoke " + client.Name + " permanently?",
		Message: "Client " + client.ID + " stops working now: its secrets, grants and tokens all end, and users will have to be asked again by a new application. A revoked client cannot be reinstated; suspend it instead if you may want it back.",
		Action:  h.url(RouteRevokeClient, client.ID), Button: "Revoke", Cancel: h.url(RouteAdminClients),
	}))
}

// RevokeClient ends a client for good with all its grants and tokens.
func (h *Handlers) RevokeClient(c echo.Context) error {
	client, err := h.revocableClient(c)
	if client == nil {
		return err
	}
	if err := h.store.RevokeClient(c.Request().Context(), client.ID); err != nil {
		return err
	}
	h.audit(c, models.AuditClientRevoked, client.ID, client.Name)
	h.flash(c, "success", client.Name+" was revoked. Its grants and tokens have ended.")
	return seeOther(c, h.url(RouteAdminClients))
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
	client, err := h.store.ClientByID(c.Request().Context(), c.Param("id"))
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
// its filters, when the form says so and the place is that list; the list otherwise.
func adminReturn(c echo.Context, list string) string {
	to := safeNext(c.FormValue("return"))
	if to != list && !strings.HasPrefix(to, list+"?") {
		return list
	}
	return to
}
