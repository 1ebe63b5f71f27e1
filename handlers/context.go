package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/layout"
)

const (
	userKey    = "devportal.user"
	sessionKey = "devportal.session"
	csrfKey    = "devportal.csrf"
	flashKey   = "devportal.flash"
)

// SetCurrentUser records the signed-in user; the session middleware calls it.
func SetCurrentUser(c echo.Context, u *models.User) { c.Set(userKey, u) }

// CurrentUser is the signed-in user, or nil.
func CurrentUser(c echo.Context) *models.User {
	u, _ := c.Get(userKey).(*models.User)
	return u
}

// SetCurrentSession records the signed-in user's session (its sid, when and how it was
// authenticated); the session middleware and a login call it.
func SetCurrentSession(c echo.Context, s *models.Session) { c.Set(sessionKey, s) }

// CurrentSession is the session of the signed-in user, or nil.
func CurrentSession(c echo.Context) *models.Session {
	s, _ := c.Get(sessionKey).(*models.Session)
	return s
}

// SetCSRFToken records the token forms must echo; the CSRF middleware calls it.
func SetCSRFToken(c echo.Context, token string) { c.Set(csrfKey, token) }

// CSRFToken is the token for this request's forms.
func CSRFToken(c echo.Context) string {
	t, _ := c.Get(csrfKey).(string)
	return t
}

// flash queues a message for the next page the browser shows. The cookie is signed, so nobody
// who can plant a cookie (a sibling subdomain, a script on another port) can make our pages
// show a message of their choosing.
func (h *Handlers) flash(c echo.Context, kind, text string) {
	payload := base64.RawURLEncoding.EncodeToString([]byte(kind + "|" + text))
	c.SetCookie(h.cookie(FlashCookie, payload+"."+h.flashMAC(payload), 60))
}

func (h *Handlers) flashMAC(payload string) string {
	m := hmac.New(sha256.New, h.flashKey)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// openFlash returns the kind and text of a flash cookie value if its signature holds.
func (h *Handlers) openFlash(value string) (kind, text string, ok bool) {
	payload, mac, ok := strings.Cut(value, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(h.flashMAC(payload))) {
		return "", "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", "", false
	}
	kind, text, ok = strings.Cut(string(raw), "|")
	if !ok || (kind != "success" && kind != "error" && kind != "info") {
		return "", "", false
	}
	return kind, text, true
}

// flashNow shows a message on the page this request renders.
func (h *Handlers) flashNow(c echo.Context, kind, text string) {
	now, _ := c.Get(flashKey).([]layout.Flash)
	c.Set(flashKey, append(now, layout.Flash{Kind: kind, Text: text}))
}

func (h *Handlers) takeFlashes(c echo.Context) []layout.Flash {
	now, _ := c.Get(flashKey).([]layout.Flash)
	ck, err := c.Cookie(FlashCookie)
	if err != nil || ck.Value == "" {
		return now
	}
	c.SetCookie(h.cookie(FlashCookie, "", -1))
	kind, text, ok := h.openFlash(ck.Value)
	if !ok {
		return now
	}
	return append([]layout.Flash{{Kind: kind, Text: text}}, now...)
}

// safeNext accepts only a local path as a post-login destination, so /login?next= cannot be
// used to send people to another site; nor a longer one than any URL we register.
func safeNext(next string) string {
	if len(next) > models.MaxURLLength || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n\t") {
		return ""
	}
	return next
}
