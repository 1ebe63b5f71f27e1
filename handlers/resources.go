package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
)

// ProtectedResourcePrefix is where the RFC 9728 §3 documents of the APIs under the issuer
// live: the document of {issuer}/api/v1 is at {issuer}/.well-known/oauth-protected-resource/api/v1.
const ProtectedResourcePrefix = "/.well-known/oauth-protected-resource"

// ProtectedResourceMetadataURL is the RFC 9728 document URL of the API identified by resource,
// which must be the issuer or under it (RFC 9728 §3.1 inserts the well-known path between the
// host and the resource's path; the issuer's own path, if any, stays in front).
func ProtectedResourceMetadataURL(issuer, resource string) string {
	return issuer + ProtectedResourcePrefix + strings.TrimPrefix(resource, issuer)
}

// ProtectedResource serves the RFC 9728 document of an API whose identifier is under the
// issuer: GET /.well-known/oauth-protected-resource/<path of its identifier>. Public and
// cacheable, like the authorization server's metadata.
func (h *Handlers) ProtectedResource(c echo.Context) error {
	rest := strings.TrimPrefix(c.Request().URL.Path, ProtectedResourcePrefix)
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
