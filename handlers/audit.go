package handlers

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// auditContext is the request's context carrying its actor (the signed-in user, if any, and the
// address), for store calls that write their own audit entry inside the change they record, such
// as the scope requests an application edit files (models.WithAuditActor).
func auditContext(c echo.Context) context.Context {
	a := models.AuditActor{IP: c.RealIP()}
	if u := CurrentUser(c); u != nil {
		a.ID, a.Name = &u.ID, u.Email
	}
	return models.WithAuditActor(c.Request().Context(), a)
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

// Bounds of a settings change in the audit log: each value, and the whole detail, in characters.
const (
	maxAuditValue  = 120
	maxAuditDetail = 1500
)

// changes collects what a settings edit changed, for the audit log: "field: before → after"
// for a value, what was added and removed for a list. Values are quoted, so a newline or quote
// typed into a field cannot pass for another part of the entry, and cut to maxAuditValue.
// Only settings go in: secrets are never part of a form whose changes are recorded.
type changes []string

// value records field when it changed; "" reads as (none).
func (c *changes) value(field, before, after string) {
	if before != after {
		*c = append(*c, field+": "+auditValue(before)+" → "+auditValue(after))
	}
}

// flag records a yes/no setting that changed.
func (c *changes) flag(field string, before, after bool) {
	yesNo := map[bool]string{true: "yes", false: "no"}
	if before != after {
		*c = append(*c, field+": "+yesNo[before]+" → "+yesNo[after])
	}
}

// list records the items added to and removed from a list, or that only its order changed.
func (c *changes) list(field string, before, after []string) {
	if slices.Equal(before, after) {
		return
	}
	var parts []string
	if removed := without(before, after); len(removed) > 0 {
		parts = append(parts, "removed "+auditValues(removed))
	}
	if added := without(after, before); len(added) > 0 {
		parts = append(parts, "added "+auditValues(added))
	}
	if len(parts) == 0 {
		parts = append(parts, "reordered")
	}
	*c = append(*c, field+": "+strings.Join(parts, ", "))
}

// String is the audit detail: the changes joined by "; ", at most maxAuditDetail characters.
func (c changes) String() string {
	if len(c) == 0 {
		return "no changes"
	}
	return truncateRunes(strings.Join(c, "; "), maxAuditDetail)
}

// without lists the items of a that b lacks, in a's order.
func without(a, b []string) []string {
	var out []string
	for _, v := range a {
		if !slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}

func auditValues(vs []string) string {
	quoted := make([]string, len(vs))
	for i, v := range vs {
		quoted[i] = auditValue(v)
	}
	return strings.Join(quoted, " ")
}

func auditValue(v string) string {
	if v == "" {
		return "(none)"
	}
	return strconv.Quote(truncateRunes(v, maxAuditValue))
}

// truncateRunes cuts s to at most n characters, marking a cut with "…".
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
