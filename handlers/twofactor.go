package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/pages/account"
	"github.com/devportal/devportal/templates/pages/shared"
)

// twoFactorView is the two-factor section of the security page.
func (h *Handlers) twoFactorView(c echo.Context) (account.TwoFactorView, error) {
	ctx := c.Request().Context()
	u := CurrentUser(c)
	v := account.TwoFactorView{
		SetupURL: h.url(RouteTOTPSetup), EnableURL: h.url(RouteTOTPEnable),
		DisableURL: h.url(RouteTOTPDisable), RegenerateURL: h.url(RouteRecoveryCodes),
	}
	st, err := h.store.TOTPStatus(ctx, u.ID)
	if err != nil {
		return v, err
	}
	switch {
	case st.Enabled:
		v.Enabled, v.EnabledISO, v.EnabledAt, v.RecoveryLeft = true, isoTime(st.EnabledAt), humanTime(st.EnabledAt), st.RecoveryCodes
	case st.Pending:
		setup, err := h.store.PendingTOTP(ctx, h.totpKey, u)
		if err != nil {
			return v, err
		}
		v.Setup = &account.TOTPSetupView{Secret: setup.Secret, URI: setup.URI}
	}
	return v, nil
}

// securityWithCodeError shows the security page again with a code field's error.
func (h *Handlers) securityWithCodeError(c echo.Context, status int, field, msg string) error {
	v, err := h.securityView(c)
	if err != nil {
		return err
	}
	v.TwoFactor.Errors = shared.Errors{field: msg}
	return h.render(c, status, account.Security(v))
}

// codeRefusal turns a refused code into what the form shows and its status; other errors are
// returned as they are.
func (h *Handlers) codeRefusal(c echo.Context, field string, err error) error {
	var te *models.ThrottleError
	switch {
	case errors.As(err, &te):
		return h.securityWithCodeError(c, http.StatusTooManyRequests, field, h.otpThrottled(c, te, CurrentUser(c).Email))
	case errors.Is(err, models.ErrBadCredential):
		return h.securityWithCodeError(c, http.StatusUnprocessableEntity, field, models.ErrorMessage(err))
	}
	return err
}

// SetupTOTP starts setting up an authenticator app: a new secret, kept sealed in the database
// until a code from the app turns it on. It ends on the security page, which shows the secret
// and its QR code, so a reload repeats nothing.
func (h *Handlers) SetupTOTP(c echo.Context) error {
	if _, err := h.store.BeginTOTP(c.Request().Context(), h.totpKey, CurrentUser(c)); err != nil {
		if errors.Is(err, models.ErrTOTPEnabled) {
			h.flash(c, "info", "Two-factor authentication is already on.")
			return seeOther(c, h.url(RouteSecurity))
		}
		return err
	}
	return seeOther(c, h.url(RouteSecurity)+"#two-factor")
}

// EnableTOTP turns two-factor on once the code matches the pending secret, and sends the browser
// to the recovery codes, shown once from a reveal: a reload shows them no more and posts nothing.
func (h *Handlers) EnableTOTP(c echo.Context) error {
	u := CurrentUser(c)
	code := c.FormValue("code")
	if !models.ValidSecondFactorInput(code) {
		return h.securityWithCodeError(c, http.StatusUnprocessableEntity, "enable-code", "Enter the 6-digit code your app shows.")
	}
	codes, err := h.store.EnableTOTP(c.Request().Context(), h.totpKey, u.ID, code, h.now())
	switch {
	case errors.Is(err, models.ErrTOTPEnabled):
		h.flash(c, "info", "Two-factor authentication is already on. Your recovery codes were shown when you turned it on.")
		return seeOther(c, h.url(RouteSecurity))
	case errors.Is(err, models.ErrNotFound):
		h.flash(c, "error", "Start the set-up first: choose “Set up authenticator app”.")
		return seeOther(c, h.url(RouteSecurity))
	case err != nil:
		return h.codeRefusal(c, "enable-code", err)
	}
	h.audit(c, models.AuditTOTPEnabled, u.Email, "")
	h.notifyAccount(c, u, "Two-factor authentication is on", "Two-factor authentication was turned on for your devportal account", "Logging in now asks for a code from your authenticator app after your password.")
	return h.revealRecoveryCodes(c, codes, "Two-factor authentication is on.")
}

// DisableTOTP turns two-factor off, which takes a fresh code: a session left open must not be
// enough to remove the second factor.
func (h *Handlers) DisableTOTP(c echo.Context) error {
	u := CurrentUser(c)
	code := c.FormValue("code")
	if !models.ValidSecondFactorInput(code) {
		return h.securityWithCodeError(c, http.StatusUnprocessableEntity, "disable-code", "Enter the 6-digit code your app shows, or a recovery code.")
	}
	err := h.store.DisableTOTP(c.Request().Context(), h.totpKey, u.ID, code, h.now())
	if err != nil {
		return h.codeRefusal(c, "disable-code", err)
	}
	h.audit(c, models.AuditTOTPDisabled, u.Email, "")
	h.notifyAccount(c, u, "Two-factor authentication is off", "Two-factor authentication was turned off for your devportal account", "Logging in no longer asks for a code from your authenticator app.")
	h.flash(c, "success", "Two-factor authentication is off. Logging in asks for your password only.")
	return seeOther(c, h.url(RouteSecurity))
}

