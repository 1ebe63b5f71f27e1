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
// events older than that one and ?after=ID those newer, so pages stay stable while new events
// arrive.
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
	for _, cur := range []struct {
		name string
		dst  *int64
	}{{"before", &f.Before}, {"after", &f.After}} {
		if b := c.QueryParam(cur.name); b != "" && f.Before == 0 {
			id, err := strconv.ParseInt(b, 10, 64)
			if err != nil || id <= 0 {
				return models.ErrInvalid.Describe("The page of the audit log is not valid. Start again from the newest events.")
			}
			*cur.dst = id
		}
	}
	events, err := h.store.AuditEvents(c.Request().Context(), f)
	if err != nil {
		return err
	}
	v := admin.AdminAuditView{
		Base: h.base(c, "Audit log · Admin", "admin"), Actor: f.Actor, Target: f.Target, Type: f.Type,
		Types: models.AuditTypes, Paged: f.Before > 0 || f.After > 0,
	}
	if f.Type != "" && !slices.Contains(v.Types, f.Type) {
		// A type the list does not name yet (a bookmark, a newer event) still filters.
		v.Types = append(slices.Clone(v.Types), f.Type)
	}
	// One more event than a page was read (in the direction away from the cursor) to tell
	// whether a page lies beyond; the page on the cursor's side is known to exist.
	more := len(events) > auditPageSize
	if more && f.After > 0 {
		events = events[1:] // read oldest first: the extra one is the newest
	} else if more {
		events = events[:auditPageSize]
	}
	if n := len(events); n > 0 {
		audit := h.url(RouteAdminAudit)
		if more && f.After == 0 || f.After > 0 {
			v.OlderURL = admin.AuditURL(audit, f.Actor, f.Target, f.Type, events[n-1].ID, 0)
		}
		if more && f.After > 0 || f.Before > 0 {
			v.NewerURL = admin.AuditURL(audit, f.Actor, f.Target, f.Type, 0, events[0].ID)
		}
	}
	if v.Events, err = h.auditRows(c.Request().Context(), events); err != nil {
		return err
	}
	return h.render(c, http.StatusOK, admin.AdminAudit(v))
}
