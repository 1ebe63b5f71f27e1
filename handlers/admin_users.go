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
)

// AdminUsers lists users a page at a time, filtered by the query string.
func (h *Handlers) AdminUsers(c echo.Context) error {
	query := strings.TrimSpace(c.QueryParam("q"))
	if err := models.ValidateSearch(query); err != nil {
		return searchTooLong(err)
	}
	p := parsePage(c)
	page, err := h.store.ListUsers(c.Request().Context(), query, p)
	if err != nil {
		return err
	}
	users := page.Rows
	list, filters := h.url(RouteAdminUsers), url.Values{}
	if query != "" {
		filters.Set("q", query)
	}
	v := admin.AdminUsersView{
		Base: h.base(c, "Users · Admin", "admin"), Query: query, Return: pageURL(list, filters, p),
		Pages: listPager("users", list, filters, p, page.Before, page.After, query != ""),
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
		v.Users = append(v.Users, h.adminUserRow(&u, me, twoFactor[u.ID]))
	}
	return h.render(c, http.StatusOK, admin.AdminUsers(v))
}

// adminUserRow is what the list and the user's page show of a user and its actions.
func (h *Handlers) adminUserRow(u *models.User, me int64, twoFactor bool) admin.AdminUserRow {
	id := strconv.FormatInt(u.ID, 10)
	return admin.AdminUserRow{
		ID: id, Email: u.Email, IsAdmin: u.IsAdmin, Disabled: u.DisabledAt != nil, Self: u.ID == me,
		CreatedISO: isoTime(u.CreatedAt), Created: humanTime(u.CreatedAt), URL: h.url(RouteAdminUser, id),
		EnableURL: h.url(RouteEnableUser, id), DisableURL: h.url(RouteDisableUser, id),
		GrantAdminURL: h.url(RouteGrantAdmin, id), RemoveAdminURL: h.url(RouteRemoveAdmin, id),
		TwoFactor: twoFactor, ResetTwoFactorURL: h.url(RouteResetTwoFactor, id),
		EmailVerified: u.EmailVerifiedAt != nil, VerifiedPublisher: u.VerifiedPublisherAt != nil,
		SendResetURL: h.url(RouteSendReset, id), UnlockURL: h.url(RouteUnlockUser, id),
		VerifyPublisherURL: h.url(RouteVerifyPublisher, id), UnverifyPublisherURL: h.url(RouteUnverifyPublisher, id),
	}
}

// userBack is where an action on user u returns: the list it was started from (with its
// search) or the user's page.
func (h *Handlers) userBack(c echo.Context, u *models.User) string {
	return adminReturn(c, h.url(RouteAdminUsers), h.url(RouteAdminUser, strconv.FormatInt(u.ID, 10)))
}

// userAction is the confirmation page of an action on user u, posting to route.
func (h *Handlers) userAction(c echo.Context, u *models.User, title, heading, message, route, button string, danger bool) adminAction {
	return adminAction{
		title: title, heading: heading, message: message, action: h.url(route, strconv.FormatInt(u.ID, 10)),
		button: button, danger: danger, back: h.userBack(c, u),
	}
}

func (h *Handlers) disableAction(c echo.Context, u *models.User) adminAction {
	return h.userAction(c, u, "Disable user", "Disable "+u.Email+"?",
		u.Email+" is signed out everywhere and cannot sign in, and every token issued for them stops working, until you enable the account again.",
		RouteDisableUser, "Disable", true)
}

func (h *Handlers) enableAction(c echo.Context, u *models.User) adminAction {
	return h.userAction(c, u, "Enable user", "Enable "+u.Email+"?",
		u.Email+" may sign in again, and the tokens of their grants work again.",
		RouteEnableUser, "Enable", false)
}

func (h *Handlers) grantAdminAction(c echo.Context, u *models.User) adminAction {
	return h.userAction(c, u, "Grant admin", "Make "+u.Email+" an administrator?",
		u.Email+" gets the whole admin console: they can suspend and revoke any client, disable users and make other administrators.",
		RouteGrantAdmin, "Grant admin", true)
}

