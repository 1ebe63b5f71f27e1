package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models/oauth"
)

// preflightMaxAge is how long a browser may reuse a preflight answer: short, so removing an
// origin from an application takes effect for preflights within minutes.
const preflightMaxAge = 600

// Preflight answers CORS preflights (OPTIONS) of the token and revocation endpoints. A preflight
// names no client, so the allow headers go to an origin that at least one active application
// allows; each actual request is then checked against its own client. Credentials (cookies) are
// never allowed: these endpoints authenticate clients, not people.
func (h *Handlers) Preflight(c echo.Context) error { return h.preflight(c, "POST") }

// UserInfoPreflight answers CORS preflights of the userinfo endpoint, which takes GET and POST.
func (h *Handlers) UserInfoPreflight(c echo.Context) error { return h.preflight(c, "GET, POST") }

func (h *Handlers) preflight(c echo.Context, methods string) error {
	r, hdr := c.Request(), c.Response().Header()
	hdr.Set("Allow", "OPTIONS, "+methods)
	origin := r.Header.Get("Origin")
	if !h.oauth.CrossOrigin(origin) || r.Header.Get("Access-Control-Request-Method") == "" {
		return c.NoContent(http.StatusNoContent)
	}
	hdr.Add("Vary", "Origin")
	ok, err := h.oauth.AnyClientAllowsOrigin(r.Context(), origin)
	if err != nil {
		return err
	}
	if ok {
		hdr.Set("Access-Control-Allow-Origin", origin)
		hdr.Set("Access-Control-Allow-Methods", methods)
		hdr.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		hdr.Set("Access-Control-Max-Age", strconv.Itoa(preflightMaxAge))
	}
	return c.NoContent(http.StatusNoContent)
}

// corsResponse lets a browser page at origin read the answer to its token or revocation request
// when that is allowed. Success means the client allowed the origin. An error from a client that
// refused it gets no CORS headers; any other error (often one raised before the client was
// known) is readable by an origin some active client allows, so a single-page app can show it.
func (h *Handlers) corsResponse(c echo.Context, origin string, err error) {
	if !h.oauth.CrossOrigin(origin) {
		return
	}
	hdr := c.Response().Header()
	hdr.Add("Vary", "Origin")
	ok := err == nil
	if err != nil && !errors.Is(err, oauth.ErrOriginNotAllowed) {
		var lookupErr error
		if ok, lookupErr = h.oauth.AnyClientAllowsOrigin(c.Request().Context(), origin); lookupErr != nil {
			c.Logger().Error(lookupErr)
		}
	}
	if ok {
		hdr.Set("Access-Control-Allow-Origin", origin)
	}
}

// allowAnyOrigin marks a public document (metadata, keys) as readable by every page.
func allowAnyOrigin(c echo.Context) {
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
}
