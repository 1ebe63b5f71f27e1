package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/pages/admin"
	"github.com/devportal/devportal/templates/pages/shared"
)

// regTokensShown is how many initial access tokens the admin page lists, newest first.
const regTokensShown = 100

// AdminRegistrationTokens lists the initial access tokens of dynamic client registration and,
// right after one was created, shows it once.
func (h *Handlers) AdminRegistrationTokens(c echo.Context) error {
	v := admin.RegTokensView{Form: admin.RegTokenForm{ExpiresIn: "24h", Uses: "10"}}
	if id := c.QueryParam("created"); id != "" {
		token, err := h.takeReveal(c, models.RevealRegistrationToken, id)
		if err != nil {
			return err
		}
		v.NewToken = string(token)
	}
	return h.renderRegTokens(c, http.StatusOK, v)
}

func (h *Handlers) renderRegTokens(c echo.Context, status int, v admin.RegTokensView) error {
	v.Base, v.Policy, v.SaveURL = h.base(c, "Registration tokens · Admin", "admin"), h.dcr, h.url(RouteAdminRegTokens)
	tokens, err := h.store.RegistrationTokens(c.Request().Context(), regTokensShown)
	if err != nil {
		return err
	}
	now := h.now()
	for _, t := range tokens {
		status := t.Status(now)
		v.Tokens = append(v.Tokens, admin.RegTokenRow{
			ID: t.ID, Hint: t.Hint, Status: status, Active: status == "active", UsesLeft: t.UsesLeft, Uses: t.Uses, CreatedBy: t.CreatedBy,
			CreatedISO: isoTime(t.CreatedAt), Created: humanTime(t.CreatedAt), ExpiresISO: isoTime(t.ExpiresAt), Expires: humanTime(t.ExpiresAt),
			RevokeURL: h.url(RouteRevokeRegToken, t.ID),
		})
	}
	if v.NewToken != "" {
		noStore(c)
	}
	return h.render(c, status, admin.AdminRegTokens(v))
}

// CreateRegistrationToken makes an initial access token and redirects to the list, which
// shows it once (post / redirect / get, like a new client secret).
func (h *Handlers) CreateRegistrationToken(c echo.Context) error {
	f := admin.RegTokenForm{ExpiresIn: strings.TrimSpace(c.FormValue("expires_in")), Uses: strings.TrimSpace(c.FormValue("uses")), Errors: shared.Errors{}}
	ttl, err := time.ParseDuration(f.ExpiresIn)
	if err != nil || ttl < models.MinRegistrationTokenTTL || ttl > models.MaxRegistrationTokenTTL {
		f.Errors["expires_in"] = "Enter a duration between 1m and 8760h, such as 24h."
	}
	uses, err := strconv.Atoi(f.Uses)
	if err != nil || uses < 1 || uses > models.MaxRegistrationTokenUses {
		f.Errors["uses"] = "Enter a whole number from 1 to 1000."
	}
	if len(f.Errors) > 0 {
		return h.renderRegTokens(c, http.StatusUnprocessableEntity, admin.RegTokensView{Form: f})
	}
	t, token, err := h.store.CreateRegistrationToken(auditContext(c), ttl, uses, h.now())
	if err != nil {
		return err
	}
	if err := h.putReveal(c, models.RevealRegistrationToken, t.ID, []byte(token)); err != nil {
		return err
	}
	h.flash(c, "success", "The registration token was created.")
	return seeOther(c, h.url(RouteAdminRegTokens)+"?created="+t.ID)
}

// ConfirmRevokeRegistrationToken asks before revoking an initial access token.
func (h *Handlers) ConfirmRevokeRegistrationToken(c echo.Context) error {
	t, err := h.store.RegistrationTokenByID(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, shared.Confirm(shared.ConfirmView{
		Base: h.base(c, "Revoke registration token · Admin", "admin"), Heading: "Revoke the registration token …" + t.Hint + "?",
		Message: "No more clients can register with it. The clients it already registered keep working; suspend or revoke them on the clients page.",
		Action:  h.url(RouteRevokeRegToken, t.ID), Button: "Revoke", Cancel: h.url(RouteAdminRegTokens),
	}))
}

// RevokeRegistrationToken stops an initial access token from registering more clients.
func (h *Handlers) RevokeRegistrationToken(c echo.Context) error {
	err := h.store.RevokeRegistrationToken(auditContext(c), c.Param("id"), h.now())
	switch {
	case errors.Is(err, models.ErrNotFound):
		h.flash(c, "info", "That registration token was already revoked, or does not exist.")
	case err != nil:
		return err
	default:
		h.flash(c, "success", "The registration token was revoked.")
	}
	return seeOther(c, h.url(RouteAdminRegTokens))
}

// registrationNote says on a dynamic client's admin page how it registered.
func registrationNote(policy string) string {
	switch policy {
	case models.DCRToken:
		return "with an initial access token (RFC 7591)"
	case models.DCROpen:
		return "through open registration (RFC 7591)"
	}
	return "(RFC 7591)"
}
