package handlers

import (
	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/templates/pages/account"
)

// passkeysView is the passkeys section of the security page.
func (h *Handlers) passkeysView(c echo.Context) (account.PasskeysView, error) {
	return account.PasskeysView{}, nil
}
