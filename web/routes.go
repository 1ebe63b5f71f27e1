package web

import (
	"slices"

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
func routes(e *echo.Echo, deps Deps, h *handlers.Handlers, pages pageGroup) {
	e.GET("/healthz", h.Healthz)
	e.GET("/readyz", h.Readyz)
	e.StaticFS("/static", static.FS)

	// Machine-facing protocol endpoints: JSON, client-authenticated, no cookies, no CSRF.
	rfcJSON, compatJSON := errorsAs(oauthErrors), errorsAs(compatErrors)
	e.POST(Paths["token"], h.Token, rfcJSON)
	e.POST(Paths["introspection"], h.Introspect, rfcJSON)
	e.POST(Paths["revocation"], h.Revoke, rfcJSON)
	e.GET(Paths["metadata"], h.Metadata, rfcJSON)
	e.GET(Paths["jwks"], h.JWKS, rfcJSON)
	e.POST("/oauth/tokens", h.CompatToken, compatJSON) // the compatibility dialect
	// CORS preflights of the endpoints browser apps call (RFC 9700, "Usage of CORS"). The
	// authorization endpoint and the pages never answer CORS.
	e.OPTIONS(Paths["token"], h.Preflight, rfcJSON)
	e.OPTIONS(Paths["revocation"], h.Preflight, rfcJSON)
	e.OPTIONS("/oauth/tokens", h.Preflight, compatJSON)

	// The sample protected API, for bearer tokens.
	api := pageGroup{e: e, prefix: "/api/v1", mw: []echo.MiddlewareFunc{compatJSON}}
	api.GET("/invoices", h.ListInvoices, RequireBearer(deps.OAuth, "INVOICE.READ", h.WriteAPIError))
	api.POST("/invoices", h.CreateInvoice, RequireBearer(deps.OAuth, "INVOICE.WRITE", h.WriteAPIError))

	// Pages for people: CSRF on every route (the session is loaded for every request).
	pages.GET("/", h.Home)
	pages.GET("/docs", h.Docs)
	// Documentation pages rendered from docs/ (integration guide, API reference).
	pages.GET("/docs/integration-guide", h.GuidePage)
	pages.GET("/docs/api", h.APIReference)
	pages.GET("/docs/oauth", h.OAuthReference)
	pages.GET("/docs/openapi.yaml", h.OpenAPIDocument)
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
	apps.POST("/:id", h.UpdateApp)
	apps.GET("/:id/activity", h.AppActivity)
	apps.GET("/:id/secrets/:secret/retire", h.ConfirmRetireSecret)
	apps.POST("/:id/secrets/:secret/retire", h.RetireSecret)
	// (end of developer console)

	// End-user console: authorized applications and account settings (under /account).
	account := pages.Group("/account", requireUser)
	account.POST("/password", h.ChangePassword)
	account.GET("/sign-out-everywhere", h.ConfirmSignOutEverywhere)
	account.POST("/sign-out-everywhere", h.SignOutEverywhere)
	account.GET("/apps", h.AuthorizedApps)
	account.GET("/apps/:client/revoke", h.ConfirmRevokeApp)
	account.POST("/apps/:client/revoke", h.RevokeApp)
	// (end of end-user console)

	// Admin console: every route here requires an admin session.
	admin := pages.Group("/admin", requireAdmin)
	admin.GET("", h.AdminHome)
	admin.GET("/clients", h.AdminClients)
	admin.POST("/clients/:id/suspend", h.SuspendClient)
	admin.POST("/clients/:id/reinstate", h.ReinstateClient)
	admin.POST("/clients/:id/introspection", h.SetIntrospection)
	admin.GET("/clients/:id/revoke", h.ConfirmRevokeClient)
	admin.POST("/clients/:id/revoke", h.RevokeClient)
	admin.GET("/scopes", h.AdminScopes)
	admin.POST("/scopes", h.CreateScope)
	admin.GET("/scopes/:name", h.EditScope)
	admin.POST("/scopes/:name", h.UpdateScope)
	admin.GET("/scopes/:name/retire", h.ConfirmRetireScope)
	admin.POST("/scopes/:name/retire", h.RetireScope)
	admin.POST("/scope-requests/:client/:scope/approve", h.ApproveScopeRequest)
	admin.POST("/scope-requests/:client/:scope/reject", h.RejectScopeRequest)
	admin.GET("/users", h.AdminUsers)
	admin.POST("/users/:id/disable", h.DisableUser)
	admin.POST("/users/:id/enable", h.EnableUser)
	admin.POST("/users/:id/grant-admin", h.GrantAdmin)
	admin.POST("/users/:id/remove-admin", h.RemoveAdmin)
	admin.GET("/audit", h.AdminAudit)
	// (end of admin console)
}

// pageGroup registers routes under a prefix with the group's middleware (the pages', or the
// API's error format). Unlike an echo.Group with
// middleware, it adds no catch-all route, so an unknown path still gets 404 and a wrong method
// 405 instead of meeting the CSRF check.
type pageGroup struct {
	e      *echo.Echo
	prefix string
	mw     []echo.MiddlewareFunc
}

func (g pageGroup) with(m []echo.MiddlewareFunc) []echo.MiddlewareFunc {
	return append(slices.Clone(g.mw), m...)
}

// GET adds a GET route.
func (g pageGroup) GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	g.e.GET(g.prefix+path, h, g.with(m)...)
}

// POST adds a POST route.
func (g pageGroup) POST(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	g.e.POST(g.prefix+path, h, g.with(m)...)
}

// Group returns a sub-group under prefix with more middleware.
func (g pageGroup) Group(prefix string, m ...echo.MiddlewareFunc) pageGroup {
	return pageGroup{e: g.e, prefix: g.prefix + prefix, mw: g.with(m)}
}
