package handlers

import (
	"errors"
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/pages/auth"
)

// ErrorPage renders the error page for people, with the navigation of whoever is signed in.
// web's HTTPErrorHandler decides the status, heading and message.
func (h *Handlers) ErrorPage(c echo.Context, status int, heading, message string) error {
	if CurrentUser(c) != nil {
		noStore(c) // the page names who is signed in: keep it out of caches, like every signed-in page
	}
	return h.render(c, status, auth.ErrorPage(auth.ErrorView{Base: h.base(c, heading, ""), Status: status, Heading: heading, Message: message}))
}

// NoStore keeps a response out of browser and proxy caches.
func NoStore(c echo.Context) { noStore(c) }

// WriteAPIError answers a protected-API failure in the compatibility dialect. Protocol errors
// (invalid_token, insufficient_scope) go through the one dialect table and get their RFC 6750
// WWW-Authenticate challenge; any other error is returned, for web's HTTPErrorHandler to answer
// in the API's format.
func (h *Handlers) WriteAPIError(c echo.Context, err error) error {
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		return err
	}
	challenge := fmt.Sprintf(`Bearer realm="devportal", error=%q, error_description=%q`, oe.Code, oe.Description)
	if md, ok := c.Get(resourceMetadataKey).(string); ok {
		// RFC 9728 §5.1: where a client learns which authorization server and scopes this API takes.
		challenge += fmt.Sprintf(`, resource_metadata=%q`, md)
	}
	if errors.Is(oe, oauth.ErrInsufficientScope) {
		if scope, ok := c.Get(requiredScopeKey).(string); ok {
			challenge += fmt.Sprintf(`, scope=%q`, scope)
		}
	}
	c.Response().Header().Set("WWW-Authenticate", challenge)
	return h.writeCompatError(c, oe)
}
