package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	mailtmpl "github.com/devportal/devportal/templates/mail"
	"github.com/devportal/devportal/templates/pages/auth"
)

// sendResetLink mails u a password-reset link; older unused links of the account stop working.
// ErrTooManyMails when the hour's quota is spent.
func (h *Handlers) sendResetLink(ctx context.Context, u *models.User, byAdmin bool) error {
	return h.store.InTx(ctx, func(tx *models.Store) error {
		token, err := tx.IssueAccountToken(ctx, u.ID, models.PurposeResetPassword, u.Email, h.now())
		if err != nil {
			return err
		}
		why := "Someone asked to reset the password of your devportal account (" + u.Email + ")."
		if byAdmin {
			why = "An administrator of devportal sent you this link to choose a new password for " + u.Email + "."
		}
		return h.sendMail(ctx, tx, u.Email, mailtmpl.LinkView{
			Subject: "Reset your devportal password", Heading: "Choose a new password",
			Paragraphs: []string{why, "Open this link to choose a new one. It works once, for 30 minutes, and every session of your account is signed out when you use it."},
			Link:       h.linkURL(RouteResetPassword, token), Button: "Choose a new password",
			Footer: "If you did not ask for this, ignore this mail: your password stays as it is.",
		})
	})
}

// ForgotPasswordPage shows the form that mails a reset link.
func (h *Handlers) ForgotPasswordPage(c echo.Context) error {
	return h.render(c, http.StatusOK, auth.ForgotPassword(auth.ForgotPasswordView{Base: h.base(c, "Forgot password", ""), Action: h.url(RouteForgotPassword),
		Email: truncate(c.QueryParam("email"), models.MaxEmailLength)}))
}

// ForgotPassword mails a reset link to the address when an enabled account uses it. The answer
// is the same whether or not one does (and whether or not the account's hourly quota of links
// is spent), so the form does not tell which addresses are registered.
func (h *Handlers) ForgotPassword(c echo.Context) error {
	ctx := c.Request().Context()
	raw := c.FormValue("email")
	email := models.NormalizeEmail(raw)
	show := func(status int, msg string) error {
		return h.render(c, status, auth.ForgotPassword(auth.ForgotPasswordView{Base: h.base(c, "Forgot password", ""), Action: h.url(RouteForgotPassword),
			Email: truncate(raw, models.MaxEmailLength), Error: msg}))
	}
	if err := models.ValidateEmail(email); err != nil {
		return show(http.StatusUnprocessableEntity, models.ErrorMessage(err))
	}
	var te *models.ThrottleError
	if err := h.store.ReserveResetRequest(ctx, c.RealIP()); errors.As(err, &te) {
		setRetryAfter(c, te.RetryAfter)
		if te.First {
			h.auditEvent(c, &models.AuditEvent{Type: models.AuditLoginThrottled, Target: te.Subject, IP: c.RealIP(),
				Detail: fmt.Sprintf("%d password-reset requests from this address within %s; further requests refused", te.Max, humanWait(te.Window))})
		}
		return show(http.StatusTooManyRequests, "Too many reset requests from your network. Wait "+humanWait(te.RetryAfter)+" and try again.")
	} else if err != nil {
		return err
	}
	u, err := h.store.UserByEmail(ctx, email)
	switch {
	case err == nil && u.DisabledAt == nil:
		err := h.sendResetLink(ctx, u, false)
		if err == nil {
			h.auditEvent(c, &models.AuditEvent{Type: models.AuditPasswordResetAsked, Target: u.Email, IP: c.RealIP()})
		} else if !errors.Is(err, models.ErrTooManyMails) {
			return err
		}
	case err != nil && !errors.Is(err, models.ErrNotFound):
		return err
	}
	return h.render(c, http.StatusOK, auth.Notice(auth.NoticeView{Base: h.base(c, "Check your inbox", ""), Heading: "Check your inbox",
		Message: "If an account uses " + email + ", we sent it a link to choose a new password. The link works for 30 minutes.",
		LinkURL: h.url(RouteLogin), LinkText: "Back to log in"}))
}

// ResetPasswordPage is what a reset link opens: the form for the new password, if the link
// still works.
func (h *Handlers) ResetPasswordPage(c echo.Context) error {
	token := c.QueryParam("token")
	if _, err := h.store.CheckAccountToken(c.Request().Context(), token, models.PurposeResetPassword, h.now()); err != nil {
		return err
	}
	return h.render(c, http.StatusOK, auth.ResetPassword(auth.ResetPasswordView{Base: h.base(c, "Choose a new password", ""), Action: h.url(RouteResetPassword), Token: token}))
}

// ResetPassword sets the new password, spends the link and signs the account out everywhere.
func (h *Handlers) ResetPassword(c echo.Context) error {
	token := c.FormValue("token")
	u, err := h.store.ResetPassword(c.Request().Context(), token, c.FormValue("new_password"), h.now())
	show := func(status int, msg string) error {
		return h.render(c, status, auth.ResetPassword(auth.ResetPasswordView{Base: h.base(c, "Choose a new password", ""), Action: h.url(RouteResetPassword), Token: token, Error: msg}))
	}
	switch {
	case errors.Is(err, models.ErrBusy):
		return show(http.StatusServiceUnavailable, Busy(c))
	case errors.Is(err, models.ErrInvalid):
		return show(http.StatusUnprocessableEntity, models.ErrorMessage(err))
	case err != nil:
		return err
	}
	h.auditEvent(c, &models.AuditEvent{Type: models.AuditPasswordReset, ActorID: &u.ID, Actor: u.Email, Target: u.Email, IP: c.RealIP(), Detail: "every session ended"})
	if CurrentUser(c) != nil && CurrentUser(c).ID == u.ID {
		c.SetCookie(h.cookie(SessionCookie, "", -1)) // its session is gone with the others
	}
	h.flash(c, "success", "Your password was set and every session of your account was signed out. Log in with your new password.")
	return seeOther(c, h.url(RouteLogin))
}
