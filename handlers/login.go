package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/pages"
)

// Failed logins allowed per email within loginWindow before further attempts are refused
// unchecked.
const (
	loginAttempts = 10
	loginWindow   = 15 * time.Minute
)

type credentialsForm struct {
	Email    string `form:"email"`
	Password string `form:"password"`
	Next     string `form:"next"`
}

func (f *credentialsForm) bind(c echo.Context) {
	f.Email = c.FormValue("email")
	f.Password = c.FormValue("password")
	f.Next = safeNext(c.FormValue("next"))
}

// LoginPage shows the log-in form; a signed-in visitor goes straight on.
func (h *Handlers) LoginPage(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if CurrentUser(c) != nil {
		return c.Redirect(http.StatusFound, orDefault(next, "/apps"))
	}
	return render(c, http.StatusOK, pages.Login(pages.LoginView{Base: h.base(c, "Log in", ""), Next: next}))
}

// Login checks the credentials and starts a new session.
func (h *Handlers) Login(c echo.Context) error {
	var f credentialsForm
	f.bind(c)
	// Guessing is throttled per account, from the audit log, so every instance sees the count.
	failures, err := h.store.CountAudit(c.Request().Context(), models.AuditLoginFailed, models.NormalizeEmail(f.Email), time.Now().UTC().Add(-loginWindow))
	if err != nil {
		return err
	}
	if failures >= loginAttempts {
		msg := fmt.Sprintf("Too many failed attempts for this email. Wait %d minutes and try again, or ask an administrator.", int(loginWindow.Minutes()))
		return render(c, http.StatusTooManyRequests, pages.Login(pages.LoginView{Base: h.base(c, "Log in", ""), Email: f.Email, Next: f.Next, Error: msg}))
	}
	u, err := h.store.Authenticate(c.Request().Context(), f.Email, f.Password)
	if errors.Is(err, models.ErrBadCredential) || errors.Is(err, models.ErrDisabled) {
		h.auditEvent(c, &models.AuditEvent{Type: models.AuditLoginFailed, Actor: models.NormalizeEmail(f.Email), Target: models.NormalizeEmail(f.Email), IP: c.RealIP(), Detail: err.Error()})
		msg := "That email and password do not match an account."
		if errors.Is(err, models.ErrDisabled) {
			msg = "This account has been disabled. Contact an administrator."
		}
		return render(c, http.StatusUnauthorized, pages.Login(pages.LoginView{Base: h.base(c, "Log in", ""), Email: f.Email, Next: f.Next, Error: msg}))
	}
	if err != nil {
		return err
	}
	if err := h.startSession(c, u); err != nil {
		return err
	}
	h.audit(c, models.AuditLogin, u.Email, "")
	return seeOther(c, orDefault(f.Next, "/apps"))
}

// SignupPage shows the sign-up form.
func (h *Handlers) SignupPage(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if CurrentUser(c) != nil {
		return c.Redirect(http.StatusFound, orDefault(next, "/apps"))
	}
	return render(c, http.StatusOK, pages.Signup(pages.SignupView{Base: h.base(c, "Create account", ""), Next: next}))
}

// Signup creates an account and signs the new user in.
func (h *Handlers) Signup(c echo.Context) error {
	var f credentialsForm
	f.bind(c)
	errs := pages.Errors{}
	email := models.NormalizeEmail(f.Email)
	if err := models.ValidateEmail(email); err != nil {
		errs["email"] = capitalize(err.Error()) + "."
	}
	if err := models.ValidatePassword(f.Password); err != nil {
		errs["password"] = "Password too short or too long: " + err.Error() + "."
	}
	var u *models.User
	if len(errs) == 0 {
		var err error
		u, err = h.store.CreateUser(c.Request().Context(), email, f.Password, false)
		switch {
		case errors.Is(err, models.ErrDuplicate):
			errs["email"] = "An account with this email already exists. Log in instead."
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, pages.Signup(pages.SignupView{Base: h.base(c, "Create account", ""), Email: f.Email, Next: f.Next, Errors: errs}))
	}
	if err := h.startSession(c, u); err != nil {
		return err
	}
	h.audit(c, models.AuditSignup, u.Email, "")
	h.flash(c, "success", "Welcome to devportal. Your account is ready.")
	return seeOther(c, orDefault(f.Next, "/apps"))
}

// Logout ends the current session.
func (h *Handlers) Logout(c echo.Context) error {
	if ck, err := c.Cookie(SessionCookie); err == nil {
		if err := h.store.DeleteSession(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	c.SetCookie(h.cookie(SessionCookie, "", -1))
	h.flash(c, "info", "You are logged out.")
	// "Not you?" on the consent page signs out and comes back to the same authorization request
	// once the right person has logged in.
	if next := safeNext(c.FormValue("next")); next != "" {
		return seeOther(c, "/login?next="+url.QueryEscape(next))
	}
	return seeOther(c, "/login")
}

// startSession replaces any session the browser had with a new one (a fresh id at every login
// defeats session fixation).
func (h *Handlers) startSession(c echo.Context, u *models.User) error {
	ctx := c.Request().Context()
	if ck, err := c.Cookie(SessionCookie); err == nil {
		if err := h.store.DeleteSession(ctx, ck.Value); err != nil {
			return err
		}
	}
	token, err := h.store.CreateSession(ctx, u.ID, h.sessionTTL, c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	c.SetCookie(h.cookie(SessionCookie, token, int(h.sessionTTL.Seconds())))
	SetCurrentUser(c, u)
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
