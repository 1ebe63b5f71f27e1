package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	mailtmpl "github.com/devportal/devportal/templates/mail"
	"github.com/devportal/devportal/templates/pages/account"
	"github.com/devportal/devportal/templates/pages/auth"
	"github.com/devportal/devportal/templates/pages/shared"
)

// linkURL is the absolute URL of the named route carrying a mailed token.
func (h *Handlers) linkURL(route, token string) string {
	return h.absURL(h.url(route) + "?" + url.Values{"token": {token}}.Encode())
}

const notYou = "If you did not ask for this, you can ignore this mail."

// sendVerification mails u a link proving its current address, in one transaction with the
// token so neither exists without the other. ErrTooManyMails when the hour's quota is spent.
func (h *Handlers) sendVerification(ctx context.Context, u *models.User) error {
	return h.store.InTx(ctx, func(tx *models.Store) error {
		token, err := tx.IssueAccountToken(ctx, u.ID, models.PurposeVerifyEmail, u.Email, h.now())
		if err != nil {
			return err
		}
		return h.sendMail(ctx, tx, u.Email, mailtmpl.LinkView{
			Subject: "Verify your email for devportal", Heading: "Verify your email",
			Paragraphs: []string{"Open this link to confirm that " + u.Email + " is your address. It works once, for 24 hours."},
			Link:       h.linkURL(RouteVerifyEmail, token), Button: "Verify email", Footer: notYou,
		})
	})
}

// signupFlash is what every sign-up that passes validation is told, whether or not the address
// already had an account, so the answer reveals nothing about it.
func signupFlash(email string) string {
	return "Check your inbox: we sent a link to verify " + email + "."
}

// signupExisting answers a sign-up with an address that already has an account exactly as a
// new sign-up is answered, without signing in, and tells the address's owner.
func (h *Handlers) signupExisting(c echo.Context, email, next string) error {
	ctx := c.Request().Context()
	h.auditEvent(c, &models.AuditEvent{Type: models.AuditSignupExisting, Target: email, IP: c.RealIP()})
	err := h.sendMail(ctx, nil, email, mailtmpl.LinkView{
		Subject: "Someone tried to create an account with your address", Heading: "Someone tried to create an account with your address",
		Paragraphs: []string{"Someone tried to sign up for devportal with " + email + ", which already has an account. No new account was created.",
			"If it was you and you have forgotten your password, choose a new one here."},
		Link: h.absURL(h.url(RouteForgotPassword)), Button: "Reset your password",
		Footer: "If it was not you, you can ignore this mail: your account is unchanged.",
	})
	h.logMailError(c, err)
	h.flash(c, "success", signupFlash(email))
	return seeOther(c, next)
}

// logMailError records a mail that could not be queued; the request it belongs to goes on,
// since what it tells of is done (the person can ask again).
func (h *Handlers) logMailError(c echo.Context, err error) {
	if err != nil {
		c.Logger().Errorf("queue mail: %v", err)
	}
}

// VerifyEmail opens a verification link: the account's email is verified.
func (h *Handlers) VerifyEmail(c echo.Context) error {
	u, err := h.store.VerifyEmail(c.Request().Context(), c.QueryParam("token"), h.now())
	if err != nil {
		return err
	}
	h.auditEvent(c, &models.AuditEvent{Type: models.AuditEmailVerified, ActorID: &u.ID, Actor: u.Email, Target: u.Email, IP: c.RealIP()})
	return h.render(c, http.StatusOK, auth.Notice(auth.NoticeView{Base: h.base(c, "Email verified", ""),
		Heading: "Your email is verified", Message: u.Email + " is now the verified address of your account.",
		LinkURL: h.url(RouteAccount), LinkText: "Go to your account"}))
}

// ResendVerification mails the signed-in person a new verification link, a few times an hour.
func (h *Handlers) ResendVerification(c echo.Context) error {
	u := CurrentUser(c)
	if u.EmailVerifiedAt != nil {
		h.flash(c, "info", "Your email is already verified.")
		return seeOther(c, h.url(RouteAccount))
	}
	err := h.sendVerification(c.Request().Context(), u)
	switch {
	case errors.Is(err, models.ErrTooManyMails):
		setRetryAfter(c, models.AccountMailWindow)
		h.flashNow(c, "error", models.ErrorMessage(err))
		return h.render(c, http.StatusTooManyRequests, account.Account(h.accountView(c, nil)))
	case err != nil:
		return err
	}
	h.flash(c, "success", "We sent a new link to "+u.Email+". It works for 24 hours.")
	return seeOther(c, h.url(RouteAccount))
}

