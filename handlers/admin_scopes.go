package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/pages/admin"
	"github.com/devportal/devportal/templates/pages/shared"
)

// scopeForm is the new-scope and edit-scope form, parsed once.
type scopeForm struct {
	Name        string
	Description string
	Sensitive   bool
	APIID       string // the API select's value: an API's id
	apis        []admin.APIOption
}

func parseScopeForm(c echo.Context) scopeForm {
	return scopeForm{
		Name:        strings.TrimSpace(c.FormValue("name")),
		Description: strings.Join(strings.Fields(c.FormValue("description")), " "),
		Sensitive:   c.FormValue("sensitive") == "true",
		APIID:       strings.TrimSpace(c.FormValue("api_id")),
	}
}

// label names the API with the select's value id, for the audit log.
func (f scopeForm) label(id string) string {
	for _, o := range f.apis {
		if o.Value == id {
			return o.Label
		}
	}
	return id
}

// api is the chosen API's id, or 0 (with the field's error in errs) when none of the choices.
func (f scopeForm) api(errs shared.Errors) int64 {
	for _, o := range f.apis {
		if o.Value == f.APIID {
			id, _ := strconv.ParseInt(f.APIID, 10, 64)
			return id
		}
	}
	if len(f.apis) == 0 {
		errs["api_id"] = "Register an API first (Admin, APIs): every scope belongs to one."
	} else {
		errs["api_id"] = "Choose the API this scope belongs to."
	}
	return 0
}

func (f scopeForm) validate(withName bool) shared.Errors {
	errs := shared.Errors{}
	if withName {
		if msg := oauth.CheckCatalogScopeName(f.Name); msg != "" {
			errs["name"] = msg
		}
	}
	switch {
	case f.Description == "":
		errs["description"] = "Enter a description: people read it when they are asked to allow access."
	case utf8.RuneCountInString(f.Description) > models.MaxScopeDescriptionLength:
		errs["description"] = fmt.Sprintf("Use at most %d characters.", models.MaxScopeDescriptionLength)
	}
	return errs
}

func (f scopeForm) view(errs shared.Errors) admin.ScopeForm {
	return admin.ScopeForm{Name: f.Name, Description: f.Description, Sensitive: f.Sensitive, APIID: f.APIID, APIs: f.apis, Errors: errs}
}

// detail describes a scope's settings for the audit log.
func (f scopeForm) detail() string {
	s := "not sensitive"
	if f.Sensitive {
		s = "sensitive"
	}
	return fmt.Sprintf("%s; %q", s, f.Description)
}

// AdminScopes shows the scope catalog, the pending sensitive-scope requests and the new-scope form.
func (h *Handlers) AdminScopes(c echo.Context) error {
	opts, err := h.apiOptions(c)
	if err != nil {
		return err
	}
	form := admin.ScopeForm{APIs: opts}
	if len(opts) > 0 {
		form.APIID = opts[0].Value
	}
	return h.renderScopes(c, http.StatusOK, form)
}

func (h *Handlers) renderScopes(c echo.Context, status int, form admin.ScopeForm) error {
	v := admin.AdminScopesView{Base: h.base(c, "Scopes · Admin", "admin"), Form: form}
	if err := h.loadScopes(c, &v); err != nil {
		return err
	}
	return h.render(c, status, admin.AdminScopes(v))
}

func (h *Handlers) loadScopes(c echo.Context, v *admin.AdminScopesView) error {
	ctx := c.Request().Context()
	scopes, err := h.store.AllScopes(ctx)
	if err != nil {
		return err
	}
	apis, err := h.store.APIs(ctx)
	if err != nil {
		return err
	}
	apiNames := map[int64]string{}
	for _, a := range apis {
		apiNames[a.ID] = a.Name
	}
	for _, s := range scopes {
		row := admin.AdminScopeRow{Name: s.Name, Description: s.Description, Sensitive: s.Sensitive, Retired: s.RetiredAt != nil,
			Standard: slices.Contains(models.StandardScopes, s.Name), EditURL: h.url(RouteScope, s.Name), RetireURL: h.url(RouteRetireScope, s.Name)}
		if s.APIID != nil {
			row.API = apiNames[*s.APIID]
		}
		if s.RetiredAt != nil {
			row.RetiredAt = humanTime(*s.RetiredAt)
		}
		v.Scopes = append(v.Scopes, row)
	}
	var after models.ScopeRequestCursor
	if a := c.QueryParam("after"); a != "" {
		var err error
		if after, err = models.ParseScopeRequestCursor(a); err != nil {
			return err
		}
		v.FirstURL = h.url(RouteAdminScopes)
	}
	requests, err := h.store.PendingScopeRequests(ctx, after, scopeRequestsPage+1)
	if err != nil {
		return err
	}
	if len(requests) > scopeRequestsPage {
		requests = requests[:scopeRequestsPage]
		last := requests[len(requests)-1]
		v.LaterURL = h.url(RouteAdminScopes) + "?after=" + models.ScopeRequestCursor{RequestedAt: last.RequestedAt, ClientID: last.ClientID, Scope: last.Scope}.String()
	}
	for _, r := range requests {
		v.Requests = append(v.Requests, h.scopeRequestRow(r))
	}
	return nil
}

