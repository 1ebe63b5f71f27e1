package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

// dialectRow maps one typed protocol error to both wire dialects: RFC 6749/6750 JSON
// ({"error", "error_description"}) and the compatibility dialect ({"error_code", "message"}).
// Rows are matched in order with errors.Is, so finer causes come before their RFC code. This is
// the only place a protocol error becomes a status, so the two dialects cannot drift apart.
type dialectRow struct {
	err          *oauth.Error
	rfcStatus    int
	compatStatus int
	compatCode   string
}

var dialectTable = []dialectRow{
	{oauth.ErrMissingClient, http.StatusUnauthorized, http.StatusBadRequest, "API_VALIDATION_ERROR"},
	{oauth.ErrUnknownClient, http.StatusUnauthorized, http.StatusNotFound, "DATA_NOT_FOUND"},
	{oauth.ErrInvalidClient, http.StatusUnauthorized, http.StatusUnauthorized, "INVALID_CLIENT"},
	{oauth.ErrUnknownScope, http.StatusBadRequest, http.StatusBadRequest, "INVALID_SCOPE"},
	{oauth.ErrScopeNotAllowed, http.StatusBadRequest, http.StatusForbidden, "INVALID_SCOPE_ERROR"},
	{oauth.ErrInvalidScope, http.StatusBadRequest, http.StatusBadRequest, "INVALID_SCOPE"},
	{oauth.ErrInvalidTarget, http.StatusBadRequest, http.StatusBadRequest, "INVALID_TARGET"},
	{oauth.ErrInvalidGrant, http.StatusBadRequest, http.StatusBadRequest, "INVALID_GRANT"},
	{oauth.ErrInvalidRequest, http.StatusBadRequest, http.StatusBadRequest, "API_VALIDATION_ERROR"},
	{oauth.ErrUnsupportedGrantType, http.StatusBadRequest, http.StatusBadRequest, "API_VALIDATION_ERROR"},
	{oauth.ErrUnsupportedResponseType, http.StatusBadRequest, http.StatusBadRequest, "API_VALIDATION_ERROR"},
	{oauth.ErrUnauthorizedClient, http.StatusBadRequest, http.StatusForbidden, "UNAUTHORIZED_CLIENT"},
	{oauth.ErrDeviceDenied, http.StatusBadRequest, http.StatusForbidden, "ACCESS_DENIED"}, // a token response: RFC 6749 §5.2's 400
	{oauth.ErrAccessDenied, http.StatusForbidden, http.StatusForbidden, "ACCESS_DENIED"},
	{oauth.ErrInvalidToken, http.StatusUnauthorized, http.StatusUnauthorized, "INVALID_TOKEN"},
	{oauth.ErrInsufficientScope, http.StatusForbidden, http.StatusForbidden, "INSUFFICIENT_SCOPE"},
	{oauth.ErrServerError, http.StatusInternalServerError, http.StatusInternalServerError, "SERVER_ERROR"},
}

// classify finds err's row; anything that is not a protocol error is logged and becomes
// server_error, with no detail for the caller.
func classify(c echo.Context, err error) (*oauth.Error, dialectRow) {
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		c.Logger().Error(err)
		oe = oauth.ErrServerError
	}
	for _, row := range dialectTable {
		if errors.Is(oe, row.err) {
			return oe, row
		}
	}
	return oe, dialectRow{err: oe, rfcStatus: http.StatusBadRequest, compatStatus: http.StatusBadRequest, compatCode: "API_VALIDATION_ERROR"}
}

// oauthErrorJSON is the RFC 6749 §5.2 error body.
type oauthErrorJSON struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// writeOAuthError answers in the RFC dialect.
func writeOAuthError(c echo.Context, err error) error {
	if models.Unavailable(err) {
		return err // web's error handler answers 503 + Retry-After in this route's format
	}
	oe, row := classify(c, err)
	if row.rfcStatus == http.StatusUnauthorized && c.Response().Header().Get("WWW-Authenticate") == "" {
		// RFC 6749 §5.2 requires the challenge when the client used Basic; sending it always
		// also tells body-authenticating clients which scheme exists. A bearer endpoint
		// (userinfo) has set its own.
		c.Response().Header().Set("WWW-Authenticate", `Basic realm="devportal", charset="UTF-8"`)
	}
	noStore(c)
	return c.JSON(row.rfcStatus, oauthErrorJSON{Error: oe.Code, Description: oe.Description})
}

// compatErrorJSON is the compatibility dialect's error body.
type compatErrorJSON struct {
	ErrorCode string      `json:"error_code"`
	Message   string      `json:"message"`
	Links     *compatLink `json:"links,omitempty"`
}

type compatLink struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
}

// writeCompatError answers in the compatibility dialect, linking to the guide's error section.
func (h *Handlers) writeCompatError(c echo.Context, err error) error {
	if models.Unavailable(err) {
		return err // web's error handler answers 503 + Retry-After in this route's format
	}
	oe, row := classify(c, err)
	msg := oe.Description
	if msg == "" {
		msg = oe.Code
	}
	body := compatErrorJSON{ErrorCode: row.compatCode, Message: sentence(msg)}
	if row.compatStatus < 500 {
		body.Links = &compatLink{Href: h.issuer + h.url(RouteGuide) + "#errors", Rel: "docs"}
	}
	if row.compatStatus == http.StatusUnauthorized && c.Response().Header().Get("WWW-Authenticate") == "" {
		c.Response().Header().Set("WWW-Authenticate", `Basic realm="devportal", charset="UTF-8"`)
	}
	noStore(c)
	return c.JSON(row.compatStatus, body)
}

// sentence makes a message a sentence, leaving a leading parameter name (client_id) as written.
func sentence(msg string) string {
	first, _, _ := strings.Cut(msg, " ")
	if !strings.Contains(first, "_") {
		msg = oauth.Capitalize(msg)
	}
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