// RequestEmailChange mails a link to the new address (the change happens when it is opened)
// and tells the current address. It needs the current password: a session left open must not
// be enough to take the account over through its email.
func (h *Handlers) RequestEmailChange(c echo.Context) error {
	ctx := c.Request().Context()
	u := CurrentUser(c)
	raw := c.FormValue("new_email")
	next := models.NormalizeEmail(raw)
	errs := shared.Errors{}
	if err := models.ValidateEmail(next); err != nil {
		errs["new_email"] = models.ErrorMessage(err)
	} else if next == u.Email {
		errs["new_email"] = "That is already your email."
	}
	status := http.StatusUnprocessableEntity
	if len(errs) == 0 {
		_, err := h.store.Authenticate(ctx, u.Email, c.FormValue("password"))
		switch {
		case errors.Is(err, models.ErrBusy):
			status = http.StatusServiceUnavailable
			h.flashNow(c, "error", Busy(c))
			errs["email_password"] = "Try again in a few seconds."
		case errors.Is(err, models.ErrBadCredential):
			errs["email_password"] = "That is not your current password."
		case err != nil:
			return err
		}
	}
	if len(errs) == 0 {
		err := h.mailEmailChange(ctx, u, next)
		switch {
		case errors.Is(err, models.ErrTooManyMails):
			status = http.StatusTooManyRequests
			setRetryAfter(c, models.AccountMailWindow)
			errs["new_email"] = models.ErrorMessage(err)
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		v := h.accountView(c, errs)
		v.NewEmail = truncate(raw, models.MaxEmailLength)
		return h.render(c, status, account.Account(v))
	}
	h.audit(c, models.AuditEmailChangeAsked, u.Email, "to "+next)
	h.flash(c, "success", "We sent a link to "+next+". Your email changes when you open it; until then it stays "+u.Email+".")
	return seeOther(c, h.url(RouteAccount))
}

// mailEmailChange queues the change link to the new address and the notice to the old one. An
// address that already has an account gets a notice instead of a link, and the person asking
// is answered the same, so the form does not tell which addresses are registered.
func (h *Handlers) mailEmailChange(ctx context.Context, u *models.User, next string) error {
	_, err := h.store.UserByEmail(ctx, next)
	taken := err == nil
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	return h.store.InTx(ctx, func(tx *models.Store) error {
		// Issued for a taken address too (never mailed), so both count towards the quota alike.
		token, err := tx.IssueAccountToken(ctx, u.ID, models.PurposeChangeEmail, next, h.now())
		if err != nil {
			return err
		}
		link := mailtmpl.LinkView{
			Subject: "Confirm your new email for devportal", Heading: "Confirm your new email",
			Paragraphs: []string{"Open this link to make " + next + " the email of your devportal account (now " + u.Email + "). It works once, for 24 hours."},
			Link:       h.linkURL(RouteConfirmEmail, token), Button: "Confirm new email", Footer: notYou,
		}
		if taken {
			link = mailtmpl.LinkView{
				Subject: "Someone tried to use your address for another account", Heading: "Someone tried to use your address for another account",
				Paragraphs: []string{"Someone asked to move another devportal account to " + next + ", which already has an account. Nothing was changed."},
				Footer:     "You do not need to do anything.",
			}
		}
		if err := h.sendMail(ctx, tx, next, link); err != nil {
			return err
		}
		return h.sendMail(ctx, tx, u.Email, mailtmpl.LinkView{
			Subject: "Your devportal email is about to change", Heading: "Your email is about to change",
			Paragraphs: []string{"Someone signed in to your account asked to change its email from " + u.Email + " to " + next + ". It changes when the link mailed to the new address is opened.",
				"If that was not you, change your password now and sign out everywhere from your account page."},
			Link: h.absURL(h.url(RouteAccount)), Button: "Open your account",
		})
	})
}

// ConfirmEmailChange opens an email-change link: the account's email becomes the new address.
func (h *Handlers) ConfirmEmailChange(c echo.Context) error {
	u, old, err := h.store.ChangeEmail(c.Request().Context(), c.QueryParam("token"), h.now())
	if errors.Is(err, models.ErrDuplicate) {
		return models.ErrDuplicate.Describe("That address now belongs to another account, so your email was not changed.")
	}
	if err != nil {
		return err
	}
	h.auditEvent(c, &models.AuditEvent{Type: models.AuditEmailChanged, ActorID: &u.ID, Actor: u.Email, Target: u.Email, Detail: "from " + old, IP: c.RealIP()})
	return h.render(c, http.StatusOK, auth.Notice(auth.NoticeView{Base: h.base(c, "Email changed", ""),
		Heading: "Your email was changed", Message: "Your account's email is now " + u.Email + ", verified. Use it to log in.",
		LinkURL: h.url(RouteAccount), LinkText: "Go to your account"}))
}
