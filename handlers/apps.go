package handlers

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/pages"
)

// Apps lists the signed-in developer's applications.
func (h *Handlers) Apps(c echo.Context) error {
	clients, err := h.store.ClientsByOwner(c.Request().Context(), CurrentUser(c).ID)
	if err != nil {
		return err
	}
	v := pages.AppsView{Base: h.base(c, "Applications", "apps")}
	for _, cl := range clients {
		v.Apps = append(v.Apps, pages.AppRow{ID: cl.ID, Name: cl.Name, TypeLabel: pages.TypeLabel(string(cl.Type)), Status: cl.Status,
			CreatedISO: isoTime(cl.CreatedAt), Created: humanTime(cl.CreatedAt)})
	}
	return render(c, http.StatusOK, pages.Apps(v))
}

// NewApp shows the registration form.
func (h *Handlers) NewApp(c echo.Context) error {
	opts, err := h.scopeOptions(c.Request().Context(), nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.AppNew(pages.AppFormView{Base: h.base(c, "New application", "apps"), Type: "web", Scopes: opts}))
}

// CreateApp registers an application and shows its secret, once.
func (h *Handlers) CreateApp(c echo.Context) error {
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	reg := oauth.Registration{
		Name:         form.Get("name"),
		Type:         models.ClientType(form.Get("type")),
		RedirectURIs: strings.Split(strings.ReplaceAll(form.Get("redirect_uris"), "\r\n", "\n"), "\n"),
		Scopes:       form["scopes"],
	}
	in, errs, err := h.oauth.ValidateRegistration(ctx, reg)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		opts, err := h.scopeOptions(ctx, reg.Scopes)
		if err != nil {
			return err
		}
		return render(c, http.StatusUnprocessableEntity, pages.AppNew(pages.AppFormView{
			Base: h.base(c, "New application", "apps"), Name: reg.Name, Type: string(reg.Type),
			RedirectURIs: form.Get("redirect_uris"), Scopes: opts, Errors: pages.Errors(errs),
		}))
	}
	owner := CurrentUser(c).ID
	in.OwnerID = &owner
	client, secret, err := h.store.CreateClient(ctx, in)
	if err != nil {
		return err
	}
	h.flashNow(c, "success", "Application created.")
	return h.showApp(c, http.StatusCreated, client.ID, secret)
}

// App shows one of the developer's applications.
func (h *Handlers) App(c echo.Context) error {
	return h.showApp(c, http.StatusOK, c.Param("id"), "")
}

// ConfirmRotate asks before replacing the secret.
func (h *Handlers) ConfirmRotate(c echo.Context) error {
	client, err := h.ownedClient(c)
	if err != nil {
		return err
	}
	if !client.Type.Confidential() {
		return echo.NewHTTPError(http.StatusNotFound, "This application has no secret to rotate.")
	}
	return render(c, http.StatusOK, pages.Confirm(pages.ConfirmView{
		Base: h.base(c, "Rotate secret", "apps"), Heading: "Rotate the secret of " + client.Name + "?",
		Message: "A new secret is created and shown once. The current secret stops working immediately, so update your server right away.",
		Action:  "/apps/" + client.ID + "/rotate", Button: "Rotate secret", Cancel: "/apps/" + client.ID,
	}))
}

// RotateSecret replaces the application's secret and shows the new one, once.
func (h *Handlers) RotateSecret(c echo.Context) error {
	client, err := h.ownedClient(c)
	if err != nil {
		return err
	}
	if !client.Type.Confidential() {
		return echo.NewHTTPError(http.StatusNotFound, "This application has no secret to rotate.")
	}
	secret, err := h.store.RotateSecret(c.Request().Context(), client.ID)
	if err != nil {
		return err
	}
	h.flashNow(c, "success", "Secret rotated. The previous secret no longer works.")
	return h.showApp(c, http.StatusOK, client.ID, secret)
}

// ConfirmDelete asks before deleting an application.
func (h *Handlers) ConfirmDelete(c echo.Context) error {
	client, err := h.ownedClient(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, pages.Confirm(pages.ConfirmView{
		Base: h.base(c, "Delete application", "apps"), Heading: "Delete " + client.Name + "?",
		Message: "Its client id stops working, and every token issued to it ends now. This cannot be undone.",
		Action:  "/apps/" + client.ID + "/delete", Button: "Delete application", Cancel: "/apps/" + client.ID,
	}))
}

// DeleteApp deletes an application with everything issued to it.
func (h *Handlers) DeleteApp(c echo.Context) error {
	client, err := h.ownedClient(c)
	if err != nil {
		return err
	}
	if err := h.store.DeleteClient(c.Request().Context(), client.ID); err != nil {
		return err
	}
	h.flash(c, "success", client.Name+" was deleted.")
	return seeOther(c, "/apps")
}

// ownedClient loads the application named in the path if the signed-in user owns it. Anyone
// else gets the same 404 as for a missing one, so ids cannot be probed.
func (h *Handlers) ownedClient(c echo.Context) (*models.Client, error) {
	client, err := h.store.ClientByID(c.Request().Context(), c.Param("id"))
	if errors.Is(err, models.ErrNotFound) || (err == nil && (client.OwnerID == nil || *client.OwnerID != CurrentUser(c).ID)) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "There is no application with that id among yours.")
	}
	return client, err
}

func (h *Handlers) showApp(c echo.Context, status int, id, newSecret string) error {
	c.SetParamNames("id")
	c.SetParamValues(id)
	client, err := h.ownedClient(c)
	if err != nil {
		return err
	}
	opts, err := h.scopeOptions(c.Request().Context(), client.Scopes)
	if err != nil {
		return err
	}
	var granted []pages.ScopeOption
	for _, o := range opts {
		if o.Checked {
			granted = append(granted, o)
		}
	}
	v := pages.AppView{
		Base: h.base(c, client.Name, "apps"), ID: client.ID, Name: client.Name, Type: string(client.Type), Status: client.Status,
		Confidential: client.Type.Confidential(), RedirectURIs: client.RedirectURIs, Scopes: granted,
		CreatedISO: isoTime(client.CreatedAt), Created: humanTime(client.CreatedAt), NewSecret: newSecret,
	}
	for _, s := range client.Secrets {
		row := pages.SecretRow{Hint: s.Hint, CreatedISO: isoTime(s.CreatedAt), Created: humanTime(s.CreatedAt), LastUsed: "never"}
		if s.LastUsedAt != nil {
			row.LastUsed = humanTime(*s.LastUsedAt)
		}
		v.Secrets = append(v.Secrets, row)
	}
	if newSecret != "" {
		// The secret is in this response body only; no cache may keep it.
		c.Response().Header().Set("Cache-Control", "no-store")
	}
	return render(c, status, pages.App(v))
}

// scopeOptions lists the active catalog as checkboxes, checking those named.
func (h *Handlers) scopeOptions(ctx context.Context, checked []string) ([]pages.ScopeOption, error) {
	scopes, err := h.store.ActiveScopes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]pages.ScopeOption, len(scopes))
	for i, s := range scopes {
		out[i] = pages.ScopeOption{Name: s.Name, Description: s.Description, Sensitive: s.Sensitive, Checked: slices.Contains(checked, s.Name)}
	}
	return out, nil
}

func isoTime(t time.Time) string   { return t.UTC().Format(time.RFC3339) }
func humanTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }
