package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/pages/account"
	"github.com/devportal/devportal/templates/pages/shared"
)

// accountView is the account page of the signed-in person, with the forms' errors.
func (h *Handlers) accountView(c echo.Context, errs shared.Errors) account.AccountView {
	u := CurrentUser(c)
	return account.AccountView{Base: h.base(c, "Account", "account"),
		Email: u.Email, IsAdmin: u.IsAdmin, CreatedISO: isoTime(u.CreatedAt), Created: humanTime(u.CreatedAt), Errors: errs,
		DisplayName: u.DisplayName, ProfileURL: h.url(RouteProfile),
		EmailVerified: u.EmailVerifiedAt != nil, ResendURL: h.url(RouteResendVerification), ChangeEmailURL: h.url(RouteChangeEmail)}
}

// UpdateProfile changes the signed-in person's display name, the name relying parties receive
// in the OpenID profile scope (OIDC Core §5.1).
func (h *Handlers) UpdateProfile(c echo.Context) error {
	u := CurrentUser(c)
	raw := c.FormValue("display_name")
	name, err := models.ValidateDisplayName(raw)
	if err == nil {
		err = h.store.SetDisplayName(c.Request().Context(), u.ID, name)
	}
	if errors.Is(err, models.ErrInvalid) {
		v := h.accountView(c, shared.Errors{"display_name": models.ErrorMessage(err)})
		v.DisplayName = shownName(raw)
		return h.render(c, http.StatusUnprocessableEntity, account.Account(v))
	}
	if err != nil {
		return err
	}
	if name == u.DisplayName {
		h.flash(c, "info", "Your display name is unchanged.")
		return seeOther(c, h.url(RouteAccount))
	}
	detail := "display name removed"
	if name != "" {
		detail = "display name changed"
	}
	h.audit(c, models.AuditProfileChanged, u.Email, detail)
	msg := "Your display name was saved."
	if name == "" {
		msg = "Your display name was removed."
	}
	h.flash(c, "success", msg)
	return seeOther(c, h.url(RouteAccount))
}

