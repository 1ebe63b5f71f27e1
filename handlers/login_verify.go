package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/pages/auth"
)

// PendingLoginCookie carries a login between the password and the second factor. It is signed,
// names one account, lasts pendingLoginTTL and opens no page but /login/verify: it is not a
// session.
const PendingLoginCookie = "devportal_login_pending"

const pendingLoginTTL = 5 * time.Minute

// pendingLogin is what the pending-login cookie says.
type pendingLogin struct {
	UserID  int64
	Expires time.Time
	// ID names this pending login for its own throttle of wrong codes.
	ID   string
	Next string
}

func (h *Handlers) pendingMAC(payload string) string {
	m := hmac.New(sha256.New, h.pendingKey)
	m.Write([]byte("pending-login|" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// startPendingLogin remembers, in a signed cookie, that u gave the right password, and sends
// the browser on to the second step.
func (h *Handlers) startPendingLogin(c echo.Context, u *models.User, next string) error {
	p := pendingLogin{UserID: u.ID, Expires: h.now().Add(pendingLoginTTL), ID: models.NewID(16), Next: safeNext(next)}
	raw := strconv.FormatInt(p.UserID, 10) + "|" + strconv.FormatInt(p.Expires.Unix(), 10) + "|" + p.ID + "|" + p.Next
	payload := base64.RawURLEncoding.EncodeToString([]byte(raw))
	c.SetCookie(h.cookie(PendingLoginCookie, payload+"."+h.pendingMAC(payload), int(pendingLoginTTL.Seconds())))
	return seeOther(c, h.url(RouteLoginVerify))
}

// pendingLoginOf reads the browser's pending login, if its signature holds and it has not
// expired.
func (h *Handlers) pendingLoginOf(c echo.Context) (pendingLogin, bool) {
	var p pendingLogin
	ck, err := c.Cookie(PendingLoginCookie)
	if err != nil {
		return p, false
	}
	payload, mac, ok := strings.Cut(ck.Value, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(h.pendingMAC(payload))) {
		return p, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return p, false
	}
	parts := strings.SplitN(string(raw), "|", 4)
	if len(parts) != 4 {
		return p, false
	}
	uid, err1 := strconv.ParseInt(parts[0], 10, 64)
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return p, false
	}
	p = pendingLogin{UserID: uid, Expires: time.Unix(exp, 0), ID: parts[2], Next: safeNext(parts[3])}
	if !h.now().Before(p.Expires) {
		return p, false
	}
	return p, true
}

func (h *Handlers) endPendingLogin(c echo.Context) {
	c.SetCookie(h.cookie(PendingLoginCookie, "", -1))
}

// restartLogin sends a browser whose pending login is missing, expired or spent back to the
// password.
func (h *Handlers) restartLogin(c echo.Context, msg string) error {
	h.endPendingLogin(c)
	h.flash(c, "error", msg)
	return seeOther(c, h.url(RouteLogin))
}

const pendingExpired = "That login has expired. Enter your email and password again."

// VerifyPage is the second step of logging in: the authentication code, or one of the
// account's passkeys.
func (h *Handlers) VerifyPage(c echo.Context) error {
	p, ok := h.pendingLoginOf(c)
	if !ok {
		return h.restartLogin(c, pendingExpired)
	}
	v, err := h.verifyView(c, p, "")
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, auth.Verify(v))
}

// verifyView is the second-step page of p, offering the account's passkeys when it has any.
func (h *Handlers) verifyView(c echo.Context, p pendingLogin, msg string) (auth.VerifyView, error) {
	v := auth.VerifyView{Base: h.base(c, "Two-factor authentication", ""), Action: h.url(RouteLoginVerify), Error: msg}
	if h.passkeys == nil {
		return v, nil
	}
	keys, err := h.store.UserPasskeys(c.Request().Context(), p.UserID)
	if err != nil {
		return v, err
	}
	if len(keys) > 0 {
		v.PasskeyBegin, v.PasskeyFinish, v.Next = h.url(RoutePasskeyVerifyBegin), h.url(RoutePasskeyVerify), p.Next
	}
	return v, nil
}

// pendingUser is the account whose password was accepted by this browser's pending login: the
// one a passkey may then complete as the second factor.
func (h *Handlers) pendingUser(c echo.Context) (*models.User, error) {
	p, ok := h.pendingLoginOf(c)
	if !ok {
		return nil, models.ErrForbidden.Describe(pendingExpired)
	}
	u, err := h.store.UserByID(c.Request().Context(), p.UserID)
	if err != nil || u.DisabledAt != nil {
		return nil, models.ErrForbidden.Describe("This account cannot sign in. Contact an administrator.")
	}
	return u, nil
}

// PasskeyVerifyBegin and PasskeyVerify let one of the account's passkeys be the second factor.
func (h *Handlers) PasskeyVerifyBegin(c echo.Context) error {
	return h.PasskeySecondFactorBegin(h.pendingUser)(c)
}

// PasskeyVerify finishes a passkey second factor: the password and the passkey (RFC 8176 "mfa").
func (h *Handlers) PasskeyVerify(c echo.Context) error {
	return h.PasskeySecondFactorFinish(h.pendingUser, func(c echo.Context, u *models.User, amr ...string) error {
		p, _ := h.pendingLoginOf(c)
		h.endPendingLogin(c)
		all := []string{"pwd"}
		for _, a := range append(amr, "mfa") {
			if !slices.Contains(all, a) {
				all = append(all, a)
			}
		}
		return h.completeLogin(c, u, p.Next, all...)
	})(c)
}

// Verify checks the second factor of a pending login (a TOTP code or a recovery code) under its
// throttles, and then ends the login like any other.
func (h *Handlers) Verify(c echo.Context) error {
	p, ok := h.pendingLoginOf(c)
	if !ok {
		return h.restartLogin(c, pendingExpired)
	}
	show := func(status int, msg string) error {
		v, err := h.verifyView(c, p, msg)
		if err != nil {
			return err
		}
		return h.render(c, status, auth.Verify(v))
	}
	ctx := c.Request().Context()
	u, err := h.store.UserByID(ctx, p.UserID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && u.DisabledAt != nil) {
		return h.restartLogin(c, "This account cannot sign in. Contact an administrator.")
	}
	if err != nil {
		return err
	}
	code := c.FormValue("code")
	if !models.ValidSecondFactorInput(code) {
		return show(http.StatusUnprocessableEntity, "Enter the 6-digit code from your authenticator app, or a recovery code.")
	}
	factor, err := h.store.VerifySecondFactor(ctx, h.totpKey, models.OTPAttempt{UserID: u.ID, Pending: p.ID}, code, h.now())
	var te *models.ThrottleError
	switch {
	case errors.As(err, &te):
		msg := h.otpThrottled(c, te, u.Email)
		if te.Rule == models.ThrottleOTPPending {
			return h.restartLogin(c, msg)
		}
		return show(http.StatusTooManyRequests, msg)
	case errors.Is(err, models.ErrBadCredential):
		h.auditEvent(c, &models.AuditEvent{Type: models.AuditLoginFailed, Actor: u.Email, Target: u.Email, IP: c.RealIP(), Detail: "wrong authentication code"})
		return show(http.StatusUnauthorized, models.ErrorMessage(err))
	case err != nil:
		return err
	}
	h.endPendingLogin(c)
	// RFC 8176 §2: "otp" is a one-time password, here the app's TOTP code; "mfa" says two
	// factors were used. A recovery code is a second factor too, but not the device the "otp"
	// value implies, so a relying party that asks for otp does not get it from a recovery code.
	amr := []string{"pwd", "otp", "mfa"}
	if factor == models.FactorRecovery {
		amr = []string{"pwd", "mfa"}
		h.flash(c, "info", "You used a recovery code; it will not work again. If you lost your authenticator app, set up a new one on the Security page.")
	}
	return h.completeLogin(c, u, p.Next, amr...)
}