// RegenerateRecoveryCodes replaces the recovery codes (a current code from the app required) and
// sends the browser to the new ones, shown once.
func (h *Handlers) RegenerateRecoveryCodes(c echo.Context) error {
	u := CurrentUser(c)
	codes, err := h.store.RegenerateRecoveryCodes(c.Request().Context(), h.totpKey, u.ID, c.FormValue("code"), h.now())
	if err != nil {
		return h.codeRefusal(c, "regenerate-code", err)
	}
	h.audit(c, models.AuditRecoveryCodesReset, u.Email, "")
	h.notifyAccount(c, u, "New recovery codes", "New recovery codes were made for your devportal account", "Your earlier recovery codes no longer work.")
	return h.revealRecoveryCodes(c, codes, "New recovery codes. The old ones no longer work.")
}

// revealRecoveryCodes keeps fresh recovery codes for the recovery-codes page and sends the
// browser there (post / redirect / get), with done as the page's message.
func (h *Handlers) revealRecoveryCodes(c echo.Context, codes []string, done string) error {
	payload, err := json.Marshal(codes)
	if err != nil {
		return err
	}
	if err := h.putReveal(c, models.RevealRecoveryCodes, strconv.FormatInt(CurrentUser(c).ID, 10), payload); err != nil {
		return err
	}
	h.flash(c, "success", done)
	return seeOther(c, h.url(RouteRecoveryCodes))
}

// RecoveryCodesPage shows the recovery codes just made for this session, once. Loaded again (a
// reload, the back button, another tab) it has nothing to show and goes to the security page.
func (h *Handlers) RecoveryCodesPage(c echo.Context) error {
	payload, err := h.takeReveal(c, models.RevealRecoveryCodes, strconv.FormatInt(CurrentUser(c).ID, 10))
	if err != nil {
		return err
	}
	var codes []string
	if payload != nil {
		if err := json.Unmarshal(payload, &codes); err != nil {
			return err
		}
	}
	if len(codes) == 0 {
		h.flash(c, "info", "Recovery codes are shown only once, right after they are made. To get new ones, regenerate them below.")
		return seeOther(c, h.url(RouteSecurity)+"#two-factor")
	}
	return h.render(c, http.StatusOK, account.RecoveryCodes(account.RecoveryCodesView{Base: h.base(c, "Recovery codes", "account"), Codes: codes, Done: h.url(RouteSecurity)}))
}

// otpThrottled answers a code refused by a second-factor throttle like throttled does for
// passwords: Retry-After, one audit entry per window, and what happened in words.
func (h *Handlers) otpThrottled(c echo.Context, te *models.ThrottleError, email string) string {
	setRetryAfter(c, te.RetryAfter)
	wait := humanWait(te.RetryAfter)
	if te.First {
		detail := fmt.Sprintf("%d wrong authentication codes within %s; further codes refused", te.Max, humanWait(te.Window))
		h.auditEvent(c, &models.AuditEvent{Type: models.AuditLoginThrottled, Target: email, IP: c.RealIP(), Detail: detail})
	}
	if te.Rule == models.ThrottleOTPPending {
		return "Too many wrong codes. Log in again with your password to get more tries."
	}
	return "Too many wrong codes for this account. Wait " + wait + " and try again."
}

// HasSecondFactor reports whether a session authenticated with amr (RFC 8176) used more than a
// password: a second factor ("mfa") or a passkey ("hwk", itself possession plus the device's
// user verification).
func HasSecondFactor(amr []string) bool {
	return slices.Contains(amr, "mfa") || slices.Contains(amr, "hwk")
}

// AdminLacksSecondFactor reports whether the signed-in administrator must still set up a second
// factor before the admin pages open (DEVPORTAL_REQUIRE_ADMIN_2FA): their session used none
// and their account has no authenticator turned on (one turned on in this session counts).
func (h *Handlers) AdminLacksSecondFactor(c echo.Context) (bool, error) {
	if !h.requireAdmin2FA {
		return false, nil
	}
	if s := CurrentSession(c); s != nil && HasSecondFactor(s.AMR) {
		return false, nil
	}
	st, err := h.store.TOTPStatus(c.Request().Context(), CurrentUser(c).ID)
	return !st.Enabled, err
}

// adminNeeds2FA is what an administrator without a second factor is told.
const adminNeeds2FA = "Administrators must use two-factor authentication. Set up an authenticator app to open the admin pages."

// SendToSetUpSecondFactor sends an administrator without a second factor to the security page
// (a page load) or refuses the request (a form).
func (h *Handlers) SendToSetUpSecondFactor(c echo.Context) error {
	if c.Request().Method != http.MethodGet && c.Request().Method != http.MethodHead {
		return echo.NewHTTPError(http.StatusForbidden, adminNeeds2FA)
	}
	h.flash(c, "error", adminNeeds2FA)
	return c.Redirect(http.StatusFound, h.url(RouteSecurity))
}