// scopeRequestsPage is how many pending requests the scopes page shows at once.
const scopeRequestsPage = 50

// scopeRequestRow is a pending request as the scopes page and the overview show it.
func (h *Handlers) scopeRequestRow(r models.PendingScopeRequest) admin.ScopeRequestRow {
	return admin.ScopeRequestRow{
		ClientID: r.ClientID, ClientName: r.ClientName, Owner: r.OwnerEmail, Scope: r.Scope,
		RequestedISO: isoTime(r.RequestedAt), Requested: humanTime(r.RequestedAt),
		ApproveURL: h.url(RouteApproveRequest, r.ClientID, r.Scope), RejectURL: h.url(RouteRejectRequest, r.ClientID, r.Scope),
		ClientURL: h.url(RouteAdminClient, r.ClientID),
	}
}

// CreateScope adds a scope to the catalog.
func (h *Handlers) CreateScope(c echo.Context) error {
	f := parseScopeForm(c)
	var err error
	if f.apis, err = h.apiOptions(c); err != nil {
		return err
	}
	if f.APIID == "" {
		// A scripted post without the field (as before APIs existed): the sample API.
		if a, err := h.store.APIByIdentifier(c.Request().Context(), models.SampleAPIIdentifier); err == nil {
			f.APIID = strconv.FormatInt(a.ID, 10)
		}
	}
	errs := f.validate(true)
	apiID := f.api(errs)
	if len(errs) == 0 {
		err := h.store.CreateScopeIn(c.Request().Context(), apiID, f.Name, f.Description, f.Sensitive)
		switch {
		case errors.Is(err, models.ErrDuplicate):
			errs["name"] = "A scope named " + f.Name + " already exists (retired scopes keep their names)."
		case err != nil:
			return err
		}
	}
	if len(errs) > 0 {
		return h.renderScopes(c, http.StatusUnprocessableEntity, f.view(errs))
	}
	h.oauth.ForgetCatalog() // this instance applies the change at once, others within the cache's TTL
	h.audit(c, models.AuditScopeCreated, f.Name, f.detail()+"; API "+f.label(f.APIID))
	h.flash(c, "success", "Scope "+f.Name+" was added to the catalog.")
	return seeOther(c, h.url(RouteAdminScopes))
}

// EditScope shows the form to change a scope's description and sensitivity.
func (h *Handlers) EditScope(c echo.Context) error {
	s, err := h.adminScope(c)
	if err != nil {
		return err
	}
	form := admin.ScopeForm{Name: s.Name, Description: s.Description, Sensitive: s.Sensitive}
	if !slices.Contains(models.StandardScopes, s.Name) {
		if form.APIs, err = h.apiOptions(c); err != nil {
			return err
		}
		if s.APIID != nil {
			form.APIID = strconv.FormatInt(*s.APIID, 10)
		}
	}
	return h.render(c, http.StatusOK, admin.AdminScope(admin.AdminScopeView{
		Base: h.base(c, s.Name+" · Admin", "admin"), Retired: s.RetiredAt != nil, Standard: slices.Contains(models.StandardScopes, s.Name),
		Form: form, SaveURL: h.url(RouteScope, s.Name),
	}))
}

