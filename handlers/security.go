package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/pages/account"
)

// SecurityPage is /account/security: two-factor authentication, passkeys and the account's
// sessions, each of which the person can sign out.
func (h *Handlers) SecurityPage(c echo.Context) error {
	v, err := h.securityView(c)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, account.Security(v))
}

func (h *Handlers) securityView(c echo.Context) (account.SecurityView, error) {
	ctx := c.Request().Context()
	u, current := CurrentUser(c), CurrentSession(c)
	v := account.SecurityView{Base: h.base(c, "Security", "account"), SignOutAllURL: h.url(RouteSignOutAll)}
	var err error
	if v.TwoFactor, err = h.twoFactorView(c); err != nil {
		return v, err
	}
	if v.Passkeys, err = h.passkeysView(c); err != nil {
		return v, err
	}
	sessions, err := h.store.UserSessions(ctx, u.ID, h.now())
	if err != nil {
		return v, err
	}
	for _, s := range sessions {
		row := account.SessionRow{Device: DeviceName(s.UserAgent), IP: s.IP, LastSeenISO: isoTime(s.LastSeenAt), LastSeen: humanTime(s.LastSeenAt)}
		if current != nil && s.SID == current.SID {
			row.Current = true
		} else {
			row.SignOutURL = h.url(RouteEndOneSession, s.SID)
		}
		v.Sessions = append(v.Sessions, row)
	}
	return v, nil
}

// EndOneSession signs out one of the person's other sessions; a sid that is not theirs ends
// nothing and answers 404.
func (h *Handlers) EndOneSession(c echo.Context) error {
	u := CurrentUser(c)
	sid := c.Param("sid")
	err := h.store.EndSessionBySID(c.Request().Context(), u.ID, sid)
	if err != nil {
		return models.Reword(err, models.ErrNotFound, "That session has already ended.")
	}
	h.audit(c, models.AuditSessionEnded, u.Email, "")
	h.notifyAccount(c, u, "A session of your account was signed out", "A session of your devportal account was signed out", "It was signed out from the security page of your account.")
	h.flash(c, "success", "That session is signed out.")
	return seeOther(c, h.url(RouteSecurity))
}

// DeviceName says in words which browser and system a User-Agent names ("Firefox on Windows"),
// enough for a person to recognise their own devices; "Unknown device" when it says nothing
// recognisable.
func DeviceName(ua string) string {
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, s := range []struct{ token, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, s.token) {
			system = s.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return system
	}
	return "Unknown device"
}
