package handlers

import (
	"encoding/base64"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/layout"
)

const (
	userKey  = "devportal.user"
	csrfKey  = "devportal.csrf"
	flashKey = "devportal.flash"
)

// SetCurrentUser records the signed-in user; the session middleware calls it.
func SetCurrentUser(c echo.Context, u *models.User) { c.Set(userKey, u) }

// CurrentUser is the signed-in user, or nil.
func CurrentUser(c echo.Context) *models.User {
	u, _ := c.Get(userKey).(*models.User)
	return u
}

// SetCSRFToken records the token forms must echo; the CSRF middleware calls it.
func SetCSRFToken(c echo.Context, token string) { c.Set(csrfKey, token) }

// CSRFToken is the token for this request's forms.
func CSRFToken(c echo.Context) string {
	t, _ := c.Get(csrfKey).(string)
	return t
}

// flash queues a message for the next page the browser shows.
func (h *Handlers) flash(c echo.Context, kind, text string) {
	v := base64.RawURLEncoding.EncodeToString([]byte(kind + "|" + text))
	c.SetCookie(h.cookie(FlashCookie, v, 60))
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
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return now
	}
	kind, text, ok := strings.Cut(string(raw), "|")
	if !ok || (kind != "success" && kind != "error" && kind != "info") {
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
