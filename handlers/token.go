package handlers

import (
	"encoding/base64"
	"errors"
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
}

// oauthErrorJSON is the RFC 6749 §5.2 error body.
type oauthErrorJSON struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// Token is the RFC 6749 token endpoint.
func (h *Handlers) Token(c echo.Context) error {
	req, err := parseTokenRequest(c.Request())
	if err == nil {
		var resp *oauth.TokenResponse
		if resp, err = h.oauth.Token(c.Request().Context(), req); err == nil {
			noStore(c)
			return c.JSON(http.StatusOK, tokenJSON{
				AccessToken: resp.AccessToken, TokenType: resp.TokenType, ExpiresIn: resp.ExpiresIn,
				RefreshToken: resp.RefreshToken, Scope: strings.Join(resp.Scope, " "),
			})
		}
	}
	return writeOAuthError(c, err)
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
	}
	req.ClientID, req.ClientSecret, err = clientCredentials(r, form)
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
		if len(vs) > 1 { // RFC 6749 §3.2: parameters MUST NOT be included more than once
			return nil, oauth.ErrInvalidRequest.Describe("parameter %s is repeated", k)
		}
	}
	return r.PostForm, nil
}

// clientCredentials returns the client's id and secret from HTTP Basic (client_secret_basic) or
// the body (client_secret_post, or client_id alone for public clients), refusing both at once
// (RFC 6749 §2.3).
func clientCredentials(r *http.Request, form url.Values) (id, secret string, err error) {
	id, secret = form.Get("client_id"), form.Get("client_secret")
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

// rfcStatus is the one place an OAuth error code becomes an HTTP status (RFC 6749 §5.2).
var rfcStatus = map[string]int{
	"invalid_client": http.StatusUnauthorized,
	"server_error":   http.StatusInternalServerError,
}

// writeOAuthError answers with an RFC 6749 §5.2 error. Failures that are not OAuth errors are
// logged and reported as server_error without detail.
func writeOAuthError(c echo.Context, err error) error {
	var oe *oauth.Error
	if !errors.As(err, &oe) {
		c.Logger().Error(err)
		oe = oauth.ErrServerError
	}
	status, ok := rfcStatus[oe.Code]
	if !ok {
		status = http.StatusBadRequest
	}
	if status == http.StatusUnauthorized {
		// RFC 6749 §5.2 requires the challenge when the client used Basic; sending it always
		// also tells body-authenticating clients which scheme exists.
		c.Response().Header().Set("WWW-Authenticate", `Basic realm="devportal", charset="UTF-8"`)
	}
	noStore(c)
	return c.JSON(status, oauthErrorJSON{Error: oe.Code, Description: oe.Description})
}

func noStore(c echo.Context) {
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
}