func (h *Handlers) removeAdminAction(c echo.Context, u *models.User) adminAction {
	msg := u.Email + " loses the admin console and keeps their account, applications and authorizations."
	if u.ID == CurrentUser(c).ID {
		msg = "You lose the admin console at once and keep your account; only another administrator can give it back."
	}
	return h.userAction(c, u, "Remove admin", "Remove administrator rights of "+u.Email+"?", msg, RouteRemoveAdmin, "Remove admin", true)
}

// ConfirmDisableUser asks before disabling a user; never one's own account.
func (h *Handlers) ConfirmDisableUser(c echo.Context) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	if u.ID == CurrentUser(c).ID {
		h.flash(c, "error", "You cannot disable your own account. Ask another administrator.")
		return seeOther(c, h.userBack(c, u))
	}
	return h.confirmAction(c, http.StatusOK, h.disableAction(c, u), "", "")
}

// ConfirmEnableUser asks before enabling a disabled user.
func (h *Handlers) ConfirmEnableUser(c echo.Context) error {
	return h.confirmUser(c, h.enableAction)
}

// ConfirmGrantAdmin asks before making a user an administrator.
func (h *Handlers) ConfirmGrantAdmin(c echo.Context) error {
	return h.confirmUser(c, h.grantAdminAction)
}

// ConfirmRemoveAdmin asks before taking the administrator role away.
func (h *Handlers) ConfirmRemoveAdmin(c echo.Context) error {
	return h.confirmUser(c, h.removeAdminAction)
}

func (h *Handlers) confirmUser(c echo.Context, action func(echo.Context, *models.User) adminAction) error {
	u, err := h.adminUser(c)
	if err != nil {
		return err
	}
	return h.confirmAction(c, http.StatusOK, action(c, u), "", "")
}

// userReason loads the user of a confirmed action and the reason given; ok false means the
// handler is done (the page was shown again) and returns err.
func (h *Handlers) userReason(c echo.Context, action func(echo.Context, *models.User) adminAction) (u *models.User, reason string, ok bool, err error) {
	if u, err = h.adminUser(c); err != nil {
		return nil, "", false, err
	}
	reason, ok, err = h.actionReason(c, action(c, u))
	return u, reason, ok, err
}

// DisableUser signs a user out everywhere and stops every token of their grants, until enabled.
func (h *Handlers) DisableUser(c echo.Context) error {
	u, reason, ok, err := h.userReason(c, h.disableAction)
	if !ok {
		return err
	}
	back := h.userBack(c, u)
	if u.ID == CurrentUser(c).ID {
		h.flash(c, "error", "You cannot disable your own account. Ask another administrator.")
		return seeOther(c, back)
	}
	if err := h.store.SetUserDisabled(c.Request().Context(), u.ID, true); err != nil {
		return h.refuseLastAdmin(c, err, back)
	}
	h.audit(c, models.AuditUserDisabled, u.Email, withReason("", reason))
	h.flash(c, "success", u.Email+" was disabled and signed out everywhere. Tokens issued for them no longer work.")
	return seeOther(c, back)
}

// EnableUser lets a disabled user sign in again.
func (h *Handlers) EnableUser(c echo.Context) error {
	u, reason, ok, err := h.userReason(c, h.enableAction)
	if !ok {
		return err
	}
	back := h.userBack(c, u)
	if err := h.store.SetUserDisabled(c.Request().Context(), u.ID, false); err != nil {
		return err
	}
	h.audit(c, models.AuditUserEnabled, u.Email, withReason("", reason))
	h.flash(c, "success", u.Email+" was enabled and may sign in again.")
	return seeOther(c, back)
}

