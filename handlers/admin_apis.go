package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/pages/admin"
	"github.com/devportal/devportal/templates/pages/docs"
	"github.com/devportal/devportal/templates/pages/shared"
)

// apiForm is the new-API and edit-API form, parsed once.
type apiForm struct {
	admin.APIForm
	api models.API // the parsed values, Identifier and DocsURL in stored form
}

func (h *Handlers) parseAPIForm(c echo.Context) apiForm {
	f := apiForm{APIForm: admin.APIForm{
		Name:        strings.Join(strings.Fields(c.FormValue("name")), " "),
		Identifier:  strings.TrimSpace(c.FormValue("identifier")),
		Description: strings.Join(strings.Fields(c.FormValue("description")), " "),
		DocsURL:     strings.TrimSpace(c.FormValue("docs_url")),
		AccessTTL:   strings.TrimSpace(c.FormValue("access_ttl")),
		Errors:      shared.Errors{},
	}}
	f.api = models.API{Name: f.Name, Description: f.Description,
		Identifier: h.oauth.StoredIdentifier(f.Identifier), DocsURL: h.oauth.StoredIdentifier(f.DocsURL)}
	for k, v := range models.CheckAPIFields(&f.api) {
		f.Errors[k] = v
	}
	if msg := oauth.CheckResourceIdentifier(f.Identifier); msg != "" {
		f.Errors["identifier"] = msg
	}
	if f.DocsURL != "" && !strings.HasPrefix(f.DocsURL, "https://") && !strings.HasPrefix(f.DocsURL, "http://") {
		f.Errors["docs_url"] = "Enter an http or https URL, or leave it empty."
	}
	if f.AccessTTL != "" {
		n, err := strconv.ParseInt(f.AccessTTL, 10, 64)
		f.api.AccessTTLSeconds = &n
		if err != nil {
			f.api.AccessTTLSeconds = nil
			f.Errors["access_ttl"] = fmt.Sprintf("Enter a whole number of seconds from 60 to %d, or leave it empty.", models.MaxAPIAccessTTL)
		} else if msg := models.CheckAPIFields(&f.api)["access_ttl"]; msg != "" {
			f.Errors["access_ttl"] = msg
		}
	}
	return f
}

// formOf is an API's edit form as stored.
func (h *Handlers) formOf(a *models.API) admin.APIForm {
	f := admin.APIForm{Name: a.Name, Identifier: a.URI(h.issuer), Description: a.Description, DocsURL: a.Docs(h.issuer)}
	if a.AccessTTLSeconds != nil {
		f.AccessTTL = strconv.FormatInt(*a.AccessTTLSeconds, 10)
	}
	return f
}

// AdminAPIs lists the APIs (resource servers) with the form that registers one.
func (h *Handlers) AdminAPIs(c echo.Context) error {
	return h.renderAPIs(c, http.StatusOK, admin.APIForm{})
}

func (h *Handlers) renderAPIs(c echo.Context, status int, form admin.APIForm) error {
	ctx := c.Request().Context()
	list, err := h.store.APIs(ctx)
	if err != nil {
		return err
	}
	scopes, err := h.store.AllScopes(ctx)
	if err != nil {
		return err
	}
	v := admin.AdminAPIsView{Base: h.base(c, "APIs · Admin", "admin"), Form: form, CreateURL: h.url(RouteAdminAPIs)}
	for _, a := range list {
		row := admin.AdminAPIRow{Name: a.Name, Identifier: a.URI(h.issuer), Lifetime: h.lifetimeLabel(a.AccessTTLSeconds),
			EditURL: h.url(RouteAdminAPI, a.ID), DeleteURL: h.url(RouteDeleteAPI, a.ID)}
		for _, s := range scopes {
			if s.APIID != nil && *s.APIID == a.ID && s.RetiredAt == nil {
				row.Scopes = append(row.Scopes, s.Name)
			}
		}
		v.APIs = append(v.APIs, row)
	}
	return h.render(c, status, admin.AdminAPIs(v))
}

func (h *Handlers) lifetimeLabel(seconds *int64) string {
	if seconds == nil {
		return oauth.HumanLifetime(h.oauth.Config().AccessTTL) + " (default)"
	}
	return oauth.HumanLifetime(time.Duration(*seconds) * time.Second)
}

// CreateAPI registers an API.
func (h *Handlers) CreateAPI(c echo.Context) error {
	f := h.parseAPIForm(c)
	if len(f.Errors) == 0 {
		err := h.store.CreateAPI(auditContext(c), &f.api)
		switch {
		case errors.Is(err, models.ErrDuplicate):
			f.Errors["identifier"] = "An API with this identifier already exists."
		case err != nil:
			return err
		}
	}
	if len(f.Errors) > 0 {
		return h.renderAPIs(c, http.StatusUnprocessableEntity, f.APIForm)
	}
	h.oauth.ForgetCatalog()
	h.flash(c, "success", "API "+f.Name+" was registered. Give it scopes on the Scopes page.")
	return seeOther(c, h.url(RouteAdminAPIs))
}

// adminAPI is the API named by the :id path parameter.
func (h *Handlers) adminAPI(c echo.Context) (*models.API, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, models.ErrNotFound
	}
	return h.store.APIByID(c.Request().Context(), id)
}

func (h *Handlers) apiView(c echo.Context, a *models.API, form admin.APIForm) admin.AdminAPIView {
	v := admin.AdminAPIView{Base: h.base(c, a.Name+" · Admin", "admin"), Form: form, SaveURL: h.url(RouteAdminAPI, a.ID)}
	if uri := a.URI(h.issuer); strings.HasPrefix(uri, h.issuer+"/") {
		v.MetadataURL = oauth.ProtectedResourceMetadataURL(h.issuer, uri)
	}
	return v
}

