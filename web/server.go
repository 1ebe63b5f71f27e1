package web

import (
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/devportal/devportal/handlers"
	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

// Deps are the long-lived services the server is built on.
type Deps struct {
	Store *models.Store
	OAuth *oauth.Server
	// Now is the clock sessions are judged by; nil is the system clock. Tests move it.
	Now func() time.Time
	// Mail queues mail for the worker to send; nil refuses every mail (handlers.ErrNoMail).
	Mail handlers.Mailer
}

// New builds the HTTP server for cfg.
func New(cfg Config, deps Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// The peer address is the client's unless a proxy we trust says otherwise; trusting
	// X-Forwarded-For by default would let anyone write any IP into the audit log.
	e.IPExtractor = echo.ExtractIPDirect()
	e.Server.ReadHeaderTimeout = min(10*time.Second, cfg.ReadTimeout)
	e.Server.ReadTimeout = cfg.ReadTimeout
	e.Server.WriteTimeout = cfg.WriteTimeout
	e.Server.IdleTimeout = cfg.IdleTimeout

	h := handlers.New(deps.Store, deps.OAuth, handlers.Options{
		Issuer: cfg.Issuer, Version: cfg.Version, SessionTTL: cfg.SessionTTL, SecureCookies: cfg.SecureCookies(), Paths: Paths,
		FlashKey: models.DeriveKey(cfg.Secret, "flash"), URL: e.Reverse, Render: render, Now: deps.Now, Mail: deps.Mail,
		TOTPKey: models.DeriveKey(cfg.Secret, "totp"), PendingLoginKey: models.DeriveKey(cfg.Secret, "pending-login"),
		RequireAdmin2FA: cfg.RequireAdmin2FA,
	})
	e.HTTPErrorHandler = errorHandler(h)
	e.Use(middleware.Recover())
	e.Use(middleware.RequestID())
	e.Use(middleware.BodyLimit("1M"))
	e.Use(securityHeaders(cfg.SecureCookies()))
	// Every request learns who is signed in (error pages show the right navigation); a request
	// without the session cookie, like every protocol call, costs nothing here.
	now := deps.Now
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	idle := cfg.SessionIdleTimeout
	if idle <= 0 {
		idle = DefaultSessionIdleTimeout
	}
	e.Use(loadSession(deps.Store, idle, now, cfg.SecureCookies()))

	pages := pageGroup{e: e, mw: []echo.MiddlewareFunc{errorsAs(pageErrors), csrf(models.DeriveKey(cfg.Secret, "csrf"), cfg.Issuer, cfg.SecureCookies()), noStoreWhenSignedIn}}
	routes(e, deps, h, pages)
	mustRouteNames(e, handlers.RouteNames)
	return e
}