// GrantAdmin makes a user an administrator.
func (h *Handlers) GrantAdmin(c echo.Context) error {
	u, reason, ok, err := h.userReason(c, h.grantAdminAction)
	if !ok {
		return err
	}
	back := h.userBack(c, u)
	if err := h.store.SetUserAdmin(c.Request().Context(), u.ID, true); err != nil {
		return err
	}
	h.audit(c, models.AuditAdminGranted, u.Email, withReason("", reason))
	h.flash(c, "success", u.Email+" is now an administrator.")
	return seeOther(c, back)
}

// RemoveAdmin takes the administrator role away; never from the last enabled administrator.
func (h *Handlers) RemoveAdmin(c echo.Context) error {
	u, reason, ok, err := h.userReason(c, h.removeAdminAction)
	if !ok {
		return err
	}
	back := h.userBack(c, u)
	if err := h.store.SetUserAdmin(c.Request().Context(), u.ID, false); err != nil {
		return h.refuseLastAdmin(c, err, back)
	}
	h.audit(c, models.AuditAdminRemoved, u.Email, withReason("", reason))
	if u.ID == CurrentUser(c).ID {
		// The admin pages are closed to them from now on.
		h.flash(c, "success", "You are no longer an administrator.")
		return seeOther(c, h.url(RouteAccount))
	}
	h.flash(c, "success", u.Email+" is no longer an administrator.")
	return seeOther(c, back)
}

func (h *Handlers) resetTwoFactorAction(c echo.Context, u *models.User) adminAction {
	return h.userAction(c, u, "Reset two-factor", "Reset two-factor authentication of "+u.Email+"?",
		"Their authenticator app and recovery codes stop working, and their next login asks for the password only. Do this only once you are sure the request comes from them (for example, they lost their phone and their recovery codes).",
		RouteResetTwoFactor, "Reset two-factor", true)
}

// ConfirmResetTwoFactor asks before removing a user's authenticator and recovery codes.
func (h *Handlers) ConfirmResetTwoFactor(c echo.Context) error {
	return h.confirmUser(c, h.resetTwoFactorAction)
}

