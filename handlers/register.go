package handlers

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

// registrationBody is an RFC 7591 §3.1 registration or RFC 7592 §2.2 update request body.
type registrationBody struct {
	oauth.ClientMetadata
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// Fields RFC 7592 §2.2 forbids in an update; present or not is all that matters.
	RegistrationAccessToken json.RawMessage `json:"registration_access_token"`
	RegistrationClientURI   json.RawMessage `json:"registration_client_uri"`
	ClientSecretExpiresAt   json.RawMessage `json:"client_secret_expires_at"`
	ClientIDIssuedAt        json.RawMessage `json:"client_id_issued_at"`
}

// forbidden names the first field an update must not send, or "".
func (b *registrationBody) forbidden() string {
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{
		{"registration_access_token", b.RegistrationAccessToken}, {"registration_client_uri", b.RegistrationClientURI},
		{"client_secret_expires_at", b.ClientSecretExpiresAt}, {"client_id_issued_at", b.ClientIDIssuedAt},
	} {
		if f.v != nil {
			return f.name
		}
	}
	return ""
}

// parseRegistrationBody reads the JSON body of a registration or an update (RFC 7591 §3.1).
func parseRegistrationBody(r *http.Request) (*registrationBody, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return nil, oauth.ErrInvalidClientMetadata.Describe("the body must be application/json client metadata (RFC 7591 §3.1)")
	}
	var b registrationBody
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&b); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, oauth.ErrInvalidClientMetadata.Describe("%s has the wrong JSON type (%s expected)", te.Field, te.Type)
		}
		return nil, oauth.ErrInvalidClientMetadata.Describe("the body must be one JSON object of client metadata")
	}
	if dec.More() {
		return nil, oauth.ErrInvalidClientMetadata.Describe("the body must be one JSON object of client metadata")
	}
	return &b, nil
}

// bearerToken is the token of an Authorization: Bearer header (RFC 6750 §2.1), or "".
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// managePath is the path the client id follows in a registration_client_uri.
func (h *Handlers) managePath() string { return h.paths["registration"] + "/" }