// UpdateScope saves a scope's description and sensitivity.
func (h *Handlers) UpdateScope(c echo.Context) error {
	s, err := h.adminScope(c)
	if err != nil {
		return err
	}
	f := parseScopeForm(c)
	f.Name = s.Name
	standard := slices.Contains(models.StandardScopes, s.Name)
	errs := f.validate(false)
	var apiID int64
	if f.APIID == "" && s.APIID != nil {
		f.APIID = strconv.FormatInt(*s.APIID, 10) // a post without the field keeps the scope's API
	}
	if !standard {
		if f.apis, err = h.apiOptions(c); err != nil {
			return err
		}
		apiID = f.api(errs)
	}
	if len(errs) > 0 {
		return h.render(c, http.StatusUnprocessableEntity, admin.AdminScope(admin.AdminScopeView{
			Base: h.base(c, s.Name+" · Admin", "admin"), Retired: s.RetiredAt != nil, Standard: slices.Contains(models.StandardScopes, s.Name),
			Form: f.view(errs), SaveURL: h.url(RouteScope, f.Name),
		}))
	}
	if err := h.store.UpdateScope(c.Request().Context(), s.Name, f.Description, f.Sensitive); err != nil {
		return err
	}
	var ch changes // what the scope was (s) and is now (f)
	if !standard && (s.APIID == nil || *s.APIID != apiID) {
		// Its new tokens are for the other API; tokens already issued keep their aud.
		if err := h.store.SetScopeAPI(c.Request().Context(), s.Name, apiID); err != nil {
			return err
		}
		before := ""
		if s.APIID != nil {
			before = strconv.FormatInt(*s.APIID, 10)
		}
		ch.value("api", f.label(before), f.label(f.APIID))
	}
	h.oauth.ForgetCatalog()
	ch.value("description", s.Description, f.Description)
	ch.flag("sensitive", s.Sensitive, f.Sensitive)
	h.audit(c, models.AuditScopeUpdated, s.Name, ch.String())
	h.flash(c, "success", "Scope "+s.Name+" was saved.")
	return seeOther(c, h.url(RouteAdminScopes))
}

// ConfirmRetireScope asks before retiring a scope, which cannot be undone here.
func (h *Handlers) ConfirmRetireScope(c echo.Context) error {
	s, err := h.adminScope(c)
	if err != nil {
		return err
	}
	if slices.Contains(models.StandardScopes, s.Name) {
		// The page offers no "Retire" for it; this is a typed or stale link. Same words as the
		// store's refusal of the POST (Store.RetireScope).
		h.flash(c, "error", s.Name+" is a standard OpenID Connect scope and stays in the catalog.")
		return seeOther(c, h.url(RouteAdminScopes))
	}
	if s.RetiredAt != nil {
		h.flash(c, "info", "Scope "+s.Name+" is already retired.")
		return seeOther(c, h.url(RouteAdminScopes))
	}
	return h.render(c, http.StatusOK, shared.Confirm(shared.ConfirmView{
		Base: h.base(c, "Retire scope · Admin", "admin"), Heading: "Retire " + s.Name + "?",
		Message: "Applications can no longer request it and it disappears from the registration form. Grants that already carry it keep working until they are revoked. A retired scope cannot be brought back, and its name cannot be reused.",
		Action:  h.url(RouteRetireScope, s.Name), Button: "Retire scope", Cancel: h.url(RouteAdminScopes),
	}))
}

// RetireScope stops new requests for a scope.
func (h *Handlers) RetireScope(c echo.Context) error {
	s, err := h.adminScope(c)
	if err != nil {
		return err
	}
	switch err := h.store.RetireScope(c.Request().Context(), s.Name); {
	case errors.Is(err, models.ErrNotFound): // retired meanwhile
		h.flash(c, "info", "Scope "+s.Name+" is already retired.")
		return seeOther(c, h.url(RouteAdminScopes))
	case errors.Is(err, models.ErrForbidden): // a standard scope: the page has no button for it
		h.flash(c, "error", models.ErrorMessage(err))
		return seeOther(c, h.url(RouteAdminScopes))
	case err != nil:
		return err
	}
	h.oauth.ForgetCatalog()
	h.audit(c, models.AuditScopeRetired, s.Name, s.Description)
	h.flash(c, "success", "Scope "+s.Name+" was retired. Existing grants keep it until they are revoked.")
	return seeOther(c, h.url(RouteAdminScopes))
}

