package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/handlers"
	"github.com/devportal/devportal/models"
)

// csrfCookie binds the CSRF token of a signed-out browser; signed-in ones bind to the session.
const csrfCookie = "devportal_csrf"

// securityHeaders sets the headers every response carries. The CSP allows no inline script and
// no framing at all, so neither the consent page nor any other can be clickjacked.
func securityHeaders(https bool) echo.MiddlewareFunc {
	// Made once and shared by every response: Set leaves each value a full one-element slice,
	// so a handler's Add copies instead of writing into it.
	headers := http.Header{}
	headers.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http://localhost:* http://127.0.0.1:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	headers.Set("X-Frame-Options", "DENY")
	headers.Set("X-Content-Type-Options", "nosniff")
	// same-origin keeps codes in URLs from leaking to other sites, and unlike no-referrer it
	// lets Chromium send a real Origin on form posts.
	headers.Set("Referrer-Policy", "same-origin")
	headers.Set("Cross-Origin-Opener-Policy", "same-origin")
	if https {
		headers.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			for k, v := range headers {
				h[k] = v
			}
			return next(c)
		}
	}
}

// loadSession puts the signed-in user, if any, on the request. A session idle for idle is over:
// the browser is treated as signed out (and sent to log in where a page needs a user).
func loadSession(store *models.Store, idle time.Duration, now func() time.Time, secure bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if ck, err := c.Cookie(handlers.SessionCookie); err == nil && ck.Value != "" {
				u, sess, err := store.SessionUser(c.Request().Context(), ck.Value, now(), idle)
				switch {
				case err == nil:
					handlers.SetCurrentUser(c, u)
					handlers.SetCurrentSession(c, sess)
				case errors.Is(err, models.ErrNotFound):
					// Ended, expired or idle: drop the cookie, so the browser stops sending a
					// credential that only costs a lookup.
					c.SetCookie(&http.Cookie{Name: handlers.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
				default:
					return err
				}
			}
			return next(c)
		}
	}
}

// noStoreWhenSignedIn keeps every page shown to a signed-in user out of browser and proxy
// caches: after signing out, on a shared computer, Back must not bring the account pages back.
// It is set just before the header is written, so no handler can loosen it by accident.
func noStoreWhenSignedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if handlers.CurrentUser(c) != nil {
			res := c.Response()
			res.Before(func() { res.Header().Set(echo.HeaderCacheControl, "no-store") })
		}
		return next(c)
	}
}

// csrf protects every state-changing form. The token is an HMAC, under a key derived from the
// server secret, of the session cookie (signed in) or of a random cookie (signed out, so the
// login and sign-up forms are covered too). Nothing is stored, so any instance can check it. A
// cross-site Origin or Sec-Fetch-Site is refused before the token is even looked at.
func csrf(key []byte, issuer string, secure bool) echo.MiddlewareFunc {
	self, _ := url.Parse(issuer)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			binding := ""
			if handlers.CurrentUser(c) != nil {
				if ck, err := c.Cookie(handlers.SessionCookie); err == nil {
					binding = "s|" + ck.Value
				}
			}
			if binding == "" {
				ck, err := c.Cookie(csrfCookie)
				if err != nil || len(ck.Value) < 32 {
					ck = &http.Cookie{Name: csrfCookie, Value: models.NewToken(""), Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
					c.SetCookie(ck)
				}
				binding = "a|" + ck.Value
			}
			token := csrfToken(key, binding)
			handlers.SetCSRFToken(c, token)

			r := c.Request()
			if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
				return next(c)
			}
			if r.Header.Get("Sec-Fetch-Site") == "cross-site" || !sameOrigin(r, self) {
				return echo.NewHTTPError(http.StatusForbidden, "This form was sent from another site, so it was refused. Go back, reload the page and try again.")
			}
			if subtle.ConstantTimeCompare([]byte(c.FormValue("csrf_token")), []byte(token)) != 1 {
				return echo.NewHTTPError(http.StatusForbidden, "This form has expired. Go back, reload the page and try again.")
			}
			return next(c)
		}
	}
}

func csrfToken(key []byte, binding string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sameOrigin accepts a request without Origin (older browsers, same-origin navigations) or one
// whose Origin is the issuer's or the request's own host.
func sameOrigin(r *http.Request, self *url.URL) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	o, err := url.Parse(origin)
	if err != nil || o.Host == "" {
		return false
	}
	return (self != nil && o.Scheme == self.Scheme && o.Host == self.Host) || o.Host == r.Host
}

// requireAdmin refuses everyone but a signed-in admin (signed-out visitors are sent to log in).
// With DEVPORTAL_REQUIRE_ADMIN_2FA, an admin without a second factor is sent to set one up.
func requireAdmin(h *handlers.Handlers) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return requireUser(func(c echo.Context) error {
			if !handlers.CurrentUser(c).IsAdmin {
				return echo.NewHTTPError(http.StatusForbidden, "This page is for administrators.")
			}
			missing, err := h.AdminLacksSecondFactor(c)
			if err != nil {
				return err
			}
			if missing {
				return h.SendToSetUpSecondFactor(c)
			}
			return next(c)
		})
	}
}

// requireUser sends signed-out visitors to log in and back.
func requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if handlers.CurrentUser(c) == nil {
			if c.Request().Method != http.MethodGet {
				return echo.NewHTTPError(http.StatusUnauthorized, "Your session has ended. Log in and try again.")
			}
			return c.Redirect(http.StatusFound, c.Echo().Reverse(handlers.RouteLogin)+"?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		return next(c)
	}
}

// accessLog writes one line per request once its answer is final: the request id (the
// X-Request-Id response header), method, route pattern (never the path, whose query or segments
// may carry codes and tokens), status, duration and client IP. It hands errors to the error
// handler itself so the status logged is the one sent, and gives the request a logger carrying
// its id, so c.Logger() lines can be matched with this one. The same answer is counted in
// metrics (nil: not counted).
func accessLog(logger *slog.Logger, elog *echoLogger, metrics *Metrics) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			counted := metrics.track(c, start)
			c.SetLogger(elog.forRequest(c))
			if err := next(c); err != nil {
				c.Error(err)
			}
			r := c.Request()
			logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", requestID(c)), slog.String("method", r.Method), slog.String("route", routeOf(c)),
				slog.Int("status", c.Response().Status), slog.Duration("duration", time.Since(start)), slog.String("ip", c.RealIP()))
			counted()
			return nil
		}
	}
}

// routeOf is the path pattern of the route the request matched (/apps/:id), or "-" when none did.
func routeOf(c echo.Context) string {
	if p := c.Path(); p != "" {
		return p
	}
	return "-"
}
