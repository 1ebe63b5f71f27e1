package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// logoutByPost lets a relying party send its logout request by POST, as RP-Initiated Logout 1.0
// §2 says an OP must accept. Such a form comes from the application's site (or its server), so
// it carries no CSRF token, and a cross-site POST does not carry the SameSite=Lax session cookie
// either: handled in place it would be refused, or would sign nobody out. It is sent on instead,
// by 303, as the same request by GET, a top-level navigation that does carry the session and gets
// exactly the treatment of a GET logout request (validation, and confirmation unless the hint
// names this session), which anyone may already link to. Only the portal's own confirmation
// form, which always has a csrf_token, reaches the CSRF check and the handler.
func logoutByPost(path string) echo.MiddlewareFunc {
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
