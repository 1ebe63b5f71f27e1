package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

// ProtectedResource serves the RFC 9728 document of an API whose identifier is under the
// issuer: GET /.well-known/oauth-protected-resource/<path of its identifier>. Public and
// cacheable, like the authorization server's metadata.
func (h *Handlers) ProtectedResource(c echo.Context) error {
	rest := strings.TrimPrefix(c.Request().URL.Path, oauth.ProtectedResourcePrefix)
	md, err := h.oauth.ProtectedResource(c.Request().Context(), h.issuer+rest)
	if errors.Is(err, models.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "no API of this server is identified by "+h.issuer+rest)
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	allowAnyOrigin(c) // browser-based MCP clients discover the resource too
	return c.JSON(http.StatusOK, md)
}

// Issuer is the issuer the handlers build absolute URLs from.
func (h *Handlers) Issuer() string { return h.issuer }
