package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/pages/admin"
	"github.com/devportal/devportal/templates/pages/auth"
)

// pathParam is the path parameter name, unescaped: Echo matches routes on the escaped path, so
// a client id that is a URL (escaped by url) arrives with its slashes still %2F.
func pathParam(c echo.Context, name string) string {
	v := c.Param(name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// metadataHost is the host of a client identified by its metadata document's URL: the
// identity the consent page shows, since nobody registered the application here.
func metadataHost(clientID string) string {
	u, err := url.Parse(clientID)
	if err != nil {
		return clientID
	}
	return u.Hostname()
}

// metadataClientError words the error page of a URL client_id that could not be used.
func metadataClientError(v *auth.ErrorView, oe *oauth.Error) {
	switch {
	case errors.Is(oe, oauth.ErrClientHostBlocked):
		v.Heading = "This application is blocked on this server"
		v.Hint = "An administrator of this server blocked applications from this host. Contact them if you think this is a mistake."
	case errors.Is(oe, oauth.ErrClientMetadata):
		v.Heading = "This application could not be identified"
		v.Hint = "The application identifies itself by a URL whose client metadata document this server could not fetch or accept. Its developer should check that the document is served as JSON, with its own URL as client_id, and try again."
	}
}

// AdminClientHosts lists the blocked hosts of client ID metadata documents.
func (h *Handlers) AdminClientHosts(c echo.Context) error {
	return h.renderClientHosts(c, http.StatusOK, admin.ClientHostsView{})
}

func (h *Handlers) renderClientHosts(c echo.Context, status int, v admin.ClientHostsView) error {
	hosts, err := h.store.BlockedHosts(c.Request().Context())
	if err != nil {
		return err
	}
	v.Base, v.Enabled, v.ReasonMax = h.base(c, "Client hosts · Admin", "admin"), h.oauth.ClientMetadataEnabled(), models.MaxAuditReason
	for _, b := range hosts {
		v.Hosts = append(v.Hosts, admin.ClientHostRow{Host: b.Host, Reason: b.Reason, BlockedBy: b.BlockedBy,
			CreatedISO: isoTime(b.CreatedAt), Created: humanTime(b.CreatedAt), UnblockURL: h.url(RouteUnblockHost, b.Host)})
	}
	return h.render(c, status, admin.AdminClientHosts(v))
}

// BlockClientHost blocks the host typed in the form (audited in the store, with the reason).
func (h *Handlers) BlockClientHost(c echo.Context) error {
	v := admin.ClientHostsView{Host: models.NormalizeHost(c.FormValue("host")), Reason: strings.Join(strings.Fields(c.FormValue("reason")), " ")}
	switch {
	case !models.ValidHost(v.Host):
		v.HostError = "Enter a host name such as app.example.com, or an IP address."
	case models.ValidateReason(v.Reason) != nil:
		v.ReasonError = fmt.Sprintf("Shorten the reason to at most %d characters.", models.MaxAuditReason)
	}
	if v.HostError == "" && v.ReasonError == "" {
		switch err := h.store.BlockHost(auditContext(c), v.Host, v.Reason); {
		case errors.Is(err, models.ErrDuplicate):
			v.HostError = v.Host + " is already blocked."
		case err != nil:
			return err
		}
	}
	if v.HostError != "" || v.ReasonError != "" {
		return h.renderClientHosts(c, http.StatusUnprocessableEntity, v)
	}
	h.flash(c, "success", v.Host+" is blocked: its applications can no longer sign anyone in here.")
	return seeOther(c, h.url(RouteAdminClientHosts))
}

func (h *Handlers) unblockAction(host string) adminAction {
	return adminAction{
		title: "Unblock host", heading: "Unblock " + host + "?",
		message: "Applications that identify themselves by a URL on " + host + " can sign people in here again, and the refresh tokens they hold work again.",
		action:  h.url(RouteUnblockHost, host), button: "Unblock", back: h.url(RouteAdminClientHosts),
	}
}

// ConfirmUnblockHost asks before unblocking a host, with a reason for the audit log.
func (h *Handlers) ConfirmUnblockHost(c echo.Context) error {
	return h.confirmAction(c, http.StatusOK, h.unblockAction(models.NormalizeHost(c.Param("host"))), "", "")
}

// UnblockHost accepts a host's metadata documents again.
func (h *Handlers) UnblockHost(c echo.Context) error {
	host := models.NormalizeHost(c.Param("host"))
	reason, ok, err := h.actionReason(c, h.unblockAction(host))
	if !ok {
		return err
	}
	switch err := h.store.UnblockHost(auditContext(c), host, reason); {
	case errors.Is(err, models.ErrNotFound):
		h.flash(c, "info", host+" is not blocked.")
	case err != nil:
		return err
	default:
		h.flash(c, "success", host+" is no longer blocked.")
	}
	return seeOther(c, h.url(RouteAdminClientHosts))
}
