package web

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
)

// Issue 9 item 4: a request that matched no route (Echo's 404 and 405 run no group middleware)
// gets the format of the group its path starts like, exactly as the path sniffing did before
// (including /oauth/token also covering /oauth/tokens/x, but not /oauth/tokens itself).
func TestUnroutedFormat(t *testing.T) {
	for path, want := range map[string]errorFormat{
		"/api/v1/nothing":      compatErrors,
		"/api/":                compatErrors,
		"/oauth/tokens":        compatErrors,
		"/oauth/tokens/x":      oauthErrors,
		"/oauth/token":         oauthErrors,
		"/oauth/tokenx":        oauthErrors,
		"/oauth/introspect/x":  oauthErrors,
		"/oauth/revoke":        oauthErrors,
		"/.well-known/nothing": oauthErrors,
		"/oauth/authorize":     pageErrors,
		"/apps/nothing":        pageErrors,
		"/api":                 pageErrors,
		"/healthz":             pageErrors,
		"/static/nothing.css":  pageErrors,
		"/docs/api":            pageErrors,
		"/oauth/userinfo":      oauthErrors, // a bearer endpoint: RFC 6750 errors in JSON
		"/oauth/logout":        pageErrors,  // RP-initiated logout is a page
	} {
		if got := unroutedFormat(path); got != want {
			t.Errorf("unroutedFormat(%q) = %d, want %d", path, got, want)
		}
	}
}

// mustHandle runs the error handler on err for a request to path whose route group set format
// (none: -1), and returns the response.
func mustHandle(t *testing.T, path string, format errorFormat, err error) *httptest.ResponseRecorder {
	t.Helper()
	e := echo.New()
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest(http.MethodGet, path, nil), rec)
	if format >= 0 {
		c.Set(errorFormatKey, format)
	}
	errorHandler(nil, newErrorLog(slog.New(slog.DiscardHandler), nil))(err, c) // the page format is not used here: it needs the handlers
	return rec
}

// Issue 9 item 4: the route group's format wins over the path's spelling.
func TestGroupFormatWins(t *testing.T) {
	rec := mustHandle(t, "/oauth/token", compatErrors, echo.NewHTTPError(http.StatusBadRequest, "send a scope"))
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["error_code"] != "API_VALIDATION_ERROR" || body["message"] != "Send a scope." {
		t.Fatalf("compatibility group on an RFC-looking path: %d %s", rec.Code, rec.Body)
	}
	rec = mustHandle(t, "/api/v1/x", oauthErrors, echo.NewHTTPError(http.StatusBadRequest, "send a scope"))
	body = nil
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["error"] != "invalid_request" || body["error_description"] != "send a scope" {
		t.Fatalf("RFC group on an API-looking path: %d %s", rec.Code, rec.Body)
	}
}

// Issue 9 item 1: one table maps each domain error code to its status in every format; the
// message is the error's own, for people; an error that is no domain error stays internal.
func TestDomainErrorTable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		format  errorFormat
		err     error
		status  int
		key     string
		code    string
		message string
	}{
		{"not found, RFC", oauthErrors, models.ErrNotFound.Describe("There is no such client."), http.StatusNotFound, "error", "invalid_request", "There is no such client."},
		{"not found, compat", compatErrors, models.ErrNotFound.Describe("There is no such invoice."), http.StatusNotFound, "error_code", "DATA_NOT_FOUND", "There is no such invoice."},
		{"bare sentinel, compat", compatErrors, models.ErrNotFound, http.StatusNotFound, "error_code", "DATA_NOT_FOUND", "Not found."},
		{"too long", oauthErrors, models.ErrTooLong.Describe("The search may be at most 3 characters."), http.StatusBadRequest, "error", "invalid_request", "The search may be at most 3 characters."},
		{"invalid, compat", compatErrors, models.ErrInvalid.Describe("limit must be a whole number from 1 to 100"), http.StatusBadRequest, "error_code", "API_VALIDATION_ERROR", "Limit must be a whole number from 1 to 100."},
		{"forbidden, compat", compatErrors, models.ErrForbidden.Describe("the token's subject is not a user"), http.StatusForbidden, "error_code", "REQUEST_FORBIDDEN_ERROR", "The token's subject is not a user."},
		{"busy", oauthErrors, models.ErrBusy, http.StatusServiceUnavailable, "error", "temporarily_unavailable", "The server is busy right now. Try again in a few seconds."},
		{"unavailable, RFC", oauthErrors, fmt.Errorf("find client: %w", models.ErrUnavailable), http.StatusServiceUnavailable, "error", "temporarily_unavailable", "The service is temporarily unavailable. Try again in a few seconds."},
		{"unavailable, compat", compatErrors, fmt.Errorf("find client: %w", sql.ErrConnDone), http.StatusServiceUnavailable, "error_code", "SERVER_ERROR", "The service is temporarily unavailable. Try again in a few seconds."},
		{"internal", compatErrors, errors.New("disk full"), http.StatusInternalServerError, "error_code", "SERVER_ERROR", "Something went wrong on our side."},
		{"internal, RFC", oauthErrors, errors.New("disk full"), http.StatusInternalServerError, "error", "server_error", "Something went wrong on our side. Try again in a moment."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := mustHandle(t, "/x", tc.format, tc.err)
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err, rec.Body)
			}
			msgKey := "message"
			if tc.key == "error" {
				msgKey = "error_description"
			}
			if rec.Code != tc.status || body[tc.key] != tc.code || body[msgKey] != tc.message {
				t.Fatalf("got %d %s; want %d %s=%s %q", rec.Code, rec.Body, tc.status, tc.key, tc.code, tc.message)
			}
		})
	}
}