// writeRegistrationError answers a registration failure: RFC 7591 §3.2.2 JSON; 401 with a
// Bearer challenge for a missing or wrong token (RFC 6750 §3); 429 with Retry-After when the
// caller's address used up its open registrations.
func writeRegistrationError(c echo.Context, err error) error {
	if throttled(err) {
		return writeThrottled(c, err, "too many registrations from this address; try again after the time in Retry-After")
	}
	if errors.Is(err, oauth.ErrInvalidToken) {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="devportal", error="invalid_token"`)
	}
	return writeOAuthError(c, err)
}

func throttled(err error) bool {
	var te *models.ThrottleError
	return errors.As(err, &te)
}

// writeThrottled answers a protocol request refused by a throttle (a *models.ThrottleError in
// err): RFC 6749 §5.2 has no code for it, so 429 with Retry-After and temporarily_unavailable,
// the nearest code RFC 6749 defines (§4.1.2.1).
func writeThrottled(c echo.Context, err error, description string) error {
	var te *models.ThrottleError
	errors.As(err, &te)
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(max(te.RetryAfter.Seconds(), 1))))
	noStore(c)
	return c.JSON(http.StatusTooManyRequests, oauthErrorJSON{Error: "temporarily_unavailable", Description: description})
}

// RegistrationPreflight answers the CORS preflight of /oauth/register (POST) and of a
// registration_client_uri (GET, PUT, DELETE) for any origin: these endpoints take no cookies,
// only what the request itself carries (an initial access token, a registration access
// token), so a page of any origin gains nothing it could not send from anywhere else.
func (h *Handlers) RegistrationPreflight(c echo.Context) error {
	if h.dcr == models.DCROff {
		return registrationOff(c)
	}
	methods := "POST"
	if c.Param("client") != "" {
		methods = "GET, PUT, DELETE"
	}
	hdr := c.Response().Header()
	hdr.Set("Allow", "OPTIONS, "+methods)
	allowAnyOrigin(c)
	hdr.Set("Access-Control-Allow-Methods", methods)
	hdr.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	hdr.Set("Access-Control-Max-Age", strconv.Itoa(preflightMaxAge))
	return c.NoContent(http.StatusNoContent)
}

// registrationOff answers a registration request while DEVPORTAL_DCR is off: 404, like an
// unrouted path.
func registrationOff(c echo.Context) error {
	noStore(c)
	return echo.ErrNotFound
}

// Register is the RFC 7591 client registration endpoint (POST /oauth/register). It answers
// 404, like an unrouted path, while DEVPORTAL_DCR is off.
func (h *Handlers) Register(c echo.Context) error {
	if h.dcr == models.DCROff {
		return registrationOff(c)
	}
	allowAnyOrigin(c) // no cookies here: a browser-based client may register, errors included
	b, err := parseRegistrationBody(c.Request())
	if err != nil {
		return writeRegistrationError(c, err)
	}
	ip := c.RealIP()
	ctx := models.WithAuditActor(c.Request().Context(), models.AuditActor{Name: "dynamic registration", IP: ip})
	resp, err := h.oauth.Register(ctx, oauth.RegisterRequest{
		Policy: h.dcr, InitialAccessToken: bearerToken(c.Request()), IP: ip, Metadata: b.ClientMetadata, ManagePath: h.managePath(),
	})
	if err != nil {
		return writeRegistrationError(c, err)
	}
	noStore(c)
	return c.JSON(http.StatusCreated, resp)
}

// ReadRegistration is RFC 7592 §2.1 (GET registration_client_uri).
func (h *Handlers) ReadRegistration(c echo.Context) error {
	if h.dcr == models.DCROff {
		return registrationOff(c)
	}
	allowAnyOrigin(c) // no cookies here: a browser-based client may register, errors included
	resp, err := h.oauth.ReadRegistration(c.Request().Context(), c.Param("client"), bearerToken(c.Request()), h.managePath())
	if err != nil {
		return writeRegistrationError(c, err)
	}
	noStore(c)
	return c.JSON(http.StatusOK, resp)
}

// UpdateRegistration is RFC 7592 §2.2 (PUT registration_client_uri): the body replaces the
// registration.
func (h *Handlers) UpdateRegistration(c echo.Context) error {
	if h.dcr == models.DCROff {
		return registrationOff(c)
	}
	allowAnyOrigin(c) // no cookies here: a browser-based client may register, errors included
	id, token := c.Param("client"), bearerToken(c.Request())
	b, err := parseRegistrationBody(c.Request())
	if err != nil {
		return writeRegistrationError(c, err)
	}
	ctx := models.WithAuditActor(c.Request().Context(), models.AuditActor{Name: id, IP: c.RealIP()})
	resp, err := h.oauth.UpdateRegistration(ctx, id, token, h.dcr, oauth.RegistrationUpdate{
		ClientMetadata: b.ClientMetadata, ClientID: b.ClientID, ClientSecret: b.ClientSecret, Forbidden: b.forbidden(),
	}, h.managePath())
	if err != nil {
		return writeRegistrationError(c, err)
	}
	noStore(c)
	return c.JSON(http.StatusOK, resp)
}

// DeleteRegistration is RFC 7592 §2.3 (DELETE registration_client_uri): 204 once deleted.
func (h *Handlers) DeleteRegistration(c echo.Context) error {
	if h.dcr == models.DCROff {
		return registrationOff(c)
	}
	allowAnyOrigin(c) // no cookies here: a browser-based client may register, errors included
	id := c.Param("client")
	ctx := models.WithAuditActor(c.Request().Context(), models.AuditActor{Name: id, IP: c.RealIP()})
	if err := h.oauth.DeleteRegistration(ctx, id, bearerToken(c.Request())); err != nil {
		return writeRegistrationError(c, err)
	}
	noStore(c)
	return c.NoContent(http.StatusNoContent)
}
