package handlers

import (
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models/oauth"
)

// tokenJSON is the RFC 6749 §5.1 success body.
type tokenJSON struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	IDToken      string `json:"id_token,omitempty"` // OIDC Core §3.1.3.3
}

// Token is the RFC 6749 token endpoint. Browser pages may call it from the origins their
// application allows (CORS).
func (h *Handlers) Token(c echo.Context) error {
	origin := c.Request().Header.Get("Origin")
	req, err := parseTokenRequest(c.Request())
	if err != nil {
		h.corsResponse(c, origin, err)
		return writeOAuthError(c, err)
	}
	req.Origin, req.IP = origin, c.RealIP()
	resp, err := h.oauth.Token(c.Request().Context(), req)
	h.corsResponse(c, origin, err)
	if err != nil {
		return writeOAuthError(c, err)
	}
	noStore(c)
	return c.JSON(http.StatusOK, tokenJSON{
		AccessToken: resp.AccessToken, TokenType: resp.TokenType, ExpiresIn: resp.ExpiresIn,
		RefreshToken: resp.RefreshToken, Scope: strings.Join(resp.Scope, " "), IDToken: resp.IDToken,
	})
}

// parseTokenRequest reads a form-encoded token request once.
func parseTokenRequest(r *http.Request) (oauth.TokenRequest, error) {
	form, err := parseProtocolForm(r)
	if err != nil {
		return oauth.TokenRequest{}, err
	}
	req := oauth.TokenRequest{
		GrantType:    form.Get("grant_type"),
		Code:         form.Get("code"),
		RedirectURI:  form.Get("redirect_uri"),
		CodeVerifier: form.Get("code_verifier"),
		RefreshToken: form.Get("refresh_token"),
		Scope:        oauth.ParseScope(form.Get("scope")),
		DeviceCode:   form.Get("device_code"),
		Resource:     form["resource"],
	}
	req.ClientID, req.ClientSecret, err = clientCredentials(r, form.Get("client_id"), form.Get("client_secret"))
	return req, err
}

// parseProtocolForm reads the form-encoded body of a token, introspection or revocation request.
func parseProtocolForm(r *http.Request) (url.Values, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return nil, oauth.ErrInvalidRequest.Describe("the body must be application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		return nil, oauth.ErrInvalidRequest.Describe("the body could not be parsed")
	}
	for k, vs := range r.PostForm {
		// RFC 6749 §3.2: parameters MUST NOT be included more than once; RFC 8707 §2 makes
		// resource the exception (the protocol core refuses several with invalid_target).
		if len(vs) > 1 && k != "resource" {
			return nil, oauth.ErrInvalidRequest.Describe("parameter %s is repeated", k)
		}
	}
	return r.PostForm, nil
}

// clientCredentials returns the client's id and secret from HTTP Basic (client_secret_basic) or
// from the body's id and secret (client_secret_post, or client_id alone for public clients),
// refusing both at once (RFC 6749 §2.3).
func clientCredentials(r *http.Request, id, secret string) (string, string, error) {
	bid, bsecret, basic, err := basicCredentials(r.Header.Get("Authorization"))
	if err != nil || !basic {
		return id, secret, err
	}
	if secret != "" {
		return "", "", oauth.ErrInvalidRequest.Describe("use one client authentication method, not both HTTP Basic and client_secret")
	}
	if id != "" && id != bid {
		return "", "", oauth.ErrInvalidRequest.Describe("client_id in the body differs from the one in HTTP Basic")
	}
	return bid, bsecret, nil
}

// basicCredentials decodes client_secret_basic: RFC 6749 §2.3.1 form-encodes id and secret
// before they are joined, so both are unescaped.
func basicCredentials(header string) (id, secret string, ok bool, err error) {
	scheme, rest, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", true, oauth.ErrInvalidClient.Describe("the Authorization header is not valid Basic credentials")
	}
	rawID, rawSecret, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", true, oauth.ErrInvalidClient.Describe("the Authorization header is not valid Basic credentials")
	}
	if id, err = url.QueryUnescape(rawID); err == nil {
		secret, err = url.QueryUnescape(rawSecret)
	}
	if err != nil {
		return "", "", true, oauth.ErrInvalidClient.Describe("the Basic credentials are not form-encoded correctly")
	}
	return id, secret, true, nil
}

func noStore(c echo.Context) {
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
}
