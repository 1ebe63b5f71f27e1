package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/pages/admin"
	"github.com/devportal/devportal/templates/pages/shared"
)

// AdminUsers lists users, filtered by the query string.
func (h *Handlers) AdminUsers(c echo.Context) error {
	query := strings.TrimSpace(c.QueryParam("q"))
	if err := models.ValidateSearch(query); err != nil {
		return searchTooLong(err)
	}
	users, err := h.store.ListUsers(c.Request().Context(), query, adminListLimit+1)
	if err != nil {
		return err
	}
	v := admin.AdminUsersView{Base: h.base(c, "Users · Admin", "admin"), Query: query, Return: h.url(RouteAdminUsers)}
	if query != "" {
		v.Return += "?" + url.Values{"q": {query}}.Encode()
	}
	if len(users) > adminListLimit {
		users, v.Truncated = users[:adminListLimit], true
	}
	me := CurrentUser(c).ID
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	twoFactor, err := h.store.TOTPEnabledUsers(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	for _, u := range users {
		id := strconv.FormatInt(u.ID, 10)
		v.Users = append(v.Users, admin.AdminUserRow{
			ID: id, Email: u.Email, IsAdmin: u.IsAdmin, Disabled: u.DisabledAt != nil, Self: u.ID == me,
			CreatedISO: isoTime(u.CreatedAt), Created: humanTime(u.CreatedAt),
			EnableURL: h.url(RouteEnableUser, id), DisableURL: h.url(RouteDisableUser, id),
			GrantAdminURL: h.url(RouteGrantAdmin, id), RemoveAdminURL: h.url(RouteRemoveAdmin, id),
			TwoFactor: twoFactor[u.ID], ResetTwoFactorURL: h.url(RouteResetTwoFactor, id),
			EmailVerified: u.EmailVerifiedAt != nil, VerifiedPublisher: u.VerifiedPublisherAt != nil,
			SendResetURL: h.url(RouteSendReset, id), UnlockURL: h.url(RouteUnlockUser, id),
			VerifyPublisherURL: h.url(RouteVerifyPublisher, id), UnverifyPublisherURL: h.url(RouteUnverifyPublisher, id),
		})
	}
	return h.render(c, http.StatusOK, admin.AdminUsers(v))
}

// DisableUser signs a user out everywhere and stops every token of their grants, until enabled.
func (h *Handlers) DisableUser(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	back := adminReturn(c, h.url(RouteAdminUsers))
	if u.ID == CurrentUser(c).ID {
		h.flash(c, "error", "You cannot disable your own account. Ask another administrator.")
		return seeOther(c, back)
	}
	if err := h.store.SetUserDisabled(c.Request().Context(), u.ID, true); err != nil {
		return h.refuseLastAdmin(c, err, back)
	}
	h.audit(c, models.AuditUserDisabled, u.Email, "")
	h.flash(c, "success", u.Email+" was disabled and signed out everywhere. Tokens issued for them no longer work.")
	return seeOther(c, back)
}

// EnableUser lets a disabled user sign in again.
func (h *Handlers) EnableUser(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	back := adminReturn(c, h.url(RouteAdminUsers))
	if err := h.store.SetUserDisabled(c.Request().Context(), u.ID, false); err != nil {
		return err
	}
	h.audit(c, models.AuditUserEnabled, u.Email, "")
	h.flash(c, "success", u.Email+" was enabled and may sign in again.")
	return seeOther(c, back)
}

// GrantAdmin makes a user an administrator.
func (h *Handlers) GrantAdmin(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	back := adminReturn(c, h.url(RouteAdminUsers))
	if err := h.store.SetUserAdmin(c.Request().Context(), u.ID, true); err != nil {
		return err
	}
	h.audit(c, models.AuditAdminGranted, u.Email, "")
	h.flash(c, "success", u.Email+" is now an administrator.")
	return seeOther(c, back)
}

// RemoveAdmin takes the administrator role away; never from the last enabled administrator.
func (h *Handlers) RemoveAdmin(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	back := adminReturn(c, h.url(RouteAdminUsers))
	if err := h.store.SetUserAdmin(c.Request().Context(), u.ID, false); err != nil {
		return h.refuseLastAdmin(c, err, back)
	}
	h.audit(c, models.AuditAdminRemoved, u.Email, "")
	if u.ID == CurrentUser(c).ID {
		// The admin pages are closed to them from now on.
		h.flash(c, "success", "You are no longer an administrator.")
		return seeOther(c, h.url(RouteAccount))
	}
	h.flash(c, "success", u.Email+" is no longer an administrator.")
	return seeOther(c, back)
}

// ConfirmResetTwoFactor asks before removing a user's authenticator and recovery codes.
func (h *Handlers) ConfirmResetTwoFactor(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, shared.Confirm(shared.ConfirmView{
		Base: h.base(c, "Reset two-factor · Admin", "admin"), Heading: "Reset two-factor authentication of " + u.Email + "?",
		Message: "Their authenticator app and recovery codes stop working, and their next login asks for the password only. Do this only once you are sure the request comes from them (for example, they lost their phone and their recovery codes).",
		Action:  h.url(RouteResetTwoFactor, strconv.FormatInt(u.ID, 10)), Button: "Reset two-factor", Cancel: h.url(RouteAdminUsers),
	}))
}

