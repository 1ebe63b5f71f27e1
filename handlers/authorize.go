package handlers

import (
	"cmp"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/pages/auth"
	"github.com/devportal/devportal/templates/pages/shared"
)

// authorizeParamNames are the request parameters the consent form carries back (OIDC's
// ui_locales, claims_locales, display and acr_values are accepted and ignored).
var authorizeParamNames = []string{"client_id", "redirect_uri", "response_type", "grant_type", "response_mode", "scope", "scopes", "state",
	"code_challenge", "code_challenge_method", "prompt", "nonce", "max_age", "login_hint", "id_token_hint", "request", "request_uri", "resource"}

// parseAuthorize reads both dialects: RFC scope, or the compatibility dialect's scopes (names or
// a JSON array), and its legacy grant_type=code spelling of response_type=code.
func parseAuthorize(v url.Values) oauth.AuthorizeParams {
	p := oauth.AuthorizeParams{
		ClientID:            v.Get("client_id"),
		RedirectURI:         v.Get("redirect_uri"),
		ResponseType:        v.Get("response_type"),
		ResponseMode:        v.Get("response_mode"),
		Scope:               oauth.ParseScope(v.Get("scope")),
		State:               v.Get("state"),
		CodeChallenge:       v.Get("code_challenge"),
		CodeChallengeMethod: v.Get("code_challenge_method"),
		Prompt:              v.Get("prompt"),
		Nonce:               v.Get("nonce"),
		MaxAge:              v.Get("max_age"),
		LoginHint:           v.Get("login_hint"),
		IDTokenHint:         v.Get("id_token_hint"),
		Request:             v.Get("request"),
		RequestURI:          v.Get("request_uri"),
		Resource:            v["resource"],
	}
	if len(p.Scope) == 0 && v.Get("scopes") != "" {
		p.Scope, p.Malformed = oauth.ParseScopesParam(v.Get("scopes"))
	}
	if p.ResponseType == "" && v.Get("grant_type") == "code" {
		p.ResponseType = "code"
	}
	for _, name := range authorizeParamNames {
		// RFC 8707 §2 allows resource more than once; the protocol core answers invalid_target.
		if len(v[name]) > 1 && name != "resource" {
			p.Repeated = append(p.Repeated, name)
		}
		if len(v.Get(name)) > models.MaxProtocolParamLength && p.TooLong == "" {
			p.TooLong = name
		}
	}
	return p
}

// authentication is the signed-in user and their session, or nil.
func authentication(c echo.Context) *oauth.Authentication {
	u, s := CurrentUser(c), CurrentSession(c)
	if u == nil || s == nil {
		return nil
	}
	return &oauth.Authentication{User: u, Session: s}
}

// Authorize is the authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2): it validates the
// request, then logs the user in, asks which account or for consent, or approves, as
// oauth.NextStep decides.
func (h *Handlers) Authorize(c echo.Context) error {
	q := c.QueryParams()
	ctx := c.Request().Context()
	req, err := h.oauth.ValidateAuthorize(ctx, parseAuthorize(q))
	if err != nil {
		return h.authorizeError(c, req, err, false)
	}
	a := authentication(c)
	step, fresh, err := h.oauth.NextStep(ctx, req, a)
	if err != nil {
		return h.authorizeError(c, req, err, false)
	}
	here := h.url(RouteAuthorization)
	switch step {
	case oauth.StepLogin, oauth.StepSignup:
		next := here + "?" + oauth.ContinueAfter(step, q).Encode()
		route := RouteLogin
		if step == oauth.StepSignup {
			route = RouteSignup
		}
		v := url.Values{"next": {next}}
		if a != nil {
			v.Set("reauth", "1") // signed in, but this request needs a fresh login
		}
		if req.LoginHint != "" {
			v.Set("email", req.LoginHint)
		}
		return c.Redirect(http.StatusFound, h.url(route)+"?"+v.Encode())
	case oauth.StepSelectAccount:
		c.Response().Header().Set("Cache-Control", "no-store")
		return h.render(c, http.StatusOK, auth.SelectAccount(auth.SelectAccountView{
			Base: h.base(c, "Choose an account", ""), AppName: req.Client.Name, UserEmail: a.User.Email,
			ContinueURL: here + "?" + oauth.ContinueAfter(step, q).Encode(),
			SwitchNext:  here + "?" + oauth.ContinueAfter(oauth.StepLogin, q).Encode(),
		}))
	case oauth.StepApprove:
		// Everything asked for was allowed before: no page, straight back to the application.
		resp, err := h.oauth.Approve(ctx, req, a)
		if err != nil {
			return h.authorizeError(c, req, err, false)
		}
		return h.sendResponse(c, http.StatusFound, resp)
	}
	v, err := h.consentView(c, req, a.User, fresh)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.render(c, http.StatusOK, auth.Consent(v))
}

