package handlers

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
)

// auditTimeout bounds an audit write that no longer follows the request's context: long enough
// to outwait SQLite's busy timeout under write contention, short enough that a stuck database
// cannot hold a request for good.
const auditTimeout = 30 * time.Second

// audit appends a security event done by the signed-in user (if any) from this request. A failed
// write is logged rather than failing what the user did, which has already happened.
func (h *Handlers) audit(c echo.Context, typ, target, detail string) {
	e := &models.AuditEvent{Type: typ, Target: target, Detail: detail, IP: c.RealIP()}
	if u := CurrentUser(c); u != nil {
		e.ActorID, e.Actor = &u.ID, u.Email
	}
	h.auditEvent(c, e)
}

// auditEvent writes e before the handler goes on, so the record exists whenever the response
// says the action happened. The action is already committed, so the write must not die with the
// request: a client that hangs up (cancelling the request's context) would otherwise erase the
// trace of what it just did. Issue #12, item 7.
func (h *Handlers) auditEvent(c echo.Context, e *models.AuditEvent) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), auditTimeout)
	defer cancel()
	if err := h.store.Audit(ctx, e); err != nil {
		c.Logger().Errorf("audit %s lost (request %s): %v", e.Type, requestID(c), err)
	}
}

// requestID is the id the request-id middleware gave this request (the X-Request-Id header).
func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}
