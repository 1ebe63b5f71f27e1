package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/pages"
)

// ErrorHandler is the one place a failed request becomes a response: JSON for the protocol and
// API endpoints, a page for people. Internal errors are logged and never shown.
func (h *Handlers) ErrorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if p := c.Request().URL.Path; strings.HasPrefix(p, "/api/") || p == "/oauth/tokens" {
		_ = h.WriteAPIError(c, err) // the compatibility dialect's error shape
		return
	}
	if errors.Is(err, models.ErrBusy) { // overload, not a fault: no log line per refused request
		err = echo.NewHTTPError(http.StatusServiceUnavailable, busy(c))
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment."
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		if m, ok := he.Message.(string); ok && (status < 500 || status == http.StatusServiceUnavailable) {
			msg = m
		}
	}
	if status >= 500 && status != http.StatusServiceUnavailable {
		c.Logger().Errorf("%s %s: %v", c.Request().Method, c.Request().URL.Path, err)
	}
	asJSON := wantsJSON(c)
	msg = routingMessage(c, status, msg, !asJSON)
	if asJSON {
		code := "invalid_request" // RFC 6749 has no code for a wrong path or method
		if status >= 500 {
			code = "server_error"
		}
		_ = c.JSON(status, oauthErrorJSON{Error: code, Description: msg})
		return
	}
	heading := map[int]string{
		http.StatusNotFound:         "Page not found",
		http.StatusForbidden:        "You cannot do that",
		http.StatusMethodNotAllowed: "That action is not available here",
		http.StatusBadRequest:       "That request could not be handled",
	}[status]
	if heading == "" {
		heading = http.StatusText(status)
	}
	if CurrentUser(c) != nil {
		noStore(c) // the page names who is signed in: keep it out of caches, like every signed-in page
	}
	_ = render(c, status, pages.ErrorPage(pages.ErrorView{Base: h.base(c, heading, ""), Status: status, Heading: heading, Message: msg}))
}

// routingMessage explains Echo's bare 404 and 405 to a person (people) or a program; other
// messages pass through.
func routingMessage(c echo.Context, status int, msg string, people bool) string {
	if msg != http.StatusText(status) {
		return msg
	}
	switch {
	case status == http.StatusNotFound && people:
		return "The address may be mistyped, or the page was removed."
	case status == http.StatusNotFound:
		return "There is no endpoint at this path; see /docs/api"
	case status == http.StatusMethodNotAllowed && people:
		return "Use the buttons and links of the portal instead of typing this address."
	case status == http.StatusMethodNotAllowed:
		return "This endpoint does not accept " + c.Request().Method + "; the Allow header lists what it accepts"
	}
	return msg
}

func wantsJSON(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/oauth/token") || strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/.well-known/") ||
		strings.HasPrefix(p, "/oauth/introspect") || strings.HasPrefix(p, "/oauth/revoke")
}

// apiCodes names the compatibility dialect's error_code for plain HTTP failures of the API.
var apiCodes = map[int]string{
	http.StatusBadRequest:            "API_VALIDATION_ERROR",
	http.StatusUnsupportedMediaType:  "API_VALIDATION_ERROR",
	http.StatusRequestEntityTooLarge: "API_VALIDATION_ERROR",
	http.StatusForbidden:             "REQUEST_FORBIDDEN_ERROR",
	http.StatusNotFound:              "DATA_NOT_FOUND",
	http.StatusMethodNotAllowed:      "METHOD_NOT_ALLOWED",
}

// WriteAPIError answers a protected-API failure in the compatibility dialect. Protocol errors
// (invalid_token, insufficient_scope) go through the one dialect table and get their RFC 6750
// WWW-Authenticate challenge.
func (h *Handlers) WriteAPIError(c echo.Context, err error) error {
	var oe *oauth.Error
	if errors.As(err, &oe) {
		challenge := fmt.Sprintf(`Bearer realm="devportal", error=%q, error_description=%q`, oe.Code, oe.Description)
		if errors.Is(oe, oauth.ErrInsufficientScope) {
			if scope, ok := c.Get(requiredScopeKey).(string); ok {
				challenge += fmt.Sprintf(`, scope=%q`, scope)
			}
		}
		c.Response().Header().Set("WWW-Authenticate", challenge)
		return h.writeCompatError(c, oe)
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on our side."
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		if m, ok := he.Message.(string); ok && status < 500 {
			msg = oauth.Capitalize(routingMessage(c, status, m, false))
		}
	} else {
		c.Logger().Errorf("%s %s: %v", c.Request().Method, c.Request().URL.Path, err)
	}
	code, ok := apiCodes[status]
	if !ok {
		code = "SERVER_ERROR"
	}
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	noStore(c)
	return c.JSON(status, compatErrorJSON{ErrorCode: code, Message: msg})
}
