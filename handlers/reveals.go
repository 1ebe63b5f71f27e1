package handlers

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
)

// putReveal keeps a secret a POST made for the page that POST redirects to, in the signed-in
// session only (post / redirect / get: the secret is never in the POST's answer, nor in a URL).
func (h *Handlers) putReveal(c echo.Context, purpose, subject string, payload []byte) error {
	s := CurrentSession(c)
	if s == nil || s.SID == "" {
		return errors.New("handlers: a one-time reveal needs a signed-in session")
	}
	return h.store.PutReveal(c.Request().Context(), h.revealKey, s.SID, purpose, subject, payload, h.now())
}

// takeReveal returns, once, what putReveal kept for this session, purpose and subject; nil when
// there is nothing (already shown, expired, or kept for another session). A page showing it
// must not be cached: it answers no-store.
func (h *Handlers) takeReveal(c echo.Context, purpose, subject string) ([]byte, error) {
	s := CurrentSession(c)
	if s == nil || s.SID == "" {
		return nil, nil
	}
	payload, err := h.store.TakeReveal(c.Request().Context(), h.revealKey, s.SID, purpose, subject, h.now())
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return payload, nil
}