// EditAPI shows the form to change an API.
func (h *Handlers) EditAPI(c echo.Context) error {
	a, err := h.adminAPI(c)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, admin.AdminAPI(h.apiView(c, a, h.formOf(a))))
}

// UpdateAPI saves an API. Changing its identifier changes the aud of its new tokens: resource
// servers checking the old one refuse them, which the admin is told.
func (h *Handlers) UpdateAPI(c echo.Context) error {
	a, err := h.adminAPI(c)
	if err != nil {
		return err
	}
	f := h.parseAPIForm(c)
	f.api.ID = a.ID
	if len(f.Errors) == 0 {
		var ch changes
		ch.value("name", a.Name, f.api.Name)
		ch.value("identifier", a.URI(h.issuer), f.Identifier)
		ch.value("description", a.Description, f.api.Description)
		ch.value("docs_url", a.Docs(h.issuer), f.DocsURL)
		ch.value("access_token_ttl", ttlText(a.AccessTTLSeconds), ttlText(f.api.AccessTTLSeconds))
		err := h.store.UpdateAPI(auditContext(c), &f.api, ch.String())
		switch {
		case errors.Is(err, models.ErrDuplicate):
			f.Errors["identifier"] = "An API with this identifier already exists."
		case errors.Is(err, models.ErrSampleAPIIdentifier):
			f.Errors["identifier"] = "The sample API's identifier stays " + a.URI(h.issuer) + ": the sample API at /api/v1 accepts only tokens for it."
		case err != nil:
			return err
		}
	}
	if len(f.Errors) > 0 {
		return h.render(c, http.StatusUnprocessableEntity, admin.AdminAPI(h.apiView(c, a, f.APIForm)))
	}
	h.oauth.ForgetCatalog()
	msg := "API " + f.Name + " was saved."
	if f.api.Identifier != a.Identifier {
		msg += " Its new tokens carry the new identifier as aud: update the API's own check."
	}
	h.flash(c, "success", msg)
	return seeOther(c, h.url(RouteAdminAPIs))
}

func ttlText(s *int64) string {
	if s == nil {
		return ""
	}
	return strconv.FormatInt(*s, 10) + "s"
}

func (h *Handlers) deleteAPIAction(a *models.API) adminAction {
	return adminAction{
		title: "Delete " + a.Name, heading: "Delete the API " + a.Name + "?",
		message: "Applications can no longer ask for tokens for " + a.URI(h.issuer) + ". An API that still has scopes cannot be deleted: move its scopes to another API first.",
		action:  h.url(RouteDeleteAPI, a.ID), button: "Delete API", danger: true, back: h.url(RouteAdminAPIs),
	}
}

// ConfirmDeleteAPI asks before deleting an API.
func (h *Handlers) ConfirmDeleteAPI(c echo.Context) error {
	a, err := h.adminAPI(c)
	if err != nil {
		return err
	}
	return h.confirmAction(c, http.StatusOK, h.deleteAPIAction(a), "", "")
}

// DeleteAPI deletes an API without scopes; one with scopes is refused with what to do instead.
func (h *Handlers) DeleteAPI(c echo.Context) error {
	a, err := h.adminAPI(c)
	if err != nil {
		return err
	}
	reason, ok, err := h.actionReason(c, h.deleteAPIAction(a))
	if !ok {
		return err
	}
	err = h.store.DeleteAPI(auditContext(c), a.ID, withReason(a.Name, reason))
	if errors.Is(err, models.ErrForbidden) {
		h.flash(c, "error", models.ErrorMessage(err))
		return seeOther(c, h.url(RouteAdminAPIs))
	}
	if err != nil {
		return err
	}
	h.oauth.ForgetCatalog()
	h.flash(c, "success", "API "+a.Name+" was deleted.")
	return seeOther(c, h.url(RouteAdminAPIs))
}

// apiOptions are the choices of the scope form's API select, chosen the one with id selected.
func (h *Handlers) apiOptions(c echo.Context) ([]admin.APIOption, error) {
	list, err := h.store.APIs(c.Request().Context())
	out := make([]admin.APIOption, 0, len(list))
	for _, a := range list {
		out = append(out, admin.APIOption{Value: strconv.FormatInt(a.ID, 10), Label: a.Name + " (" + a.URI(h.issuer) + ")"})
	}
	return out, err
}

// apiNameMap is the name of each API by id, for labelling scopes.
type apiNameMap map[int64]string

// of is the name of s's API, "" for none.
func (m apiNameMap) of(s models.Scope) string {
	if s.APIID == nil {
		return ""
	}
	return m[*s.APIID]
}

func (h *Handlers) apiNames(ctx context.Context) (apiNameMap, error) {
	list, err := h.store.APIs(ctx)
	m := make(apiNameMap, len(list))
	for _, a := range list {
		m[a.ID] = a.Name
	}
	return m, err
}

// docsAPIs are the registered APIs as the docs page lists them, with their active scopes.
func (h *Handlers) docsAPIs(ctx context.Context) ([]docs.API, error) {
	list, err := h.store.APIs(ctx)
	if err != nil {
		return nil, err
	}
	scopes, err := h.store.ActiveScopes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]docs.API, 0, len(list))
	for _, a := range list {
		d := docs.API{Name: a.Name, Identifier: a.URI(h.issuer), Description: a.Description, DocsURL: a.Docs(h.issuer)}
		if strings.HasPrefix(d.Identifier, h.issuer+"/") {
			d.MetadataURL = oauth.ProtectedResourceMetadataURL(h.issuer, d.Identifier)
		}
		for _, s := range scopes {
			if s.APIID != nil && *s.APIID == a.ID {
				d.Scopes = append(d.Scopes, s.Name)
			}
		}
		out = append(out, d)
	}
	return out, nil
}
