package web

import (
	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/handlers"
	"github.com/devportal/devportal/static"
)

// Paths of the protocol endpoints, by name. Metadata and the docs page are built from this map,
// so what the server advertises is what it routes.
var Paths = map[string]string{
	"authorization": "/oauth/authorize",
	"token":         "/oauth/token",
	"introspection": "/oauth/introspect",
	"revocation":    "/oauth/revoke",
	"jwks":          "/.well-known/jwks.json",
	"metadata":      "/.well-known/oauth-authorization-server",
	"docs":          "/docs",
}

// routes is the one table of every URL devportal serves.
func routes(e *echo.Echo, deps Deps, h *handlers.Handlers, pages, protocol *echo.Group) {
	e.GET("/healthz", h.Healthz)
	e.GET("/readyz", h.Readyz)
	e.StaticFS("/static", static.FS)

	// Machine-facing protocol endpoints: JSON, client-authenticated, no cookies, no CSRF.
	protocol.POST(Paths["token"], h.Token)
	protocol.POST(Paths["introspection"], h.Introspect)
	protocol.POST(Paths["revocation"], h.Revoke)
	protocol.GET(Paths["metadata"], h.Metadata)
	protocol.GET(Paths["jwks"], h.JWKS)
	protocol.POST("/oauth/tokens", h.CompatToken) // the compatibility dialect

	// The sample protected API, for bearer tokens.
	api := e.Group("/api/v1")
	api.GET("/invoices", h.ListInvoices, RequireBearer(deps.OAuth, "INVOICE.READ", h.WriteAPIError))
	api.POST("/invoices", h.CreateInvoice, RequireBearer(deps.OAuth, "INVOICE.WRITE", h.WriteAPIError))

	// Pages for people: session, CSRF.
	pages.GET("/", h.Home)
	pages.GET("/docs", h.Docs)
	// Documentation pages rendered from docs/ (integration guide, API reference).
	// (end of documentation pages)
	pages.GET("/login", h.LoginPage)
	pages.POST("/login", h.Login)
	pages.GET("/signup", h.SignupPage)
	pages.POST("/signup", h.Signup)
	pages.POST("/logout", h.Logout)
	pages.GET(Paths["authorization"], h.Authorize)
	pages.GET("/auth", h.Authorize)
	pages.POST(Paths["authorization"], h.Decide, requireUser)

	pages.GET("/account", h.Account, requireUser)
	apps := pages.Group("/apps", requireUser)
	apps.GET("", h.Apps)
	apps.POST("", h.CreateApp)
	apps.GET("/new", h.NewApp)
	apps.GET("/:id", h.App)
	apps.GET("/:id/rotate", h.ConfirmRotate)
	apps.POST("/:id/rotate", h.RotateSecret)
	apps.GET("/:id/delete", h.ConfirmDelete)
	apps.POST("/:id/delete", h.DeleteApp)
	// Developer console: application profile, secrets, activity.
	// (end of developer console)

	// End-user console: authorized applications and account settings (under /account).
	// (end of end-user console)

	// Admin console: every route here requires an admin session.
	admin := pages.Group("/admin", requireAdmin)
	_ = admin
	// (end of admin console)

}