// ChangePassword replaces the signed-in person's password. This session stays; every other one
// ends, since whoever knew the old password may hold one.
func (h *Handlers) ChangePassword(c echo.Context) error {
	u := CurrentUser(c)
	current, next := c.FormValue("current_password"), c.FormValue("new_password")
	errs := shared.Errors{}
	if current == "" {
		errs["current_password"] = "Enter your current password."
	}
	if err := models.ValidatePassword(next); err != nil {
		errs["new_password"] = models.ErrorMessage(err)
	}
	if len(errs) == 0 {
		keep := ""
		if ck, err := c.Cookie(SessionCookie); err == nil {
			keep = ck.Value
		}
		err := h.store.ChangePassword(c.Request().Context(), u.ID, current, next, keep)
		switch {
		case errors.Is(err, models.ErrBadCredential):
			errs["current_password"] = "That is not your current password."
		case errors.Is(err, models.ErrBusy):
			h.flashNow(c, "error", Busy(c))
			return h.render(c, http.StatusServiceUnavailable, account.Account(h.accountView(c, errs)))
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return h.render(c, http.StatusUnprocessableEntity, account.Account(h.accountView(c, errs)))
	}
	h.audit(c, models.AuditPasswordChanged, u.Email, "other sessions ended")
	h.flash(c, "success", "Your password was changed. You stay signed in here; every other session was signed out.")
	return seeOther(c, h.url(RouteAccount))
}

// ConfirmSignOutEverywhere asks before ending every session of the signed-in person.
func (h *Handlers) ConfirmSignOutEverywhere(c echo.Context) error {
	return h.render(c, http.StatusOK, shared.Confirm(shared.ConfirmView{
		Base: h.base(c, "Sign out everywhere", "account"), Heading: "Sign out everywhere?",
		Message: "Every browser signed in to your account is signed out, this one included, and has to log in again. Applications you authorized keep their access: revoke it under Authorized applications.",
		Action:  h.url(RouteSignOutAll), Button: "Sign out everywhere", Cancel: h.url(RouteAccount),
	}))
}

// SignOutEverywhere ends every session of the signed-in person, this one included.
func (h *Handlers) SignOutEverywhere(c echo.Context) error {
	u := CurrentUser(c)
	if err := h.store.DeleteUserSessions(c.Request().Context(), u.ID); err != nil {
		return err
	}
	h.audit(c, models.AuditSessionsEnded, u.Email, "every session, by the user")
	h.notifyAccount(c, u, "Your account was signed out everywhere", "Every session of your devportal account was signed out", "Every browser signed in to your account, this one included, has to log in again.")
	c.SetCookie(h.cookie(SessionCookie, "", -1))
	h.flash(c, "info", "You were signed out everywhere. Log in again to continue.")
	return seeOther(c, h.url(RouteLogin))
}

// AuthorizedApps lists the applications the signed-in person allowed, with what each may do.
func (h *Handlers) AuthorizedApps(c echo.Context) error {
	ctx := c.Request().Context()
	apps, err := h.store.AuthorizedApps(ctx, CurrentUser(c).ID)
	if err != nil {
		return err
	}
	var names []string
	for _, a := range apps {
		names = append(names, a.Scope...)
	}
	catalog, err := h.store.ScopesByName(ctx, names)
	if err != nil {
		return err
	}
	described := make(map[string]string, len(catalog))
	for _, s := range catalog {
		described[s.Name] = s.Description
	}
	v := account.AuthorizedAppsView{Base: h.base(c, "Authorized applications", "account")}
	for _, a := range apps {
		row := account.AuthorizedAppRow{ClientID: a.ClientID, Name: a.ClientName, GrantedISO: isoTime(a.GrantedAt), Granted: humanTime(a.GrantedAt),
			RevokeURL: h.url(RouteRevokeApp, a.ClientID)}
		if a.LastUsedAt != nil {
			row.LastUsedISO, row.LastUsed = isoTime(*a.LastUsedAt), humanTime(*a.LastUsedAt)
		}
		for _, name := range a.Scope {
			d := described[name]
			if d == "" {
				d = name
			}
			row.Scopes = append(row.Scopes, shared.ScopeOption{Name: name, Description: d})
		}
		v.Apps = append(v.Apps, row)
	}
	return h.render(c, http.StatusOK, account.AuthorizedApps(v))
}

// ConfirmRevokeApp asks before ending an application's access to the signed-in person's account.
func (h *Handlers) ConfirmRevokeApp(c echo.Context) error {
	client, err := h.authorizedClient(c)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, shared.Confirm(shared.ConfirmView{
		Base: h.base(c, "Revoke access", "account"), Heading: "Revoke the access of " + client.Name + "?",
		Message: client.Name + " can no longer access your account: every token it holds for you stops working now. To use it again, you will have to allow it again.",
		Action:  h.url(RouteRevokeApp, client.ID), Button: "Revoke access", Cancel: h.url(RouteAuthorizedApps),
	}))
}

// RevokeApp forgets the signed-in person's approval of an application and ends every grant
// between them, so its access and refresh tokens are refused from now on.
func (h *Handlers) RevokeApp(c echo.Context) error {
	client, err := h.authorizedClient(c)
	if err != nil {
		return err
	}
	if err := h.store.RevokeConsent(c.Request().Context(), CurrentUser(c).ID, client.ID); err != nil {
		return models.Reword(err, models.ErrNotFound, notAuthorized)
	}
	h.audit(c, models.AuditConsentRevoked, client.ID, "by the user")
	h.flash(c, "success", client.Name+" can no longer access your account.")
	return seeOther(c, h.url(RouteAuthorizedApps))
}

const notAuthorized = "You have not allowed an application with that id to access your account."

// authorizedClient loads the application named in the path if the signed-in person allowed it.
func (h *Handlers) authorizedClient(c echo.Context) (*models.Client, error) {
	ctx := c.Request().Context()
	id := pathParam(c, "client")
	if _, err := h.store.ConsentFor(ctx, CurrentUser(c).ID, id); err != nil {
		return nil, models.Reword(err, models.ErrNotFound, notAuthorized)
	}
	client, err := h.store.ClientByID(ctx, id)
	if err != nil {
		return nil, models.Reword(err, models.ErrNotFound, notAuthorized)
	}
	return client, nil
}