// consentView is the consent page for req: who asks, for what (fresh: the requested scopes the
// user has not allowed this client before), and what the user already allowed it, which a
// request for more lists apart from what is new.
func (h *Handlers) consentView(c echo.Context, req *oauth.AuthorizeRequest, user *models.User, fresh []string) (auth.ConsentView, error) {
	ctx := c.Request().Context()
	title := "Allow " + req.Client.Name + "?"
	signIn := oauth.SignInOnly(req.ScopeNames())
	if signIn {
		title = "Sign in to " + req.Client.Name + "?"
	}
	v := auth.ConsentView{
		Base:         h.base(c, title, ""),
		SignIn:       signIn,
		ClientID:     req.Client.ID,
		AppName:      req.Client.Name,
		Public:       !req.Client.Type.Confidential(),
		Action:       h.url(RouteAuthorization),
		Initial:      auth.Initial(req.Client.Name),
		UserEmail:    user.Email,
		SwitchNext:   c.Request().URL.RequestURI(),
		Before:       len(fresh) == 0,
		RedirectHost: redirectHost(req.RedirectURI),
		LogoURL:      req.Client.LogoURL,
		HomepageURL:  req.Client.HomepageURL,
		PrivacyURL:   req.Client.PrivacyURL,
		TermsURL:     req.Client.TermsURL,
	}
	if req.Client.MetadataDocument {
		v.MetadataHost, v.PortalName = metadataHost(req.Client.ID), cmp.Or(v.Base.Brand.Name, "devportal")
	}
	if req.API != nil {
		v.APIName = req.API.Name
	}
	if req.Client.Dynamic {
		v.SelfRegistered, v.PortalName = true, cmp.Or(v.Base.Brand.Name, "devportal")
	}
	if req.Client.OwnerID != nil {
		if owner, err := h.store.UserByID(ctx, *req.Client.OwnerID); err == nil {
			v.Owner, v.OwnerVerified = owner.Email, owner.VerifiedPublisherAt != nil
		}
	}
	var granted []string
	switch prior, err := h.store.ConsentFor(ctx, user.ID, req.Client.ID); {
	case err == nil:
		granted = prior.Scope
	case !errors.Is(err, models.ErrNotFound):
		return v, err
	}
	// Additional access: allowed something before, asking for more now. Only the new scopes
	// are the question; the rest is listed as what the user already allowed.
	v.Additional = len(granted) > 0 && len(fresh) > 0
	for _, s := range req.Scopes {
		if v.Additional && !slices.Contains(fresh, s.Name) {
			continue
		}
		v.Scopes = append(v.Scopes, shared.ScopeOption{Name: s.Name, Description: s.Description, Sensitive: s.Sensitive, New: v.Additional})
	}
	if v.Additional {
		catalog, err := h.store.ScopesByName(ctx, granted)
		if err != nil {
			return v, err
		}
		described := make(map[string]string, len(catalog))
		for _, s := range catalog {
			described[s.Name] = s.Description
		}
		for _, name := range granted {
			d := cmp.Or(described[name], name) // a scope since removed from the catalog
			v.Granted = append(v.Granted, shared.ScopeOption{Name: name, Description: d})
		}
	}
	for _, name := range authorizeParamNames {
		if val := c.QueryParam(name); val != "" {
			v.Params = append(v.Params, auth.Param{Name: name, Value: val})
		}
	}
	return v, nil
}

// Decide takes the user's Allow or Deny from the consent page. The request is validated again
// from the form: nothing about it is kept on the server between the two steps.
func (h *Handlers) Decide(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return models.ErrInvalid.Describe("The form could not be read.")
	}
	ctx := c.Request().Context()
	req, err := h.oauth.ValidateAuthorize(ctx, parseAuthorize(form))
	if err != nil {
		return h.authorizeError(c, req, err, true)
	}
	switch form.Get("decision") {
	case "allow":
		a := authentication(c)
		if a == nil { // requireUser guards the route; the session is loaded with the user
			return models.ErrForbidden.Describe("Log in first.")
		}
		resp, err := h.oauth.Approve(ctx, req, a)
		if err != nil {
			return h.authorizeError(c, req, err, true)
		}
		h.audit(c, models.AuditConsentGranted, req.Client.ID, strings.Join(req.ScopeNames(), " "))
		return h.sendResponse(c, http.StatusSeeOther, resp)
	case "deny":
		return h.sendResponse(c, http.StatusSeeOther, h.oauth.Deny(req))
	default:
		return models.ErrInvalid.Describe("Choose Allow or Deny.")
	}
}

