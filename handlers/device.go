package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/pages/auth"
)

// deviceJSON is the RFC 8628 §3.2 device authorization response.
type deviceJSON struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// DeviceAuthorization is the device authorization endpoint (RFC 8628 §3.1): the client
// authenticates as at the token endpoint and gets a device code and a user code.
func (h *Handlers) DeviceAuthorization(c echo.Context) error {
	form, err := parseProtocolForm(c.Request())
	if err != nil {
		return writeOAuthError(c, err)
	}
	req := oauth.DeviceRequest{Scope: oauth.ParseScope(form.Get("scope")), VerificationURI: h.issuer + h.url(RouteDevice), IP: c.RealIP()}
	req.ClientID, req.ClientSecret, err = clientCredentials(c.Request(), form.Get("client_id"), form.Get("client_secret"))
	if err != nil {
		return writeOAuthError(c, err)
	}
	resp, err := h.oauth.DeviceAuthorization(c.Request().Context(), req)
	if throttled(err) {
		return writeThrottled(c, err, "too many device sign-ins started from this address; try again after the time in Retry-After")
	}
	if err != nil {
		return writeOAuthError(c, err)
	}
	noStore(c)
	return c.JSON(http.StatusOK, deviceJSON{
		DeviceCode: resp.DeviceCode, UserCode: resp.UserCode, VerificationURI: resp.VerificationURI,
		VerificationURIComplete: resp.VerificationURIComplete, ExpiresIn: resp.ExpiresIn, Interval: resp.Interval,
	})
}

// DevicePage asks for the code a device shows; ?user_code= (verification_uri_complete) fills it
// in, and ?done= is where a decision ends.
func (h *Handlers) DevicePage(c echo.Context) error {
	noStore(c)
	switch c.QueryParam("done") {
	case "allowed":
		return h.render(c, http.StatusOK, auth.DeviceDone(auth.DeviceDoneView{Base: h.base(c, "You can return to your device", ""), Approved: true}))
	case "denied":
		return h.render(c, http.StatusOK, auth.DeviceDone(auth.DeviceDoneView{Base: h.base(c, "Sign-in cancelled", "")}))
	}
	code := c.QueryParam("user_code")
	if len(code) > 32 {
		code = ""
	}
	return h.deviceForm(c, http.StatusOK, code, "")
}

func (h *Handlers) deviceForm(c echo.Context, status int, code, msg string) error {
	return h.render(c, status, auth.Device(auth.DeviceView{Base: h.base(c, "Sign in on a device", ""), Action: h.url(RouteDevice), Code: code, Error: msg}))
}

// DeviceContinue checks the typed code and shows the consent page for its client and scopes.
func (h *Handlers) DeviceContinue(c echo.Context) error {
	typed := c.FormValue("user_code")
	p, err := h.findDevice(c, typed)
	if err != nil {
		return h.deviceError(c, typed, err)
	}
	user := CurrentUser(c)
	req := &oauth.AuthorizeRequest{Client: p.Client, Scopes: p.Scopes}
	_, fresh, err := h.oauth.ConsentNeeded(c.Request().Context(), req, user.ID)
	if err != nil {
		return err
	}
	v, err := h.consentView(c, req, user, fresh)
	if err != nil {
		return err
	}
	v.Device, v.Action, v.RedirectHost = true, h.url(RouteDeviceDecide), ""
	v.Params = []auth.Param{{Name: "user_code", Value: p.UserCode}}
	v.SwitchNext = h.url(RouteDevice) + "?" + url.Values{"user_code": {oauth.FormatUserCode(p.UserCode)}}.Encode()
	noStore(c)
	return h.render(c, http.StatusOK, auth.Consent(v))
}

// DeviceDecide takes Allow or Deny from the device consent page. The code is looked up again
// (under the same throttles): nothing about the request is kept between the two steps.
func (h *Handlers) DeviceDecide(c echo.Context) error {
	typed := c.FormValue("user_code")
	decision := c.FormValue("decision")
	if decision != "allow" && decision != "deny" {
		return models.ErrInvalid.Describe("Choose Allow or Deny.")
	}
	p, err := h.findDevice(c, typed)
	if err != nil {
		return h.deviceError(c, typed, err)
	}
	approve := decision == "allow"
	if err := h.oauth.DecideDevice(c.Request().Context(), p, authentication(c), approve); err != nil {
		return h.deviceError(c, typed, err)
	}
	typ, done := models.AuditDeviceDenied, "denied"
	if approve {
		typ, done = models.AuditDeviceApproved, "allowed"
	}
	h.audit(c, typ, p.Client.ID, strings.Join(p.Request.Scope, " "))
	return seeOther(c, h.url(RouteDevice)+"?done="+done)
}

func (h *Handlers) findDevice(c echo.Context, typed string) (*oauth.PendingDevice, error) {
	return h.oauth.FindDevice(c.Request().Context(), oauth.DeviceLookup{UserCode: typed, UserID: CurrentUser(c).ID, IP: c.RealIP()})
}

// deviceError shows the code form again with what went wrong next to the field.
func (h *Handlers) deviceError(c echo.Context, typed string, err error) error {
	var te *models.ThrottleError
	var oe *oauth.Error
	switch {
	case errors.As(err, &te):
		setRetryAfter(c, te.RetryAfter)
		if te.First {
			who := "this account"
			if te.Rule == models.ThrottleDeviceIP {
				who = "this address"
			}
			h.auditEvent(c, &models.AuditEvent{Type: models.AuditDeviceThrottled, Target: te.Subject, IP: c.RealIP(),
				Detail: fmt.Sprintf("%d wrong device codes from %s within %s; further codes refused", te.Max, who, humanWait(te.Window))})
		}
		return h.deviceForm(c, http.StatusTooManyRequests, typed, "Too many wrong codes. Wait "+humanWait(te.RetryAfter)+" and try again.")
	case errors.Is(err, oauth.ErrUserCodeInvalid):
		return h.deviceForm(c, http.StatusUnprocessableEntity, typed, "That code is not right, or it has expired. Check the code on your device, or start again there.")
	case errors.As(err, &oe):
		return h.deviceForm(c, http.StatusUnprocessableEntity, typed, "This application cannot sign in on devices right now: "+oauth.Capitalize(oe.Description)+".")
	}
	return err
}
