package handlers

import (
	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
)

// audit appends a security event done by the signed-in user (if any) from this request. A failed
// write is logged rather than failing what the user did, which has already happened.
func (h *Handlers) audit(c echo.Context, typ, target, detail string) {
	e := &models.AuditEvent{Type: typ, Target: target, Detail: detail, IP: c.RealIP()}
	if u := CurrentUser(c); u != nil {
		e.ActorID, e.Actor = &u.ID, u.Email
	}
	h.auditEvent(c, e)
}

func (h *Handlers) auditEvent(c echo.Context, e *models.AuditEvent) {
	if err := h.store.Audit(c.Request().Context(), e); err != nil {
		c.Logger().Errorf("audit %s: %v", e.Type, err)
	}
}
