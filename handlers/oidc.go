package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/pages/auth"
)

// UserInfo is the userinfo endpoint (OIDC Core §5.3), GET or POST, with the access token in the
// Authorization header (RFC 6750 §2.1) or, on POST, the form body (§2.2). Failures are RFC 6750
// errors with a Bearer challenge: 401 invalid_token, 403 insufficient_scope. A browser page may
// read the answer when the token's client allows its origin.
func (h *Handlers) UserInfo(c echo.Context) error {
	r := c.Request()
	token := BearerToken(r)
	if token == "" && r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEApplicationForm) {
		form, err := c.FormParams()
		if err == nil && len(form["access_token"]) == 1 {
			token = form.Get("access_token")
		}
	}
	origin := r.Header.Get("Origin")
	if token == "" {
		return h.bearerError(c, origin, oauth.ErrInvalidToken.Describe("send the access token in an Authorization: Bearer header"))
	}
	info, claims, err := h.oauth.UserInfo(r.Context(), token)
	if claims != nil && h.oauth.CrossOrigin(origin) {
		if client, cerr := h.store.ClientByID(r.Context(), claims.ClientID); cerr == nil && h.oauth.CheckOrigin(client, origin) == nil {
			c.Response().Header().Add("Vary", "Origin")
			c.Response().Header().Set("Access-Control-Allow-Origin", origin)
		}
	}
	if err != nil {
		return h.bearerError(c, "", err)
	}
	noStore(c)
	return c.JSON(http.StatusOK, info)
}

// BearerToken is the token of an "Authorization: Bearer" header (RFC 6750 §2.1; the scheme is
// case-insensitive), or "" when there is none.
func BearerToken(r *http.Request) string {
	scheme, t, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(t)
}

// bearerError answers a userinfo failure: RFC 6750 §3's challenge and the RFC 6749 JSON body.
// origin, when set, gets CORS headers as the token endpoint's errors do.
func (h *Handlers) bearerError(c echo.Context, origin string, err error) error {
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		return err
	}
	if origin != "" {
		h.corsResponse(c, origin, err)
	}
	challenge := fmt.Sprintf(`Bearer realm="devportal", error=%q, error_description=%q`, oe.Code, oe.Description)
	if errors.Is(oe, oauth.ErrInsufficientScope) {
		challenge += `, scope="openid"`
	}
	c.Response().Header().Set("WWW-Authenticate", challenge)
	return writeOAuthError(c, oe)
}

// logoutParamNames are the RP-Initiated Logout parameters the confirmation form carries back.
var logoutParamNames = []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state"}

func parseLogout(v map[string][]string) oauth.LogoutParams {
	get := func(k string) string {
		if len(v[k]) > 0 {
			return v[k][0]
		}
		return ""
	}
	p := oauth.LogoutParams{IDTokenHint: get("id_token_hint"), ClientID: get("client_id"), PostLogoutRedirectURI: get("post_logout_redirect_uri"), State: get("state")}
	for _, name := range logoutParamNames {
		if len(v[name]) > 1 {
			p.Repeated = append(p.Repeated, name)
		}
	}
	return p
}

// EndSession is RP-Initiated Logout (OpenID Connect RP-Initiated Logout 1.0): GET validates the
// request and, when the id_token_hint names this browser's session, signs out at once; otherwise
// it asks for confirmation with a "Log out" button that POSTs here (CSRF-protected). After the
// logout the browser goes to the registered post-logout redirect URI with state, or sees the
// signed-out page.
func (h *Handlers) EndSession(c echo.Context) error {
	var params map[string][]string
	if c.Request().Method == http.MethodPost {
		form, err := c.FormParams()
		if err != nil {
			return models.ErrInvalid.Describe("The form could not be read.")
		}
		params = form
	} else {
		params = c.QueryParams()
	}
	req, err := h.oauth.ValidateLogout(c.Request().Context(), parseLogout(params))
	if err != nil {
		return h.logoutError(c, err)
	}
	a := authentication(c)
	appName := ""
	if req.Client != nil {
		appName = req.Client.Name
	}
	if c.Request().Method == http.MethodGet && req.NeedsConfirmation(a) {
		v := auth.LogoutView{Base: h.base(c, "Log out", ""), AppName: appName, UserEmail: a.User.Email,
			Action: h.url(RouteEndSession), ReturnHost: redirectHost(req.RedirectURI)}
		if req.RedirectURI == "" {
			v.ReturnHost = ""
		}
		for _, name := range logoutParamNames {
			if val := params[name]; len(val) == 1 && val[0] != "" {
				v.Params = append(v.Params, auth.Param{Name: name, Value: val[0]})
			}
		}
		noStore(c)
		return h.render(c, http.StatusOK, auth.LogoutConfirm(v))
	}
	if a != nil {
		if err := h.endSession(c); err != nil {
			return err
		}
		h.audit(c, models.AuditLogout, a.User.Email, appName)
	}
	if to := req.ReturnURL(); to != "" {
		return seeOther(c, to)
	}
	return h.render(c, http.StatusOK, auth.SignedOut(auth.LogoutView{Base: h.base(c, "Logged out", "")}))
}

// logoutError shows why a logout request cannot be honoured; it is never redirected.
func (h *Handlers) logoutError(c echo.Context, err error) error {
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		return err
	}
	v := auth.ErrorView{Base: h.base(c, "Logout failed", ""), Status: http.StatusBadRequest, Code: oe.Code,
		Heading: "This sign-out link is broken", Message: oauth.Capitalize(oe.Description) + ".",
		Hint: "Nothing was changed. The application's developer should check the logout request: post_logout_redirect_uri must be registered in the application's settings, exactly."}
	return h.render(c, http.StatusBadRequest, auth.ErrorPage(v))
}

// endSession ends this browser's portal session and drops its cookie.
func (h *Handlers) endSession(c echo.Context) error {
	if ck, err := c.Cookie(SessionCookie); err == nil {
		if err := h.store.DeleteSession(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	c.SetCookie(h.cookie(SessionCookie, "", -1))
	SetCurrentUser(c, nil)
	SetCurrentSession(c, nil)
	return nil
}
