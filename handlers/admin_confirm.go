package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/pages/admin"
)

// adminAction is the confirmation page of one admin action: every destructive or
// privilege-changing action asks first (issue #13), on a page whose POST button has the same
// words as the button that led there, with an optional reason for the audit log.
type adminAction struct {
	title   string // the page title, before " · Admin"
	heading string
	message string // the consequence, in one sentence
	action  string // where the confirming form posts
	button  string
	danger  bool
	back    string // where Cancel leads and the action returns
	hidden  []admin.Hidden
}

// confirmAction shows a's confirmation page, with the reason typed so far and what is wrong
// with it (both empty on the first visit).
func (h *Handlers) confirmAction(c echo.Context, status int, a adminAction, reason, problem string) error {
	return h.render(c, status, admin.Confirm(admin.ConfirmView{
		Base: h.base(c, a.title+" · Admin", "admin"), Heading: a.heading, Message: a.message,
		Action: a.action, Button: a.button, Danger: a.danger, Cancel: a.back, Hidden: a.hidden,
		Reason: reason, ReasonError: problem, ReasonMax: models.MaxAuditReason,
	}))
}

// actionReason reads the reason posted with a confirmed action, whitespace folded so it stays
// one line of the audit log. A reason over models.MaxAuditReason shows a's page again with the
// error (ok false: the handler returns err and does nothing).
func (h *Handlers) actionReason(c echo.Context, a adminAction) (reason string, ok bool, err error) {
	reason = strings.Join(strings.Fields(c.FormValue("reason")), " ")
	if models.ValidateReason(reason) != nil {
		return "", false, h.confirmAction(c, http.StatusUnprocessableEntity, a, reason,
			fmt.Sprintf("Shorten the reason to at most %d characters; the action was not done.", models.MaxAuditReason))
	}
	return reason, true, nil
}

// withReason appends the admin's reason to an audit detail.
func withReason(detail, reason string) string {
	switch {
	case reason == "":
		return detail
	case detail == "":
		return "reason: " + reason
	}
	return detail + "; reason: " + reason
}
