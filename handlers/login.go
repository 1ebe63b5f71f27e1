package handlers

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/pages/auth"
	"github.com/devportal/devportal/templates/pages/shared"
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

// shownEmail is the email as the form shows it back: never longer than an email can be.
func (f *credentialsForm) shownEmail() string { return truncate(f.Email, models.MaxEmailLength) }

// LoginPage shows the log-in form; a signed-in visitor goes straight on, unless an authorization
// request demands a fresh login (reauth=1: prompt=login, max_age). email pre-fills the form
// (an authorization request's login_hint).
func (h *Handlers) LoginPage(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	u := CurrentUser(c)
	if u != nil && (c.QueryParam("reauth") != "1" || next == "") {
		return c.Redirect(http.StatusFound, cmp.Or(next, h.url(RouteApps)))
	}
	v := auth.LoginView{Base: h.base(c, "Log in", ""), Next: next, Email: truncate(c.QueryParam("email"), models.MaxEmailLength)}
	if u != nil {
		v.SignedInAs, v.Email = u.Email, cmp.Or(v.Email, u.Email)
	}
	return h.render(c, http.StatusOK, auth.Login(v))
}

// Login checks the credentials and starts a new session. Input no account can match is refused
// before anything is written or audited; the rest goes through the store's throttles.
func (h *Handlers) Login(c echo.Context) error {
	var f credentialsForm
	f.bind(c)
	show := func(status int, msg string) error {
		return h.render(c, status, auth.Login(auth.LoginView{Base: h.base(c, "Log in", ""), Email: f.shownEmail(), Next: f.Next, Error: msg}))
	}
	email := models.NormalizeEmail(f.Email)
	if err := models.ValidateEmail(email); err != nil {
		return show(http.StatusUnprocessableEntity, models.ErrorMessage(err))
	}
	if len(f.Password) > models.MaxPasswordLength {
		return show(http.StatusUnprocessableEntity, fmt.Sprintf("That password is longer than any password here (%d characters at most).", models.MaxPasswordLength))
	}
	u, err := h.store.Login(c.Request().Context(), email, f.Password, c.RealIP())
	var te *models.ThrottleError
	switch {
	case errors.As(err, &te):
		return show(http.StatusTooManyRequests, h.throttled(c, te))
	case errors.Is(err, models.ErrBusy):
		return show(http.StatusServiceUnavailable, Busy(c))
	case errors.Is(err, models.ErrBadCredential), errors.Is(err, models.ErrDisabled):
		h.auditEvent(c, &models.AuditEvent{Type: models.AuditLoginFailed, Actor: email, Target: email, IP: c.RealIP(), Detail: err.Error()})
		msg := "That email and password do not match an account."
		if errors.Is(err, models.ErrDisabled) {
			msg = "This account has been disabled. Contact an administrator."
		}
		return show(http.StatusUnauthorized, msg)
	case err != nil:
		return err
	}
	// With an authenticator on, the password only opens the second step: no session yet.
	st, err := h.store.TOTPStatus(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	if st.Enabled {
		return h.startPendingLogin(c, u, f.Next)
	}
	return h.completeLogin(c, u, f.Next, "pwd")
}

// completeLogin ends a successful login however it was made (a password, then perhaps a second
// factor, or a passkey): a new session whose amr says how (RFC 8176), an audit entry, and the
// way on to next (a safe local path) or the applications.
func (h *Handlers) completeLogin(c echo.Context, u *models.User, next string, amr ...string) error {
	if err := h.startSession(c, u, amr...); err != nil {
		return err
	}
	h.audit(c, models.AuditLogin, u.Email, strings.Join(amr, " "))
	if u.IsAdmin && h.requireAdmin2FA && !HasSecondFactor(amr) {
		h.flash(c, "error", adminNeeds2FA)
		return seeOther(c, h.url(RouteSecurity))
	}
	return seeOther(c, cmp.Or(safeNext(next), h.url(RouteApps)))
}

// throttled answers a refused attempt's Retry-After, audits the first refusal of its window
// (the rest are not, so refusals cannot flood the audit log) and says what happened.
func (h *Handlers) throttled(c echo.Context, te *models.ThrottleError) string {
	setRetryAfter(c, te.RetryAfter)
	wait := humanWait(te.RetryAfter)
	var typ, detail, msg string
	switch te.Rule {
	case models.ThrottleLoginEmail:
		typ = models.AuditLoginThrottled
		detail = fmt.Sprintf("%d failed logins to this account within %s; further attempts refused", te.Max, humanWait(te.Window))
		msg = "Too many failed attempts for this email. Wait " + wait + " and try again, or ask an administrator."
	case models.ThrottleLoginIP:
		typ = models.AuditLoginThrottled
		detail = fmt.Sprintf("%d failed logins from this address within %s; further attempts refused", te.Max, humanWait(te.Window))
		msg = "Too many failed attempts from your network. Wait " + wait + " and try again."
	default:
		typ = models.AuditSignupThrottled
		detail = fmt.Sprintf("%d sign-ups from this address within %s; further sign-ups refused", te.Max, humanWait(te.Window))
		msg = "Too many accounts were created from your network. Wait " + wait + " and try again."
	}
	if te.First {
		h.auditEvent(c, &models.AuditEvent{Type: typ, Target: te.Subject, IP: c.RealIP(), Detail: detail})
	}
	return msg
}

// busyRetryAfter is what a request refused for want of a hashing slot is told to wait.
const busyRetryAfter = 5 * time.Second

// Busy answers a request whose password could not be checked in time (models.ErrBusy).
func Busy(c echo.Context) string {
	setRetryAfter(c, busyRetryAfter)
	return "The server is busy right now. Try again in a few seconds."
}

// setRetryAfter sets Retry-After (RFC 9110 §10.2.3) in whole seconds, rounded up.
func setRetryAfter(c echo.Context, d time.Duration) {
	c.Response().Header().Set("Retry-After", strconv.FormatInt(int64(max((d+time.Second-1)/time.Second, 1)), 10))
}

// humanWait says a duration in minutes, or seconds under one, rounded up.
func humanWait(d time.Duration) string {
	if d < time.Minute {
		n := max(int64((d+time.Second-1)/time.Second), 1)
		return plural(n, "second")
	}
	return plural(int64((d+time.Minute-1)/time.Minute), "minute")
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}

// SignupPage shows the sign-up form.
func (h *Handlers) SignupPage(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if CurrentUser(c) != nil {
		return c.Redirect(http.StatusFound, cmp.Or(next, h.url(RouteApps)))
	}
	return h.render(c, http.StatusOK, auth.Signup(auth.SignupView{Base: h.base(c, "Create account", ""), Next: next}))
}

// Signup creates an account, signs the new user in and mails a verification link. A sign-up
// with an address that already has an account gets the same status, location and flash (and
// the same argon2id hash is computed, so the timing matches), without a session; the owner of
// the address is told by mail. See docs/security.md, "Account enumeration".
func (h *Handlers) Signup(c echo.Context) error {
	var f credentialsForm
	f.bind(c)
	errs := shared.Errors{}
	email := models.NormalizeEmail(f.Email)
	if err := models.ValidateEmail(email); err != nil {
		errs["email"] = models.ErrorMessage(err)
	}
	if err := models.ValidatePassword(f.Password); err != nil {
		errs["password"] = models.ErrorMessage(err)
	}
	name := c.FormValue("name")
	if _, err := models.ValidateDisplayName(name); err != nil {
		errs["name"] = models.ErrorMessage(err)
	}
	status := http.StatusUnprocessableEntity
	var u *models.User
	existing := false
	if len(errs) == 0 {
		var err error
		u, err = h.store.Signup(c.Request().Context(), email, f.Password, name, c.RealIP())
		var te *models.ThrottleError
		switch {
		case errors.As(err, &te):
			status = http.StatusTooManyRequests
			h.flashNow(c, "error", h.throttled(c, te))
		case errors.Is(err, models.ErrBusy):
			status = http.StatusServiceUnavailable
			h.flashNow(c, "error", Busy(c))
		case errors.Is(err, models.ErrDuplicate):
			existing = true
		case err != nil:
			return err
		}
	}
	next := cmp.Or(f.Next, h.url(RouteApps))
	if existing {
		return h.signupExisting(c, email, next)
	}
	if u == nil {
		return h.render(c, status, auth.Signup(auth.SignupView{Base: h.base(c, "Create account", ""), Email: f.shownEmail(), Name: shownName(name), Next: f.Next, Errors: errs}))
	}
	// The account exists from here on, whatever happens to the rest of the request (a session
	// write that fails under contention, a client that hangs up): record it first.
	h.auditEvent(c, &models.AuditEvent{Type: models.AuditSignup, ActorID: &u.ID, Actor: u.Email, Target: u.Email, IP: c.RealIP()})
	if err := h.startSession(c, u); err != nil {
		return err
	}
	h.logMailError(c, h.sendVerification(c.Request().Context(), u))
	h.flash(c, "success", signupFlash(u.Email))
	return seeOther(c, next)
}

// shownName is a display name as a form shows it back: never much longer than a name can be.
func shownName(name string) string { return truncate(name, 4*models.MaxDisplayNameLength) }

// Logout ends the current session.
func (h *Handlers) Logout(c echo.Context) error {
	if err := h.endSession(c); err != nil {
		return err
	}
	h.flash(c, "info", "You are logged out.")
	// "Not you?" on the consent page signs out and comes back to the same authorization request
	// once the right person has logged in.
	if next := safeNext(c.FormValue("next")); next != "" {
		return seeOther(c, h.url(RouteLogin)+"?next="+url.QueryEscape(next))
	}
	return seeOther(c, h.url(RouteLogin))
}

// startSession replaces any session the browser had with a new one (a fresh id at every login
// defeats session fixation).
func (h *Handlers) startSession(c echo.Context, u *models.User, amr ...string) error {
	ctx := c.Request().Context()
	if ck, err := c.Cookie(SessionCookie); err == nil {
		if err := h.store.DeleteSession(ctx, ck.Value); err != nil {
			return err
		}
	}
	token, sess, err := h.store.CreateSession(ctx, u.ID, h.sessionTTL, c.RealIP(), c.Request().UserAgent(), amr...)
	if err != nil {
		return err
	}
	c.SetCookie(h.cookie(SessionCookie, token, int(h.sessionTTL.Seconds())))
	SetCurrentUser(c, u)
	SetCurrentSession(c, sess)
	return nil
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