// ResetTwoFactor removes a user's second factor, for someone locked out without their app or
// recovery codes. It is audited.
func (h *Handlers) ResetTwoFactor(c echo.Context) error {
	u, reason, ok, err := h.userReason(c, h.resetTwoFactorAction)
	if !ok {
		return err
	}
	back := h.userBack(c, u)
	err = h.store.ResetTOTP(c.Request().Context(), u.ID)
	if errors.Is(err, models.ErrNotFound) {
		h.flash(c, "info", u.Email+" has no two-factor authentication to reset.")
		return seeOther(c, back)
	}
	if err != nil {
		return err
	}
	h.audit(c, models.AuditTwoFactorReset, u.Email, withReason("", reason))
	h.notifyAccount(c, u, "Your two-factor authentication was reset", "An administrator reset the two-factor authentication of your devportal account", "Your authenticator app and recovery codes no longer work for it; you can set up a new app on the security page.")
	h.flash(c, "success", "Two-factor authentication of "+u.Email+" was reset. Their next login asks for the password only.")
	return seeOther(c, back)
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

func (h *Handlers) sendResetAction(c echo.Context, u *models.User) adminAction {
	return h.userAction(c, u, "Send password reset", "Send a password reset to "+u.Email+"?",
		"We mail "+u.Email+" a link to choose a new password, valid 30 minutes. Their password stays as it is until they use it; then every session of theirs is signed out.",
		RouteSendReset, "Send password reset", false)
}

// ConfirmSendReset asks before mailing a user a password-reset link.
func (h *Handlers) ConfirmSendReset(c echo.Context) error {
	return h.confirmUser(c, h.sendResetAction)
}

// SendReset mails a user a password-reset link.
func (h *Handlers) SendReset(c echo.Context) error {
	u, reason, ok, err := h.userReason(c, h.sendResetAction)
	if !ok {
		return err
	}
	back := h.userBack(c, u)
	if err := h.sendResetLink(c.Request().Context(), u, true); errors.Is(err, models.ErrTooManyMails) {
		h.flash(c, "error", u.Email+" was already sent several links in the last hour. Try again later.")
		return seeOther(c, back)
	} else if err != nil {
		return err
	}
	h.audit(c, models.AuditPasswordResetSent, u.Email, withReason("", reason))
	h.flash(c, "success", "A password reset link was mailed to "+u.Email+".")
	return seeOther(c, back)
}

func (h *Handlers) unlockAction(c echo.Context, u *models.User) adminAction {
	return h.userAction(c, u, "Unlock", "Unlock "+u.Email+"?",
		"The failed logins recorded for "+u.Email+" are forgotten, so they can log in again at once. Do this only when you know the failures were theirs.",
		RouteUnlockUser, "Unlock", false)
}

// ConfirmUnlock asks before clearing a user's failed logins.
func (h *Handlers) ConfirmUnlock(c echo.Context) error {
	return h.confirmUser(c, h.unlockAction)
}

// UnlockUser clears the failed logins that throttle a user's email.
func (h *Handlers) UnlockUser(c echo.Context) error {
	u, reason, ok, err := h.userReason(c, h.unlockAction)
	if !ok {
		return err
	}
	if err := h.store.UnlockLogin(c.Request().Context(), u.Email); err != nil {
		return err
	}
	h.audit(c, models.AuditLoginUnlocked, u.Email, withReason("failed logins cleared", reason))
	h.flash(c, "success", u.Email+" can log in again.")
	return seeOther(c, h.userBack(c, u))
}

func (h *Handlers) verifyPublisherAction(c echo.Context, u *models.User) adminAction {
	return h.userAction(c, u, "Mark verified publisher", "Mark "+u.Email+" a verified publisher?",
		"The consent pages of "+u.Email+"'s applications show them as a verified publisher. Do this only once you know who they are.",
		RouteVerifyPublisher, "Mark verified publisher", true)
}

func (h *Handlers) unverifyPublisherAction(c echo.Context, u *models.User) adminAction {
	return h.userAction(c, u, "Remove verified publisher", "Remove verified publisher from "+u.Email+"?",
		"The consent pages of "+u.Email+"'s applications show the publisher as unverified again.",
		RouteUnverifyPublisher, "Remove verified publisher", false)
}

// ConfirmVerifyPublisher asks before marking a developer a verified publisher.
func (h *Handlers) ConfirmVerifyPublisher(c echo.Context) error {
	return h.confirmUser(c, h.verifyPublisherAction)
}

// VerifyPublisher marks a developer a verified publisher.
func (h *Handlers) VerifyPublisher(c echo.Context) error { return h.setPublisher(c, true) }

// ConfirmUnverifyPublisher asks before removing a developer's verified-publisher mark.
func (h *Handlers) ConfirmUnverifyPublisher(c echo.Context) error {
	return h.confirmUser(c, h.unverifyPublisherAction)
}

// UnverifyPublisher removes a developer's verified-publisher mark.
func (h *Handlers) UnverifyPublisher(c echo.Context) error { return h.setPublisher(c, false) }

func (h *Handlers) setPublisher(c echo.Context, verified bool) error {
	action := h.verifyPublisherAction
	if !verified {
		action = h.unverifyPublisherAction
	}
	u, reason, ok, err := h.userReason(c, action)
	if !ok {
		return err
	}
	if err := h.store.SetVerifiedPublisher(c.Request().Context(), u.ID, verified); err != nil {
		return err
	}
	typ, msg := models.AuditPublisherVerified, u.Email+" is now a verified publisher."
	if !verified {
		typ, msg = models.AuditPublisherRemoved, u.Email+" is no longer a verified publisher."
	}
	h.audit(c, typ, u.Email, withReason("", reason))
	h.flash(c, "success", msg)
	return seeOther(c, h.userBack(c, u))
}
