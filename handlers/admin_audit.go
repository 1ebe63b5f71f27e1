package handlers

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/pages/admin"
)

// auditPageSize is how many events one page of the audit log shows.
const auditPageSize = 50

// AdminAudit shows the audit log newest first, one keyset page at a time: ?before=ID lists the
// events older than that one, so pages stay stable while new events arrive.
func (h *Handlers) AdminAudit(c echo.Context) error {
	f := models.AuditFilter{
		Actor:  strings.TrimSpace(c.QueryParam("actor")),
		Target: strings.TrimSpace(c.QueryParam("target")),
		Type:   strings.TrimSpace(c.QueryParam("type")),
		Limit:  auditPageSize + 1, // one more tells whether an older page exists
	}
	if err := f.Validate(); err != nil {
		return tooLong(err, "Shorten it and try again.")
	}
	if b := c.QueryParam("before"); b != "" {
		before, err := strconv.ParseInt(b, 10, 64)
		if err != nil || before <= 0 {
			return models.ErrInvalid.Describe("The page of the audit log is not valid. Start again from the newest events.")
		}
		f.Before = before
	}
	events, err := h.store.AuditEvents(c.Request().Context(), f)
	if err != nil {
		return err
	}
	v := admin.AdminAuditView{
		Base: h.base(c, "Audit log · Admin", "admin"), Actor: f.Actor, Target: f.Target, Type: f.Type,
		Types: models.AuditTypes, Paged: f.Before > 0,
	}
	if f.Type != "" && !slices.Contains(v.Types, f.Type) {
		// A type the list does not name yet (a bookmark, a newer event) still filters.
		v.Types = append(slices.Clone(v.Types), f.Type)
	}
	if len(events) > auditPageSize {
		events = events[:auditPageSize]
		v.OlderURL = admin.AuditURL(h.url(RouteAdminAudit), f.Actor, f.Target, f.Type, events[len(events)-1].ID)
	}
	if v.Events, err = h.auditRows(c.Request().Context(), events); err != nil {
		return err
	}
	return h.render(c, http.StatusOK, admin.AdminAudit(v))
}
