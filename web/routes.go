package web

import (
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/handlers"
	"github.com/devportal/devportal/models/oauth"
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
	// OpenID Connect: discovery serves the same document as metadata (Discovery 1.0 §4).
	"openid_configuration": "/.well-known/openid-configuration",
	"userinfo":             "/oauth/userinfo",
	"end_session":          "/oauth/logout",
	"docs":                 "/docs",
	// RFC 8628: devices start here; users go to /device (the verification_uri).
	"device_authorization": "/oauth/device_authorization",
	// Dynamic client registration (RFC 7591); advertised only when DEVPORTAL_DCR is not off.
	"registration": "/oauth/register",
}

// routes is the one table of every URL devportal serves.
func routes(e *echo.Echo, deps Deps, h *handlers.Handlers, pages pageGroup) {
	e.GET("/healthz", h.Healthz).Name = handlers.RouteHealthz
	e.GET("/readyz", h.Readyz).Name = handlers.RouteReadyz
	e.StaticFS("/static", static.FS).Name = handlers.RouteStatic
	e.GET("/static/brand.css", h.BrandCSS).Name = handlers.RouteBrandCSS

	// Machine-facing protocol endpoints: JSON, client-authenticated, no cookies, no CSRF.
	rfcJSON, compatJSON := errorsAs(oauthErrors), errorsAs(compatErrors)
	e.POST(Paths["token"], h.Token, rfcJSON).Name = handlers.RouteToken
	e.POST(Paths["introspection"], h.Introspect, rfcJSON).Name = handlers.RouteIntrospection
	e.POST(Paths["revocation"], h.Revoke, rfcJSON).Name = handlers.RouteRevocation
	e.GET(Paths["metadata"], h.Metadata, rfcJSON).Name = handlers.RouteMetadata
	e.GET(Paths["jwks"], h.JWKS, rfcJSON).Name = handlers.RouteJWKS
	e.GET(Paths["openid_configuration"], h.Metadata, rfcJSON).Name = handlers.RouteOpenIDConfig
	e.GET(Paths["userinfo"], h.UserInfo, rfcJSON).Name = handlers.RouteUserInfo
	e.POST(Paths["userinfo"], h.UserInfo, rfcJSON).Name = handlers.RouteUserInfo
	e.OPTIONS(Paths["userinfo"], h.UserInfoPreflight, rfcJSON).Name = handlers.RouteUserInfo
	e.POST(Paths["device_authorization"], h.DeviceAuthorization, rfcJSON).Name = handlers.RouteDeviceAuthorization
	e.POST("/oauth/tokens", h.CompatToken, compatJSON).Name = handlers.RouteCompatToken // the compatibility dialect
	// CORS preflights of the endpoints browser apps call (RFC 9700, "Usage of CORS"). The
	// authorization endpoint and the pages never answer CORS.
	e.OPTIONS(Paths["token"], h.Preflight, rfcJSON).Name = handlers.RouteToken
	e.OPTIONS(Paths["revocation"], h.Preflight, rfcJSON).Name = handlers.RouteRevocation
	e.OPTIONS("/oauth/tokens", h.Preflight, compatJSON).Name = handlers.RouteCompatToken
	// Dynamic client registration (RFC 7591) and its management (RFC 7592): JSON, bearer
	// tokens, no cookies. Off (DEVPORTAL_DCR=off) they answer 404.
	e.POST(Paths["registration"], h.Register, rfcJSON).Name = handlers.RouteRegistration
	e.GET(Paths["registration"]+"/:client", h.ReadRegistration, rfcJSON).Name = handlers.RouteRegistrationClient
	e.PUT(Paths["registration"]+"/:client", h.UpdateRegistration, rfcJSON).Name = handlers.RouteRegistrationClient
	e.DELETE(Paths["registration"]+"/:client", h.DeleteRegistration, rfcJSON).Name = handlers.RouteRegistrationClient
	e.OPTIONS(Paths["registration"], h.RegistrationPreflight, rfcJSON).Name = handlers.RouteRegistration
	e.OPTIONS(Paths["registration"]+"/:client", h.RegistrationPreflight, rfcJSON).Name = handlers.RouteRegistrationClient

	// The sample protected API, for bearer tokens.
	api := pageGroup{e: e, prefix: "/api/v1", mw: []echo.MiddlewareFunc{compatJSON}}
	sample := SampleAPI(h.Issuer())
	api.GET("/invoices", h.ListInvoices, RequireBearer(deps.OAuth, sample, "INVOICE.READ", h.WriteAPIError)).Name = handlers.RouteInvoices
	api.POST("/invoices", h.CreateInvoice, RequireBearer(deps.OAuth, sample, "INVOICE.WRITE", h.WriteAPIError)).Name = handlers.RouteInvoices
	// RFC 9728 §3: the protected-resource metadata of the sample API ({issuer}/api/v1) and of
	// every registered API whose identifier is under the issuer.
	e.GET(oauth.ProtectedResourcePrefix+"/*", h.ProtectedResource, rfcJSON).Name = handlers.RouteProtectedResource

	// Pages for people: CSRF on every route (the session is loaded for every request).
	pages.GET("/", h.Home).Name = handlers.RouteHome
	pages.GET("/docs", h.Docs).Name = handlers.RouteDocs
	// Documentation pages rendered from docs/ (integration guide, API reference).
	pages.GET("/docs/integration-guide", h.GuidePage).Name = handlers.RouteGuide
	pages.GET("/docs/oidc", h.OIDCGuide).Name = handlers.RouteOIDCGuide
	pages.GET("/docs/api", h.APIReference).Name = handlers.RouteAPIReference
	pages.GET("/docs/oauth", h.OAuthReference).Name = handlers.RouteOAuthReference
	pages.GET("/docs/apis", h.APIsGuide).Name = handlers.RouteAPIsGuide
	pages.GET("/docs/agents", h.AgentsGuide).Name = handlers.RouteAgentsGuide
	pages.GET("/docs/openapi.yaml", h.OpenAPIDocument).Name = handlers.RouteOpenAPI
	// (end of documentation pages)
	pages.GET("/login", h.LoginPage).Name = handlers.RouteLogin
	pages.POST("/login", h.Login).Name = handlers.RouteLogin
	// Passkey sign-in: begin answers JSON options (in the compatibility dialect's errors, which
	// passkeys.js shows); finish is a form post that ends like a password login.
	pages.POST("/login/passkey/begin", h.BeginPasskeyLogin, errorsAs(compatErrors)).Name = handlers.RoutePasskeyLoginBegin
	pages.POST("/login/passkey", h.FinishPasskeyLogin).Name = handlers.RoutePasskeyLogin
	// The second step of a login with two-factor on: reached with the pending-login cookie only.
	pages.GET("/login/verify", h.VerifyPage).Name = handlers.RouteLoginVerify
	pages.POST("/login/verify", h.Verify).Name = handlers.RouteLoginVerify
	pages.POST("/login/verify/passkey/begin", h.PasskeyVerifyBegin, errorsAs(compatErrors)).Name = handlers.RoutePasskeyVerifyBegin
	pages.POST("/login/verify/passkey", h.PasskeyVerify).Name = handlers.RoutePasskeyVerify
	pages.GET("/signup", h.SignupPage).Name = handlers.RouteSignup
	pages.POST("/signup", h.Signup).Name = handlers.RouteSignup
	pages.POST("/logout", h.Logout).Name = handlers.RouteLogout
	// Mailed links: the token is in the query, which the request log leaves out.
	pages.GET("/verify-email", h.VerifyEmail).Name = handlers.RouteVerifyEmail
	pages.GET("/confirm-email", h.ConfirmEmailChange).Name = handlers.RouteConfirmEmail
	pages.GET("/forgot-password", h.ForgotPasswordPage).Name = handlers.RouteForgotPassword
	pages.POST("/forgot-password", h.ForgotPassword).Name = handlers.RouteForgotPassword
	pages.GET("/reset-password", h.ResetPasswordPage).Name = handlers.RouteResetPassword
	pages.POST("/reset-password", h.ResetPassword).Name = handlers.RouteResetPassword
	pages.GET(Paths["authorization"], h.Authorize).Name = handlers.RouteAuthorization
	pages.GET("/auth", h.Authorize).Name = handlers.RouteAuth
	// An application may POST its authorization request (OIDC Core §3.1.2.1): without a CSRF
	// token it is re-sent as the GET (postAsGet); the consent page's decision has one.
	pages.POSTAfter(postAsGet(Paths["authorization"]), Paths["authorization"], h.Decide, requireUser).Name = handlers.RouteAuthorization
	// RP-Initiated Logout: GET or POST from the application (a POST is re-sent as a GET, see
	// postAsGet), and POST from the confirmation page (CSRF).
	pages.GET(Paths["end_session"], h.EndSession).Name = handlers.RouteEndSession
	pages.POSTAfter(postAsGet(Paths["end_session"]), Paths["end_session"], h.EndSession).Name = handlers.RouteEndSession

	// Device sign-in (RFC 8628 §3.3): the code, then the consent page, whose decision posts back.
	pages.GET("/device", h.DevicePage, requireUser).Name = handlers.RouteDevice
	pages.POST("/device", h.DeviceContinue, requireUser).Name = handlers.RouteDevice
	pages.POST("/device/decide", h.DeviceDecide, requireUser).Name = handlers.RouteDeviceDecide

	pages.GET("/account", h.Account, requireUser).Name = handlers.RouteAccount
	apps := pages.Group("/apps", requireUser)
	apps.GET("", h.Apps).Name = handlers.RouteApps
	apps.POST("", h.CreateApp).Name = handlers.RouteApps
	apps.GET("/new", h.NewApp).Name = handlers.RouteNewApp
	apps.GET("/:id", h.App).Name = handlers.RouteApp
	apps.GET("/:id/rotate", h.ConfirmRotate).Name = handlers.RouteRotateSecret
	apps.POST("/:id/rotate", h.RotateSecret).Name = handlers.RouteRotateSecret
	apps.GET("/:id/delete", h.ConfirmDelete).Name = handlers.RouteDeleteApp
	apps.POST("/:id/delete", h.DeleteApp).Name = handlers.RouteDeleteApp
	// Developer console: application profile, secrets, activity.
	apps.POST("/:id", h.UpdateApp).Name = handlers.RouteApp
	apps.GET("/:id/activity", h.AppActivity).Name = handlers.RouteAppActivity
	apps.GET("/:id/secrets/:secret/retire", h.ConfirmRetireSecret).Name = handlers.RouteRetireSecret
	apps.POST("/:id/secrets/:secret/retire", h.RetireSecret).Name = handlers.RouteRetireSecret
	// (end of developer console)

	// End-user console: authorized applications and account settings (under /account).
	account := pages.Group("/account", requireUser)
	account.POST("/password", h.ChangePassword).Name = handlers.RouteChangePassword
	account.POST("/profile", h.UpdateProfile).Name = handlers.RouteProfile
	account.POST("/verify-email", h.ResendVerification).Name = handlers.RouteResendVerification
	account.POST("/email", h.RequestEmailChange).Name = handlers.RouteChangeEmail
	account.GET("/security", h.SecurityPage).Name = handlers.RouteSecurity
	account.POST("/sessions/:sid/sign-out", h.EndOneSession).Name = handlers.RouteEndOneSession
	account.POST("/passkeys/begin", h.BeginPasskeyRegistration, errorsAs(compatErrors)).Name = handlers.RoutePasskeyBegin
	account.POST("/passkeys/finish", h.FinishPasskeyRegistration).Name = handlers.RoutePasskeyFinish
	account.GET("/passkeys/:id/rename", h.RenamePasskeyPage).Name = handlers.RouteRenamePasskey
	account.POST("/passkeys/:id/rename", h.RenamePasskey).Name = handlers.RouteRenamePasskey
	account.GET("/passkeys/:id/remove", h.ConfirmRemovePasskey).Name = handlers.RouteRemovePasskey
	account.POST("/passkeys/:id/remove", h.RemovePasskey).Name = handlers.RouteRemovePasskey
	account.POST("/security/totp/setup", h.SetupTOTP).Name = handlers.RouteTOTPSetup
	account.POST("/security/totp/enable", h.EnableTOTP).Name = handlers.RouteTOTPEnable
	account.POST("/security/totp/disable", h.DisableTOTP).Name = handlers.RouteTOTPDisable
	account.GET("/security/totp/recovery-codes", h.RecoveryCodesPage).Name = handlers.RouteRecoveryCodes
	account.POST("/security/totp/recovery-codes", h.RegenerateRecoveryCodes).Name = handlers.RouteRecoveryCodes
	account.GET("/sign-out-everywhere", h.ConfirmSignOutEverywhere).Name = handlers.RouteSignOutAll
	account.POST("/sign-out-everywhere", h.SignOutEverywhere).Name = handlers.RouteSignOutAll
	account.GET("/apps", h.AuthorizedApps).Name = handlers.RouteAuthorizedApps
	account.GET("/apps/:client/revoke", h.ConfirmRevokeApp).Name = handlers.RouteRevokeApp
	account.POST("/apps/:client/revoke", h.RevokeApp).Name = handlers.RouteRevokeApp
	// (end of end-user console)

	// Admin console: every route here requires an admin session.
	admin := pages.Group("/admin", requireAdmin(h))
	admin.GET("", h.AdminHome).Name = handlers.RouteAdmin
	admin.GET("/clients", h.AdminClients).Name = handlers.RouteAdminClients
	admin.GET("/clients/:id", h.AdminClient).Name = handlers.RouteAdminClient
	// Every admin action: GET is its confirmation page (with a reason), POST does it.
	admin.GET("/clients/:id/suspend", h.ConfirmSuspendClient).Name = handlers.RouteSuspendClient
	admin.POST("/clients/:id/suspend", h.SuspendClient).Name = handlers.RouteSuspendClient
	admin.GET("/clients/:id/reinstate", h.ConfirmReinstateClient).Name = handlers.RouteReinstate
	admin.POST("/clients/:id/reinstate", h.ReinstateClient).Name = handlers.RouteReinstate
	admin.GET("/clients/:id/introspection", h.ConfirmIntrospection).Name = handlers.RouteIntrospectFlag
	admin.POST("/clients/:id/introspection", h.SetIntrospection).Name = handlers.RouteIntrospectFlag
	admin.GET("/clients/:id/revoke", h.ConfirmRevokeClient).Name = handlers.RouteRevokeClient
	admin.POST("/clients/:id/revoke", h.RevokeClient).Name = handlers.RouteRevokeClient
	admin.GET("/apis", h.AdminAPIs).Name = handlers.RouteAdminAPIs
	admin.POST("/apis", h.CreateAPI).Name = handlers.RouteAdminAPIs
	admin.GET("/apis/:id", h.EditAPI).Name = handlers.RouteAdminAPI
	admin.POST("/apis/:id", h.UpdateAPI).Name = handlers.RouteAdminAPI
	admin.GET("/apis/:id/delete", h.ConfirmDeleteAPI).Name = handlers.RouteDeleteAPI
	admin.POST("/apis/:id/delete", h.DeleteAPI).Name = handlers.RouteDeleteAPI
	admin.GET("/scopes", h.AdminScopes).Name = handlers.RouteAdminScopes
	admin.POST("/scopes", h.CreateScope).Name = handlers.RouteAdminScopes
	admin.GET("/scopes/:name", h.EditScope).Name = handlers.RouteScope
	admin.POST("/scopes/:name", h.UpdateScope).Name = handlers.RouteScope
	admin.GET("/scopes/:name/retire", h.ConfirmRetireScope).Name = handlers.RouteRetireScope
	admin.POST("/scopes/:name/retire", h.RetireScope).Name = handlers.RouteRetireScope
	admin.GET("/scope-requests/:client/:scope/approve", h.ConfirmApproveScopeRequest).Name = handlers.RouteApproveRequest
	admin.POST("/scope-requests/:client/:scope/approve", h.ApproveScopeRequest).Name = handlers.RouteApproveRequest
	admin.GET("/scope-requests/:client/:scope/reject", h.ConfirmRejectScopeRequest).Name = handlers.RouteRejectRequest
	admin.POST("/scope-requests/:client/:scope/reject", h.RejectScopeRequest).Name = handlers.RouteRejectRequest
	admin.GET("/users", h.AdminUsers).Name = handlers.RouteAdminUsers
	admin.GET("/users/:id", h.AdminUser).Name = handlers.RouteAdminUser
	admin.GET("/users/:id/disable", h.ConfirmDisableUser).Name = handlers.RouteDisableUser
	admin.POST("/users/:id/disable", h.DisableUser).Name = handlers.RouteDisableUser
	admin.GET("/users/:id/enable", h.ConfirmEnableUser).Name = handlers.RouteEnableUser
	admin.POST("/users/:id/enable", h.EnableUser).Name = handlers.RouteEnableUser
	admin.GET("/users/:id/grant-admin", h.ConfirmGrantAdmin).Name = handlers.RouteGrantAdmin
	admin.POST("/users/:id/grant-admin", h.GrantAdmin).Name = handlers.RouteGrantAdmin
	admin.GET("/users/:id/remove-admin", h.ConfirmRemoveAdmin).Name = handlers.RouteRemoveAdmin
	admin.POST("/users/:id/remove-admin", h.RemoveAdmin).Name = handlers.RouteRemoveAdmin
	admin.GET("/users/:id/reset-two-factor", h.ConfirmResetTwoFactor).Name = handlers.RouteResetTwoFactor
	admin.POST("/users/:id/reset-two-factor", h.ResetTwoFactor).Name = handlers.RouteResetTwoFactor
	admin.GET("/audit", h.AdminAudit).Name = handlers.RouteAdminAudit
	admin.GET("/users/:id/send-reset", h.ConfirmSendReset).Name = handlers.RouteSendReset
	admin.POST("/users/:id/send-reset", h.SendReset).Name = handlers.RouteSendReset
	admin.GET("/users/:id/unlock", h.ConfirmUnlock).Name = handlers.RouteUnlockUser
	admin.POST("/users/:id/unlock", h.UnlockUser).Name = handlers.RouteUnlockUser
	admin.GET("/users/:id/verify-publisher", h.ConfirmVerifyPublisher).Name = handlers.RouteVerifyPublisher
	admin.POST("/users/:id/verify-publisher", h.VerifyPublisher).Name = handlers.RouteVerifyPublisher
	admin.GET("/users/:id/unverify-publisher", h.ConfirmUnverifyPublisher).Name = handlers.RouteUnverifyPublisher
	admin.POST("/users/:id/unverify-publisher", h.UnverifyPublisher).Name = handlers.RouteUnverifyPublisher
	// Hosts whose client ID metadata documents are refused (DEVPORTAL_CIMD).
	admin.GET("/client-hosts", h.AdminClientHosts).Name = handlers.RouteAdminClientHosts
	admin.POST("/client-hosts", h.BlockClientHost).Name = handlers.RouteAdminClientHosts
	admin.GET("/client-hosts/:host/unblock", h.ConfirmUnblockHost).Name = handlers.RouteUnblockHost
	admin.POST("/client-hosts/:host/unblock", h.UnblockHost).Name = handlers.RouteUnblockHost
	// Initial access tokens for dynamic client registration (DEVPORTAL_DCR=token).
	admin.GET("/registration-tokens", h.AdminRegistrationTokens).Name = handlers.RouteAdminRegTokens
	admin.POST("/registration-tokens", h.CreateRegistrationToken).Name = handlers.RouteAdminRegTokens
	admin.GET("/registration-tokens/:id/revoke", h.ConfirmRevokeRegistrationToken).Name = handlers.RouteRevokeRegToken
	admin.POST("/registration-tokens/:id/revoke", h.RevokeRegistrationToken).Name = handlers.RouteRevokeRegToken
	// (end of admin console)
}

// mustRouteNames panics unless every name resolves to a route, so that a link to a renamed or
// dropped route stops the server at start-up instead of failing the request that follows it.
func mustRouteNames(e *echo.Echo, names []string) {
	for _, name := range names {
		if e.Reverse(name) == "" {
			panic("web: no route named " + name)
		}
	}
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
func (g pageGroup) GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return g.e.GET(g.prefix+path, h, g.with(m)...)
}

// POST adds a POST route.
func (g pageGroup) POST(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return g.e.POST(g.prefix+path, h, g.with(m)...)
}

// POSTAfter adds a POST route whose first middleware, before the group's, is pre.
func (g pageGroup) POSTAfter(pre echo.MiddlewareFunc, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return g.e.POST(g.prefix+path, h, append([]echo.MiddlewareFunc{pre}, g.with(m)...)...)
}

// Group returns a sub-group under prefix with more middleware.
func (g pageGroup) Group(prefix string, m ...echo.MiddlewareFunc) pageGroup {
	return pageGroup{e: g.e, prefix: g.prefix + prefix, mw: g.with(m)}
}