// ResetTwoFactor removes a user's second factor, for someone locked out without their app or
// recovery codes. It is audited.
func (h *Handlers) ResetTwoFactor(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	err = h.store.ResetTOTP(c.Request().Context(), u.ID)
	if errors.Is(err, models.ErrNotFound) {
		h.flash(c, "info", u.Email+" has no two-factor authentication to reset.")
		return seeOther(c, h.url(RouteAdminUsers))
	}
	if err != nil {
		return err
	}
	h.audit(c, models.AuditTwoFactorReset, u.Email, "")
	h.notifyAccount(c, u, "Your two-factor authentication was reset", "An administrator reset the two-factor authentication of your devportal account", "Your authenticator app and recovery codes no longer work for it; you can set up a new app on the security page.")
	h.flash(c, "success", "Two-factor authentication of "+u.Email+" was reset. Their next login asks for the password only.")
	return seeOther(c, h.url(RouteAdminUsers))
}

func (h *Handlers) refuseLastAdmin(c echo.Context, err error, back string) error {
	if !errors.Is(err, models.ErrLastAdmin) {
		return err
	}
	h.flash(c, "error", "That is the last enabled administrator. Make someone else an administrator first.")
	return seeOther(c, back)
}

const noSuchUser = "There is no user with that id."

// adminUser loads the user named in the path.
func (h *Handlers) adminUser(c echo.Context) (*models.User, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, models.ErrNotFound.Describe(noSuchUser)
	}
	u, err := h.store.UserByID(c.Request().Context(), id)
	if err != nil {
		return nil, models.Reword(err, models.ErrNotFound, noSuchUser)
	}
	return u, nil
}

// adminConfirm asks an admin before an action on user u.
func (h *Handlers) adminConfirm(c echo.Context, u *models.User, title, heading, message, route, button string) error {
	return h.render(c, http.StatusOK, shared.Confirm(shared.ConfirmView{
		Base: h.base(c, title+" · Admin", "admin"), Heading: heading, Message: message,
		Action: h.url(route, strconv.FormatInt(u.ID, 10)), Button: button, Cancel: h.url(RouteAdminUsers),
	}))
}

// ConfirmSendReset asks before mailing a user a password-reset link.
func (h *Handlers) ConfirmSendReset(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	return h.adminConfirm(c, u, "Send password reset", "Send a password reset to "+u.Email+"?",
		"We mail "+u.Email+" a link to choose a new password, valid 30 minutes. Their password stays as it is until they use it; then every session of theirs is signed out.",
		RouteSendReset, "Send password reset")
}

// SendReset mails a user a password-reset link.
func (h *Handlers) SendReset(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	back := adminReturn(c, h.url(RouteAdminUsers))
	if err := h.sendResetLink(c.Request().Context(), u, true); errors.Is(err, models.ErrTooManyMails) {
		h.flash(c, "error", u.Email+" was already sent several links in the last hour. Try again later.")
		return seeOther(c, back)
	} else if err != nil {
		return err
	}
	h.audit(c, models.AuditPasswordResetSent, u.Email, "")
	h.flash(c, "success", "A password reset link was mailed to "+u.Email+".")
	return seeOther(c, back)
}

// ConfirmUnlock asks before clearing a user's failed logins.
func (h *Handlers) ConfirmUnlock(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	return h.adminConfirm(c, u, "Unlock", "Unlock "+u.Email+"?",
		"The failed logins recorded for "+u.Email+" are forgotten, so they can log in again at once. Do this only when you know the failures were theirs.",
		RouteUnlockUser, "Unlock")
}

// UnlockUser clears the failed logins that throttle a user's email.
func (h *Handlers) UnlockUser(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	if err := h.store.UnlockLogin(c.Request().Context(), u.Email); err != nil {
		return err
	}
	h.audit(c, models.AuditLoginUnlocked, u.Email, "failed logins cleared")
	h.flash(c, "success", u.Email+" can log in again.")
	return seeOther(c, adminReturn(c, h.url(RouteAdminUsers)))
}

// ConfirmVerifyPublisher asks before marking a developer a verified publisher.
func (h *Handlers) ConfirmVerifyPublisher(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	return h.adminConfirm(c, u, "Mark verified publisher", "Mark "+u.Email+" a verified publisher?",
		"The consent pages of "+u.Email+"'s applications show them as a verified publisher. Do this only once you know who they are.",
		RouteVerifyPublisher, "Mark verified publisher")
}

// VerifyPublisher marks a developer a verified publisher.
func (h *Handlers) VerifyPublisher(c echo.Context) error { return h.setPublisher(c, true) }

// ConfirmUnverifyPublisher asks before removing a developer's verified-publisher mark.
func (h *Handlers) ConfirmUnverifyPublisher(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	return h.adminConfirm(c, u, "Remove verified publisher", "Remove verified publisher from "+u.Email+"?",
		"The consent pages of "+u.Email+"'s applications show the publisher as unverified again.",
		RouteUnverifyPublisher, "Remove verified publisher")
}

// UnverifyPublisher removes a developer's verified-publisher mark.
func (h *Handlers) UnverifyPublisher(c echo.Context) error { return h.setPublisher(c, false) }

func (h *Handlers) setPublisher(c echo.Context, verified bool) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	if err := h.store.SetVerifiedPublisher(c.Request().Context(), u.ID, verified); err != nil {
		return err
	}
	typ, msg := models.AuditPublisherVerified, u.Email+" is now a verified publisher."
	if !verified {
		typ, msg = models.AuditPublisherRemoved, u.Email+" is no longer a verified publisher."
	}
	h.audit(c, typ, u.Email, "")
	h.flash(c, "success", msg)
	return seeOther(c, adminReturn(c, h.url(RouteAdminUsers)))
}
