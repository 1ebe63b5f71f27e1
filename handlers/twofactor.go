package handlers

import (
	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/templates/pages/account"
)

// twoFactorView is the two-factor section of the security page.
func (h *Handlers) twoFactorView(c echo.Context) (account.TwoFactorView, error) {
	return account.TwoFactorView{}, nil
}
