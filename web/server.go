package web

import (
	"log/slog"
	"net"
	"os"
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
	// Logger receives every error, and the access log unless AccessLog is set; nil is
	// NewLogger(cfg, os.Stderr).
	Logger *slog.Logger
	// AccessLog receives the line of each request (a logger on LogBuffer.Deferred, so that it
	// costs no write per request); nil is Logger.
	AccessLog *slog.Logger
	// Metrics counts every request for the metrics listener; nil counts nothing.
	Metrics *Metrics
}

// MaxBody is the largest request body any route accepts (Echo's size syntax); a larger one is
// refused with 413 in the endpoint's error format before it is read.
const MaxBody = "64K"

// New builds the HTTP server for cfg.
func New(cfg Config, deps Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	e.Server.ReadHeaderTimeout = min(10*time.Second, cfg.ReadTimeout)
	e.Server.ReadTimeout = cfg.ReadTimeout
	e.Server.WriteTimeout = cfg.WriteTimeout
	e.Server.IdleTimeout = cfg.IdleTimeout

	h := handlers.New(deps.Store, deps.OAuth, handlers.Options{
		Issuer: cfg.Issuer, Version: cfg.Version, SessionTTL: cfg.SessionTTL, SecureCookies: cfg.SecureCookies(), Paths: Paths,
		FlashKey: models.DeriveKey(cfg.Secret, "flash"), URL: e.Reverse, Render: render, Now: deps.Now, Mail: deps.Mail,
		TOTPKey: models.DeriveKey(cfg.Secret, "totp"), PendingLoginKey: models.DeriveKey(cfg.Secret, "pending-login"),
		RevealKey:       models.DeriveKey(cfg.Secret, "reveal"),
		RequireAdmin2FA: cfg.RequireAdmin2FA, Brand: cfg.Brand.Layout(), BrandCSS: cfg.Brand.Stylesheet(),
		DCR: cfg.DCR,
	})
	logger := deps.Logger
	if logger == nil {
		logger = NewLogger(cfg, os.Stderr)
	}
	access := deps.AccessLog
	if access == nil {
		access = logger
	}
	errs := newErrorLog(logger, nil)
	elog := &echoLogger{log: logger, errs: errs}
	e.Logger = elog
	e.HTTPErrorHandler = errorHandler(h, errs)
	e.Use(middleware.RequestID())
	e.Use(accessLog(access, elog, deps.Metrics))
	e.Use(middleware.Recover())
	// Every form and protocol request fits in 64 KiB (the largest, an application's settings with
	// ten 2000-character redirect URIs, is about 25 KiB); nothing here takes uploads.
	e.Use(middleware.BodyLimit(MaxBody))
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

// ipExtractor finds the client's IP, for the audit log, the per-IP throttles and the access log.
// The peer address is the client's unless the peer is one of the trusted proxies
// (DEVPORTAL_TRUSTED_PROXIES); then X-Forwarded-For is read from the right, skipping the trusted
// hops. Echo's own defaults would also trust every loopback, link-local and private address:
// off, since anyone on the same network could then write any IP into the audit log.
// X-Forwarded-Proto is believed by no one: Secure cookies and HSTS follow the issuer's scheme.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
