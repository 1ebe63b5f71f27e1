package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
)

// Introspect is the RFC 7662 introspection endpoint. token_type_hint is accepted and not
// needed: a token's form tells its type.
func (h *Handlers) Introspect(c echo.Context) error {
	caller, form, err := h.protocolClient(c)
	if err != nil {
		return writeOAuthError(c, err)
	}
	out, err := h.oauth.Introspect(c.Request().Context(), caller, form.Get("token"))
	if err != nil {
		return writeOAuthError(c, err)
	}
	noStore(c)
	return c.JSON(http.StatusOK, out)
}

// Revoke is the RFC 7009 revocation endpoint. Browser pages may call it from the origins their
// application allows (CORS), so a single-page app can revoke its tokens at sign-out.
func (h *Handlers) Revoke(c echo.Context) error {
	origin := c.Request().Header.Get("Origin")
	caller, form, err := h.protocolClient(c)
	if err == nil {
		err = h.oauth.CheckOrigin(caller, origin)
	}
	if err == nil {
		err = h.oauth.Revoke(c.Request().Context(), caller, form.Get("token"))
	}
	h.corsResponse(c, origin, err)
	if err != nil {
		return writeOAuthError(c, err)
	}
	noStore(c)
	return c.NoContent(http.StatusOK)
}

// protocolClient parses a protocol form and authenticates the client that sent it.
func (h *Handlers) protocolClient(c echo.Context) (*models.Client, url.Values, error) {
	r := c.Request()
	form, err := parseProtocolForm(r)
	if err != nil {
		return nil, nil, err
	}
	id, secret, err := clientCredentials(r, form.Get("client_id"), form.Get("client_secret"))
	if err != nil {
		return nil, nil, err
	}
	caller, err := h.oauth.AuthenticateClient(r.Context(), id, secret)
	return caller, form, err
}
