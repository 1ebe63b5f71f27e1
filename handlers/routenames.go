package handlers

import "net/url"

// Route names. web's route table gives every route one of these names, and handlers build
// links and redirects from them (through Options.URL), so a path is spelled once: in the table.
const (
	RouteHealthz        = "healthz"
	RouteReadyz         = "readyz"
	RouteStatic         = "static"
	RouteAuthorization  = "authorization" // the keys of web.Paths name the protocol routes
	RouteToken          = "token"
	RouteIntrospection  = "introspection"
	RouteRevocation     = "revocation"
	RouteJWKS           = "jwks"
	RouteMetadata       = "metadata"
	RouteOpenIDConfig   = "openid_configuration"
	RouteUserInfo       = "userinfo"
	RouteEndSession     = "end_session" // RP-Initiated Logout; RouteLogout is the portal's own
	RouteCompatToken    = "compat-token"
	RouteInvoices       = "invoices"
	RouteHome           = "home"
	RouteDocs           = "docs"
	RouteGuide          = "guide"
	RouteOIDCGuide      = "oidc-guide"
	RouteAPIReference   = "api-reference"
	RouteOAuthReference = "oauth-reference"
	RouteOpenAPI        = "openapi"
	RouteLogin          = "login"
	RouteSignup         = "signup"
	RouteLogout         = "logout"
	RouteAuth           = "auth"
	RouteAccount        = "account"
	RouteApps           = "apps"
	RouteNewApp         = "new-app"
	RouteApp            = "app"
	RouteRotateSecret   = "rotate-secret"
	RouteDeleteApp      = "delete-app"
	RouteAppActivity    = "app-activity"
	RouteRetireSecret   = "retire-secret"
	RouteChangePassword = "change-password"
	RouteProfile        = "account-profile"
	RouteSignOutAll     = "sign-out-everywhere"
	RouteSecurity       = "security"
	RouteEndOneSession  = "end-one-session"
	RouteAuthorizedApps = "authorized-apps"
	RouteRevokeApp      = "revoke-app"
	RouteAdmin          = "admin"
	RouteAdminClients   = "admin-clients"
	RouteSuspendClient  = "suspend-client"
	RouteReinstate      = "reinstate-client"
	RouteIntrospectFlag = "client-introspection"
	RouteRevokeClient   = "revoke-client"
	RouteAdminScopes    = "admin-scopes"
	RouteScope          = "scope"
	RouteRetireScope    = "retire-scope"
	RouteApproveRequest = "approve-scope-request"
	RouteRejectRequest  = "reject-scope-request"
	RouteAdminUsers     = "admin-users"
	RouteDisableUser    = "disable-user"
	RouteEnableUser     = "enable-user"
	RouteGrantAdmin     = "grant-admin"
	RouteRemoveAdmin    = "remove-admin"
	RouteAdminAudit     = "admin-audit"
	// Passkeys (WebAuthn): registration and management on the security page, sign-in on /login.
	RoutePasskeyBegin      = "passkey-begin"
	RoutePasskeyFinish     = "passkey-finish"
	RouteRenamePasskey     = "rename-passkey"
	RouteRemovePasskey     = "remove-passkey"
	RoutePasskeyLoginBegin = "passkey-login-begin"
	RoutePasskeyLogin      = "passkey-login"
	// Two-factor authentication (TOTP): the login's second step, the security page's forms and
	// an administrator's reset.
	RouteLoginVerify = "login-verify"
	// A passkey as the second factor of a password login.
	RoutePasskeyVerifyBegin = "passkey-verify-begin"
	RoutePasskeyVerify      = "passkey-verify"
	RouteTOTPSetup          = "totp-setup"
	RouteTOTPEnable         = "totp-enable"
	RouteTOTPDisable        = "totp-disable"
	RouteRecoveryCodes      = "recovery-codes"
	RouteResetTwoFactor     = "reset-two-factor"
	// Mailed links (issue #11).
	RouteVerifyEmail        = "verify-email"
	RouteResendVerification = "resend-verification"
	RouteChangeEmail        = "change-email"
	RouteConfirmEmail       = "confirm-email"
	RouteForgotPassword     = "forgot-password"
	RouteResetPassword      = "reset-password"
	RouteSendReset          = "admin-send-reset"
	RouteUnlockUser         = "admin-unlock-user"
	RouteVerifyPublisher    = "admin-verify-publisher"
	RouteUnverifyPublisher  = "admin-unverify-publisher"
	// RouteBrandCSS is the operator's accent colour as a stylesheet (the CSP forbids inline styles).
	RouteBrandCSS = "brand-css"
)

