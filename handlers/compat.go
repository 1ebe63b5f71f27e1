package handlers

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models/oauth"
)

// compatTokenJSON is the compatibility dialect's token response: RFC 6749's fields plus
// expires_at.
type compatTokenJSON struct {
	TokenType    string `json:"token_type"`
	AccessToken  string `json:"access_token"`
	Scope        string `json:"scope"`
	ExpiresAt    string `json:"expires_at"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"` // the flow's "ID token", for openid grants
}

// compatTokenBody is the JSON body POST /oauth/tokens takes. scope may be a string or an array.
type compatTokenBody struct {
	GrantType    string          `json:"grant_type"`
	Code         string          `json:"code"`
	RedirectURI  string          `json:"redirect_uri"`
	CodeVerifier string          `json:"code_verifier"`
	ClientID     string          `json:"client_id"`
	ClientSecret string          `json:"client_secret"`
	RefreshToken string          `json:"refresh_token"`
	Scope        json.RawMessage `json:"scope"`
}

// CompatToken is the compatibility dialect's token endpoint: the same core as Token, reached
// with a JSON (or form) body, answering with expires_at and error_code errors. Its CORS rules
// are Token's.
func (h *Handlers) CompatToken(c echo.Context) error {
	origin := c.Request().Header.Get("Origin")
	req, err := parseCompatTokenRequest(c.Request())
	if err != nil {
		h.corsResponse(c, origin, err)
		return h.writeCompatError(c, err)
	}
	req.Origin, req.IP = origin, c.RealIP()
	resp, err := h.oauth.Token(c.Request().Context(), req)
	h.corsResponse(c, origin, err)
	if err != nil {
		return h.writeCompatError(c, err)
	}
	noStore(c)
	return c.JSON(http.StatusOK, compatTokenJSON{
		TokenType: resp.TokenType, AccessToken: resp.AccessToken, Scope: strings.Join(resp.Scope, " "),
		ExpiresAt: resp.ExpiresAt.UTC().Format(time.RFC3339), ExpiresIn: resp.ExpiresIn, RefreshToken: resp.RefreshToken, IDToken: resp.IDToken,
	})
}

func parseCompatTokenRequest(r *http.Request) (oauth.TokenRequest, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" {
		return parseTokenRequest(r)
	}
	if mt != "application/json" {
		return oauth.TokenRequest{}, oauth.ErrInvalidRequest.Describe("the body must be JSON (application/json) or a form")
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return oauth.TokenRequest{}, oauth.ErrInvalidRequest.Describe("the body could not be read")
	}
	if err := strictKeys(raw, compatTokenKeys); err != nil {
		return oauth.TokenRequest{}, err
	}
	var b compatTokenBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return oauth.TokenRequest{}, oauth.ErrInvalidRequest.Describe("the body is not a JSON object with string fields: %v", err)
	}
	scope, err := compatScope(b.Scope)
	if err != nil {
		return oauth.TokenRequest{}, err
	}
	req := oauth.TokenRequest{
		GrantType: b.GrantType, Code: b.Code, RedirectURI: b.RedirectURI, CodeVerifier: b.CodeVerifier,
		RefreshToken: b.RefreshToken, Scope: scope,
	}
	req.ClientID, req.ClientSecret, err = clientCredentials(r, b.ClientID, b.ClientSecret)
	return req, err
}

// compatScope accepts scope as a space-separated string or an array of names.
func compatScope(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return oauth.ParseScope(s), nil
	}
	if !strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
		// A number, object or boolean is not a list of names.
		return nil, oauth.ErrInvalidRequest.Describe(`scope must be a string or an array of strings, such as ["INVOICE.READ"]`)
	}
	return oauth.ParseScopesParam(string(raw))
}

// compatTokenKeys are the fields of compatTokenBody, spelled as the dialect spells them.
var compatTokenKeys = []string{"grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret", "refresh_token", "scope"}

// strictKeys refuses a JSON object that repeats a key or spells a known key in another case.
// encoding/json would quietly take the last duplicate and match keys case-insensitively, so
// {"client_id":"a","CLIENT_ID":"b"} could mean different things to us and to a proxy or WAF
// that inspected the body first. Other unknown keys are ignored, as JSON APIs usually do.
func strictKeys(raw []byte, known []string) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return oauth.ErrInvalidRequest.Describe("the body must be a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return oauth.ErrInvalidRequest.Describe("the body is not valid JSON")
		}
		key, _ := tok.(string)
		if seen[key] {
			return oauth.ErrInvalidRequest.Describe("key %q appears more than once in the body", key)
		}
		seen[key] = true
		if !slices.Contains(known, key) {
			for _, k := range known {
				if strings.EqualFold(k, key) {
					return oauth.ErrInvalidRequest.Describe("key %q must be spelled %q", key, k)
				}
			}
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return oauth.ErrInvalidRequest.Describe("the body is not valid JSON")
		}
	}
	return nil
}