// authorizeError shows errors that must not be redirected (unknown client, bad redirect URI) and
// sends the rest to the client with state and iss: automatically when the user pressed a button
// (interactive) or already trusts the application, and otherwise through a page that names the
// application's host, so that nobody can use the endpoint as an open redirector (RFC 9700
// §4.11.2; docs/security.md explains the policy).
func (h *Handlers) authorizeError(c echo.Context, req *oauth.AuthorizeRequest, err error, interactive bool) error {
	if acceptsJSON(c) {
		// A program, not a person: answer in the compatibility dialect instead of a page or a redirect.
		return h.writeCompatError(c, err)
	}
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		if req == nil {
			return err
		}
		c.Logger().Error(err)
		oe = oauth.ErrServerError
	}
	if req != nil {
		resp := h.oauth.ErrorResponse(req, oe)
		to := resp.URL()
		var userID int64
		if u := CurrentUser(c); u != nil {
			userID = u.ID
		}
		trusted, terr := h.oauth.TrustsRedirect(c.Request().Context(), req, userID)
		if terr != nil {
			return terr
		}
		if interactive || trusted {
			return h.sendResponse(c, http.StatusFound, resp)
		}
		host := redirectHost(req.RedirectURI)
		return h.render(c, http.StatusBadRequest, auth.ErrorPage(auth.ErrorView{
			Base: h.base(c, "Authorization failed", ""), Status: http.StatusBadRequest, Code: oe.Code,
			Heading:     req.Client.Name + " sent a request that could not be completed",
			Message:     oauth.Capitalize(oe.Description) + ".",
			Hint:        "The application's developer should check the request. You can return to " + host + "; it will be told what went wrong.",
			ContinueURL: to, ContinueHost: host,
		}))
	}
	v := auth.ErrorView{Base: h.base(c, "Authorization failed", ""), Status: http.StatusBadRequest, Code: oe.Code,
		Heading: "This application's sign-in link is broken", Message: oauth.Capitalize(oe.Description) + "."}
	switch {
	case errors.Is(oe, oauth.ErrUnknownClient):
		v.Hint = "The application's developer should check that client_id matches an application registered on this portal."
	case errors.Is(oe, oauth.ErrInvalidRedirectURI):
		v.Hint = "The application's developer should check that redirect_uri is exactly one of the registered redirect URIs, character for character (scheme, host, port, path and trailing slash)."
	case errors.Is(oe, oauth.ErrClientDisabled):
		v.Heading = "This application is not available"
	default:
		metadataClientError(&v, oe)
	}
	return h.render(c, http.StatusBadRequest, auth.ErrorPage(v))
}

// sendResponse delivers an authorization response: a redirect (status 302 or 303) with the
// parameters in the query, or, for response_mode=form_post, a page whose form posts them to the
// redirect URI (OAuth 2.0 Form Post Response Mode §2). That page submits itself with a script
// from /static, so the strict CSP holds, and shows a button for browsers without JavaScript; its
// CSP lets the form go to that one redirect URI and nowhere else.
func (h *Handlers) sendResponse(c echo.Context, status int, resp *oauth.Response) error {
	if !resp.FormPost {
		return c.Redirect(status, resp.URL())
	}
	v := auth.FormPostView{Action: resp.RedirectURI, Host: redirectHost(resp.RedirectURI)}
	for _, k := range slices.Sorted(maps.Keys(resp.Params)) {
		for _, val := range resp.Params[k] {
			v.Params = append(v.Params, auth.Param{Name: k, Value: val})
		}
	}
	hdr := c.Response().Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; form-action "+cspSource(resp.RedirectURI)+"; base-uri 'none'; frame-ancestors 'none'")
	return h.render(c, http.StatusOK, auth.FormPost(v))
}

// cspSource is uri as a CSP source expression: scheme, host and path, without query or
// fragment (CSP3 §2.3.2); a custom scheme, as native apps use, becomes "scheme:".
func cspSource(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		if err == nil && u.Scheme != "" {
			return u.Scheme + ":"
		}
		return "'none'"
	}
	// Characters CSP would read as separators cannot appear: the URI was validated at
	// registration, and url.Parse escapes the path.
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

func redirectHost(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	if u.Host == "" {
		return u.Scheme + ":"
	}
	return u.Host
}

// acceptsJSON tells a program asking for JSON from a browser, which always accepts text/html.
func acceptsJSON(c echo.Context) bool {
	accept := c.Request().Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}