// The admin console's pages of one client and one user (issue #13).
const (
	RouteAdminClient = "admin-client"
	RouteAdminUser   = "admin-user"
)

// The device authorization grant (RFC 8628, issue 15).
const (
	RouteDeviceAuthorization = "device_authorization" // a key of web.Paths
	RouteDevice              = "device"
	RouteDeviceDecide        = "device-decide"
)

// APIs as resource servers (issue 15): their RFC 9728 documents and the admin pages.
const (
	RouteProtectedResource = "protected-resource"
	RouteAdminAPIs         = "admin-apis"
	RouteAdminAPI          = "admin-api"
	RouteDeleteAPI         = "delete-api"
	RouteAPIsGuide         = "apis-guide"
	RouteAgentsGuide       = "agents-guide"
)

// The blocked hosts of client ID metadata documents (issue 15).
const (
	RouteAdminClientHosts = "admin-client-hosts"
	RouteUnblockHost      = "admin-unblock-host"
)

// RouteNames is every name above. web.New refuses to start when one of them is not routed, so
// a renamed or dropped route fails at start-up rather than on the request that links to it.
var RouteNames = []string{
	RouteHealthz, RouteReadyz, RouteStatic,
	RouteAuthorization, RouteToken, RouteIntrospection, RouteRevocation, RouteJWKS, RouteMetadata, RouteCompatToken,
	RouteOpenIDConfig, RouteUserInfo, RouteEndSession,
	RouteInvoices,
	RouteHome, RouteDocs, RouteGuide, RouteOIDCGuide, RouteAPIReference, RouteOAuthReference, RouteOpenAPI,
	RouteLogin, RouteSignup, RouteLogout, RouteAuth,
	RouteAccount, RouteApps, RouteNewApp, RouteApp, RouteRotateSecret, RouteDeleteApp, RouteAppActivity, RouteRetireSecret,
	RouteChangePassword, RouteProfile, RouteSignOutAll, RouteSecurity, RouteEndOneSession, RouteAuthorizedApps, RouteRevokeApp,
	RouteAdmin, RouteAdminClients, RouteSuspendClient, RouteReinstate, RouteIntrospectFlag, RouteRevokeClient,
	RouteAdminScopes, RouteScope, RouteRetireScope, RouteApproveRequest, RouteRejectRequest,
	RouteAdminUsers, RouteDisableUser, RouteEnableUser, RouteGrantAdmin, RouteRemoveAdmin, RouteAdminAudit,
	RouteAdminClient, RouteAdminUser,
	RoutePasskeyBegin, RoutePasskeyFinish, RouteRenamePasskey, RouteRemovePasskey, RoutePasskeyLoginBegin, RoutePasskeyLogin,
	RouteLoginVerify, RoutePasskeyVerifyBegin, RoutePasskeyVerify, RouteTOTPSetup, RouteTOTPEnable, RouteTOTPDisable, RouteRecoveryCodes, RouteResetTwoFactor,
	RouteVerifyEmail, RouteResendVerification, RouteChangeEmail, RouteConfirmEmail, RouteForgotPassword, RouteResetPassword,
	RouteSendReset, RouteUnlockUser, RouteVerifyPublisher, RouteUnverifyPublisher,
	RouteBrandCSS,
	RouteDeviceAuthorization, RouteDevice, RouteDeviceDecide,
	RouteProtectedResource, RouteAdminAPIs, RouteAdminAPI, RouteDeleteAPI, RouteAPIsGuide, RouteAgentsGuide,
	RouteAdminClientHosts, RouteUnblockHost,
}

// url is the path of the named route with params in place of its :parameters. An unknown name
// is a programming error, caught at start-up by web.New; the panic here only backs that up.
func (h *Handlers) url(name string, params ...any) string {
	for i, v := range params {
		if s, ok := v.(string); ok {
			params[i] = url.PathEscape(s) // a client id may be a URL (client ID metadata documents); see pathParam
		}
	}
	p := h.urlFor(name, params...)
	if p == "" {
		panic("handlers: no route named " + name)
	}
	return p
}

// Dynamic Client Registration (issue 15): the RFC 7591 endpoint, the RFC 7592 management of one
// registration, and the admin page of initial access tokens.
const (
	RouteRegistration       = "registration" // a key of web.Paths
	RouteRegistrationClient = "registration-client"
	RouteAdminRegTokens     = "admin-registration-tokens"
	RouteRevokeRegToken     = "revoke-registration-token"
)

func init() {
	RouteNames = append(RouteNames, RouteRegistration, RouteRegistrationClient, RouteAdminRegTokens, RouteRevokeRegToken)
}
