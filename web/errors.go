package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/handlers"
	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

// errorFormat is how a route group answers a failed request.
type errorFormat int

const (
	pageErrors   errorFormat = iota // an HTML page for people
	oauthErrors                     // RFC 6749 §5.2 JSON: {"error","error_description"}
	compatErrors                    // the compatibility dialect: {"error_code","message"}
)

const errorFormatKey = "devportal.error_format"

// errorsAs is the middleware by which a route group (routes.go) says how its errors are
// answered, so the error handler never guesses it from the path's spelling.
func errorsAs(f errorFormat) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(errorFormatKey, f)
			return next(c)
		}
	}
}

// formatOf is the error format of the request's route group, or for a request no group
// middleware ran for, unroutedFormat.
func formatOf(c echo.Context) errorFormat {
	if f, ok := c.Get(errorFormatKey).(errorFormat); ok {
		return f
	}
	return unroutedFormat(c.Request().URL.Path)
}

// unroutedFormat is the one place a path decides the error format: for requests that matched
// no route (Echo's 404 and 405 run no group middleware) and the few routes outside the groups
// (health checks, static files). It follows the prefixes of the route table's machine-facing
// groups: the sample API and the compatibility token endpoint answer in the compatibility
// dialect; the protocol endpoints (and any path that starts like one, /oauth/tokens/x too) and
// /.well-known/ in RFC 6749 JSON; everything else with a page.
func unroutedFormat(p string) errorFormat {
	switch {
	case strings.HasPrefix(p, "/api/") || p == "/oauth/tokens":
		return compatErrors
	case strings.HasPrefix(p, Paths["token"]) || strings.HasPrefix(p, Paths["introspection"]) ||
		strings.HasPrefix(p, Paths["revocation"]) || strings.HasPrefix(p, "/.well-known/"):
		return oauthErrors
	}
	return pageErrors
}

// domainStatus is the one table from a domain error's code (models.E*) to the HTTP status every
// format answers it with; the message shown is the error's own, written for people. A code not
// here, like any error that is neither a domain, protocol nor echo.HTTPError, is internal:
// logged, answered 500, never shown. Protocol errors (*oauth.Error) have their own table of
// both dialects' codes and statuses in handlers/dialects.go (classify).
var domainStatus = map[string]int{
	models.ENotFound:       http.StatusNotFound,
	models.EDuplicate:      http.StatusConflict,
	models.EInvalid:        http.StatusBadRequest,
	models.ETooLong:        http.StatusBadRequest,
	models.EBadCredential:  http.StatusUnauthorized,
	models.EDisabled:       http.StatusForbidden,
	models.EAlreadyUsed:    http.StatusConflict,
	models.ELastAdmin:      http.StatusConflict,
	models.EClientStatus:   http.StatusConflict,
	models.ETooManySecrets: http.StatusConflict,
	models.EThrottled:      http.StatusTooManyRequests,
	models.EBusy:           http.StatusServiceUnavailable,
	models.EForbidden:      http.StatusForbidden,
	models.ELinkInvalid:    http.StatusBadRequest,
}

// pageHeadings title the error page by status; other statuses use their status text.
var pageHeadings = map[int]string{
	http.StatusNotFound:         "Page not found",
	http.StatusForbidden:        "You cannot do that",
	http.StatusMethodNotAllowed: "That action is not available here",
	http.StatusBadRequest:       "That request could not be handled",
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

// errorHandler is the one place a failed request becomes a response, in the format of its
// route group. Internal errors are logged and never shown.
func errorHandler(h *handlers.Handlers) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		err = statusOf(c, err)
		switch formatOf(c) {
		case compatErrors:
			_ = writeCompatError(h, c, err)
		case oauthErrors:
			status, msg := shown(c, err)
			code := "invalid_request" // RFC 6749 has no code for a wrong path or method
			if status >= 500 {
				code = "server_error"
			}
			_ = c.JSON(status, oauthErrorBody{Error: code, Description: routingMessage(c, status, msg, false)})
		default:
			status, msg := shown(c, err)
			heading := pageHeadings[status]
			if heading == "" {
				heading = http.StatusText(status)
			}
			_ = h.ErrorPage(c, status, heading, routingMessage(c, status, msg, true))
		}
	}
}

// statusOf turns a domain error into the echo.HTTPError of its status (domainStatus), with its
// message for people; other errors pass through.
func statusOf(c echo.Context, err error) error {
	if errors.Is(err, models.ErrBusy) { // overload, not a fault: no log line per refused request
		return echo.NewHTTPError(http.StatusServiceUnavailable, handlers.Busy(c))
	}
	var de *models.Error
	if !errors.As(err, &de) {
		return err
	}
	status, ok := domainStatus[de.Code]
	if !ok {
		return err
	}
	msg := oauth.Capitalize(de.Message)
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return echo.NewHTTPError(status, msg)
}

// shown is the status and message a page or RFC 6749 JSON answer gives for err; it logs internal
// errors.
func shown(c echo.Context, err error) (int, string) {
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
	return status, msg
}

// oauthErrorBody is the RFC 6749 §5.2 error body.
type oauthErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// compatErrorBody is the compatibility dialect's error body for plain HTTP failures.
type compatErrorBody struct {
	ErrorCode string `json:"error_code"`
	Message   string `json:"message"`
}

// writeCompatError answers in the compatibility dialect. Protocol errors go through
// handlers.WriteAPIError (the dialect table and the RFC 6750 challenge).
func writeCompatError(h *handlers.Handlers, c echo.Context, err error) error {
	var oe *oauth.Error
	if errors.As(err, &oe) {
		return h.WriteAPIError(c, err)
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
	handlers.NoStore(c)
	return c.JSON(status, compatErrorBody{ErrorCode: code, Message: msg})
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
