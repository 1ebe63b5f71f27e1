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
		strings.HasPrefix(p, Paths["revocation"]) || strings.HasPrefix(p, Paths["userinfo"]) || strings.HasPrefix(p, "/.well-known/"):
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
	models.EUnavailable:    http.StatusServiceUnavailable,
}

// unavailableRetryAfter is the Retry-After (RFC 9110 §10.2.3), in seconds, of a request refused
// because the database cannot be reached: long enough not to hammer a database coming back up,
// short enough that a blip costs a client little.
const unavailableRetryAfter = "5"

// pageHeadings title the error page by status; other statuses use their status text.
var pageHeadings = map[int]string{
	http.StatusNotFound:           "Page not found",
	http.StatusForbidden:          "You cannot do that",
	http.StatusMethodNotAllowed:   "That action is not available here",
	http.StatusBadRequest:         "That request could not be handled",
	http.StatusServiceUnavailable: "Temporarily unavailable",
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
// route group. Internal errors are logged (rate-limited, with the request's id) and never
// shown; a client that went away is no error of ours and is not logged at all.
func errorHandler(h *handlers.Handlers, errs *errorLog) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed || clientGone(c, err) {
			return
		}
		err = statusOf(c, err)
		switch formatOf(c) {
		case compatErrors:
			_ = writeCompatError(h, c, errs, err)
		case oauthErrors:
			status, msg := shown(c, errs, err)
			code := "invalid_request" // RFC 6749 has no code for a wrong path or method
			switch {
			case status == http.StatusServiceUnavailable:
				// RFC 6749 §4.1.2.1 defines temporarily_unavailable for exactly this ("temporary
				// overloading or maintenance"), and it is registered in the OAuth Extensions Error
				// Registry (§11.4). §5.2's list for the token endpoint has no code for a server
				// failure at all (server_error is §4.1.2.1's too), so we use the one that tells a
				// client to retry rather than the one that says we are broken; 503 and Retry-After
				// say the same to plain HTTP code.
				code = "temporarily_unavailable"
			case status >= 500:
				code = "server_error"
			}
			_ = c.JSON(status, oauthErrorBody{Error: code, Description: routingMessage(c, status, msg, false)})
		default:
			status, msg := shown(c, errs, err)
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
	if models.Unavailable(err) {
		// Not the request's fault and gone when the database is back: 503, retry shortly. The
		// cause is logged (rate-limited) where the answer is written.
		c.Response().Header().Set("Retry-After", unavailableRetryAfter)
		return &echo.HTTPError{Code: http.StatusServiceUnavailable, Message: "The service is temporarily unavailable. Try again in a few seconds.", Internal: err}
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
func shown(c echo.Context, errs *errorLog, err error) (int, string) {
	status, msg := http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment."
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		if m, ok := he.Message.(string); ok && (status < 500 || status == http.StatusServiceUnavailable) {
			msg = m
		}
	}
	logInternal(c, errs, status, err)
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
func writeCompatError(h *handlers.Handlers, c echo.Context, errs *errorLog, err error) error {
	var oe *oauth.Error
	if errors.As(err, &oe) {
		return h.WriteAPIError(c, err)
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on our side."
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		if m, ok := he.Message.(string); ok && (status < 500 || status == http.StatusServiceUnavailable) {
			msg = oauth.Capitalize(routingMessage(c, status, m, false))
		}
	}
	logInternal(c, errs, status, err)
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

// logInternal logs the cause of a 5xx answer: an internal error, or the database error behind a
// 503. Busy's 503 is overload with no cause worth a line per refused request.
func logInternal(c echo.Context, errs *errorLog, status int, err error) {
	var he *echo.HTTPError
	switch {
	case status < 500:
	case errors.As(err, &he) && he.Internal != nil:
		logRequestError(c, errs, he.Internal)
	case status != http.StatusServiceUnavailable:
		logRequestError(c, errs, err)
	}
}