// adminScope loads the scope named in the path, retired or not.
func (h *Handlers) adminScope(c echo.Context) (*models.Scope, error) {
	name := c.Param("name")
	found, err := h.store.ScopesByName(c.Request().Context(), []string{name})
	if err != nil {
		return nil, err
	}
	if len(found) != 1 || found[0].Name != name {
		return nil, models.ErrNotFound.Describe("There is no scope with that name in the catalog.")
	}
	return &found[0], nil
}

// scopeDecision is the confirmation page of approving or rejecting clientID's request for scope.
func (h *Handlers) scopeDecision(client *models.Client, scope string, approve bool) adminAction {
	if approve {
		return adminAction{
			title: "Approve scope request", heading: "Let " + client.Name + " request " + scope + "?",
			message: client.Name + " may then ask users for " + scope + " on the consent page, and its tokens may carry it.",
			action:  h.url(RouteApproveRequest, client.ID, scope), button: "Approve", danger: true, back: h.url(RouteAdminScopes),
		}
	}
	return adminAction{
		title: "Reject scope request", heading: "Refuse " + scope + " to " + client.Name + "?",
		message: client.Name + " may not request " + scope + "; its developer may ask again later.",
		action:  h.url(RouteRejectRequest, client.ID, scope), button: "Reject", back: h.url(RouteAdminScopes),
	}
}

// pendingRequest loads the client and checks that its request for the path's scope still
// waits; otherwise it answers for the handler (a flash and back to the scopes page) and
// returns a nil client.
func (h *Handlers) pendingRequest(c echo.Context) (*models.Client, string, error) {
	clientID, scope := c.Param("client"), c.Param("scope")
	gone := func() (*models.Client, string, error) {
		h.flash(c, "info", "That request was already decided, or the application no longer exists.")
		return nil, "", seeOther(c, h.url(RouteAdminScopes))
	}
	client, err := h.store.ClientByID(c.Request().Context(), clientID)
	if errors.Is(err, models.ErrNotFound) {
		return gone()
	} else if err != nil {
		return nil, "", err
	}
	requests, err := h.store.ScopeRequestsFor(c.Request().Context(), clientID)
	if err != nil {
		return nil, "", err
	}
	if !slices.ContainsFunc(requests, func(r models.ScopeRequest) bool { return r.Scope == scope && r.Status == models.RequestPending }) {
		return gone()
	}
	return client, scope, nil
}

// ConfirmApproveScopeRequest asks before granting a requested sensitive scope.
func (h *Handlers) ConfirmApproveScopeRequest(c echo.Context) error {
	return h.confirmDecision(c, true)
}

// ConfirmRejectScopeRequest asks before refusing a requested sensitive scope.
func (h *Handlers) ConfirmRejectScopeRequest(c echo.Context) error {
	return h.confirmDecision(c, false)
}

func (h *Handlers) confirmDecision(c echo.Context, approve bool) error {
	client, scope, err := h.pendingRequest(c)
	if client == nil {
		return err
	}
	return h.confirmAction(c, http.StatusOK, h.scopeDecision(client, scope, approve), "", "")
}

// ApproveScopeRequest adds a requested sensitive scope to the client.
func (h *Handlers) ApproveScopeRequest(c echo.Context) error {
	return h.decideScopeRequest(c, true)
}

// RejectScopeRequest refuses a requested sensitive scope; the application may ask again.
func (h *Handlers) RejectScopeRequest(c echo.Context) error {
	return h.decideScopeRequest(c, false)
}

func (h *Handlers) decideScopeRequest(c echo.Context, approve bool) error {
	client, scope, err := h.pendingRequest(c)
	if client == nil {
		return err
	}
	reason, ok, err := h.actionReason(c, h.scopeDecision(client, scope, approve))
	if !ok {
		return err
	}
	err = h.store.DecideScopeRequest(c.Request().Context(), client.ID, scope, approve, CurrentUser(c).ID)
	if errors.Is(err, models.ErrNotFound) {
		h.flash(c, "info", "That request was already decided, or the application no longer exists.")
		return seeOther(c, h.url(RouteAdminScopes))
	}
	if err != nil {
		return err
	}
	if approve {
		h.audit(c, models.AuditScopeApproved, client.ID, withReason("scope "+scope, reason))
		h.flash(c, "success", scope+" was approved: the application may now request it.")
	} else {
		h.audit(c, models.AuditScopeRejected, client.ID, withReason("scope "+scope, reason))
		h.flash(c, "success", scope+" was rejected.")
	}
	return seeOther(c, h.url(RouteAdminScopes))
}
