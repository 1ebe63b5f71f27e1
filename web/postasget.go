package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// postAsGet lets a relying party send an authorization or logout request by POST, as OIDC Core
// §3.1.2.1 and RP-Initiated Logout 1.0 §2 say an OP must accept. Such a form comes from the
// application's site (or its server), so it carries no CSRF token, and a cross-site POST does not
// carry the SameSite=Lax session cookie either: handled in place it would be refused, or would
// find nobody signed in. It is sent on instead, by 303, as the same request by GET, a top-level
// navigation that does carry the session and gets exactly the treatment of the GET request,
// which anyone may already link to. Only the portal's own forms (the consent decision, the logout
// confirmation), which always carry a csrf_token, reach the CSRF check and the POST handler.
func postAsGet(path string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			form, err := c.FormParams()
			if err != nil || len(form["csrf_token"]) > 0 {
				return next(c)
			}
			target := path
			if len(form) > 0 {
				target += "?" + form.Encode()
			}
			c.Response().Header().Set("Cache-Control", "no-store")
			return c.Redirect(http.StatusSeeOther, target)
		}
	}
}
