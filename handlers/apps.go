package handlers

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/pages/apps"
	"github.com/devportal/devportal/templates/pages/shared"
)

// Apps lists the signed-in developer's applications.
func (h *Handlers) Apps(c echo.Context) error {
	clients, err := h.store.ClientsByOwner(c.Request().Context(), CurrentUser(c).ID)
	if err != nil {
		return err
	}
	// One query for the whole page, on this developer's clients only (the admin queue can be long).
	pending := map[string]bool{}
	if len(clients) > 0 {
		if pending, err = h.store.PendingScopeClients(c.Request().Context(), CurrentUser(c).ID); err != nil {
			return err
		}
	}
	v := apps.AppsView{Base: h.base(c, "Applications", "apps")}
	for _, cl := range clients {
		v.Apps = append(v.Apps, apps.AppRow{ID: cl.ID, Name: cl.Name, TypeLabel: apps.TypeLabel(string(cl.Type)), Status: cl.Status,
			CreatedISO: isoTime(cl.CreatedAt), Created: humanTime(cl.CreatedAt), Pending: pending[cl.ID], URL: h.url(RouteApp, cl.ID)})
	}
	return h.render(c, http.StatusOK, apps.Apps(v))
}

// NewApp shows the registration form.
func (h *Handlers) NewApp(c echo.Context) error {
	opts, err := h.scopeOptions(c.Request().Context(), nil)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, apps.AppNew(apps.AppFormView{Base: h.base(c, "New application", "apps"), Type: "web", Scopes: opts}))
}

// CreateApp registers an application and sends the browser to its page, which shows the secret
// once (post / redirect / get: a reload of that page creates nothing).
func (h *Handlers) CreateApp(c echo.Context) error {
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return models.ErrInvalid.Describe("The form could not be read.")
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
		return h.render(c, http.StatusUnprocessableEntity, apps.AppNew(apps.AppFormView{
			Base: h.base(c, "New application", "apps"), Name: reg.Name, Type: string(reg.Type),
			RedirectURIs: form.Get("redirect_uris"), Scopes: opts, Errors: shared.Errors(errs),
		}))
	}
	owner := CurrentUser(c).ID
	in.OwnerID = &owner
	client, secret, err := h.store.CreateClient(auditContext(c), in)
	if err != nil {
		return err
	}
	h.audit(c, models.AuditAppCreated, client.ID, client.Name)
	if secret != "" {
		if err := h.putReveal(c, models.RevealClientSecret, client.ID, []byte(secret)); err != nil {
			return err
		}
	}
	h.flash(c, "success", "Application created.")
	return seeOther(c, h.url(RouteApp, client.ID))
}

// App shows one of the developer's applications, with the secret a create or rotate just made
// for this session, once: a reload shows the page without it.
func (h *Handlers) App(c echo.Context) error {
	client, err := h.ownedClient(c)
	if err != nil {
		return err
	}
	secret, err := h.takeReveal(c, models.RevealClientSecret, client.ID)
	if err != nil {
		return err
	}
	v, err := h.appView(c, client, string(secret), nil)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, apps.App(v))
}

const noSecretToRotate = "This application has no secret to rotate."

// ConfirmRotate asks before making a new secret, and how long the current one keeps working.
func (h *Handlers) ConfirmRotate(c echo.Context) error {
	client, err := h.ownedClient(c)
	if err != nil {
		return err
	}
	if !client.Type.Confidential() {
		return models.ErrNotFound.Describe(noSecretToRotate)
	}
	v := apps.RotateView{Base: h.base(c, "Rotate secret", "apps"), URLs: h.appLinks(client.ID), ID: client.ID, Name: client.Name, MaxActive: models.MaxActiveSecrets,
		AtLimit: client.AtSecretLimit(time.Now())}
	for _, k := range models.SecretKeeps {
		v.Options = append(v.Options, apps.KeepOption{Value: k.Name, Label: k.Label, Selected: k.Name == models.DefaultSecretKeep})
	}
	return h.render(c, http.StatusOK, apps.AppRotate(v))
}

// RotateSecret makes a new secret and limits how long the current ones keep working. It ends on
// the application page, which shows the new secret once, so a reload rotates nothing.
func (h *Handlers) RotateSecret(c echo.Context) error {
	client, err := h.ownedClient(c)
	if err != nil {
		return err
	}
	if !client.Type.Confidential() {
		return models.ErrNotFound.Describe(noSecretToRotate)
	}
	keep, ok := models.SecretKeepNamed(c.FormValue("keep"))
	if !ok {
		return models.ErrInvalid.Describe("Choose how long the current secret keeps working.")
	}
	oldUntil := keep.OldUntil(time.Now())
	var outcome string
	switch {
	case oldUntil == nil:
		outcome = "The previous secret keeps working until you retire it."
	case oldUntil.IsZero():
		outcome = "The previous secret no longer works."
	default:
		outcome = "The previous secret keeps working until " + humanTime(*oldUntil) + "."
	}
	secret, err := h.store.AddSecret(c.Request().Context(), client.ID, oldUntil)
	if errors.Is(err, models.ErrTooManySecrets) {
		h.flash(c, "error", models.ErrorMessage(err))
		return seeOther(c, h.url(RouteApp, client.ID))
	}
	if err != nil {
		return err
	}
	h.audit(c, models.AuditSecretCreated, client.ID, "…"+secret[len(secret)-4:]+"; previous secrets: "+keep.Label)
	if oldUntil != nil && oldUntil.IsZero() {
		h.audit(c, models.AuditSecretRetired, client.ID, "every previous secret, at rotation")
	}
	if err := h.putReveal(c, models.RevealClientSecret, client.ID, []byte(secret)); err != nil {
		return err
	}
	h.flash(c, "success", "Secret rotated. "+outcome)
	return seeOther(c, h.url(RouteApp, client.ID))
}

// ConfirmRetireSecret asks before a secret stops working, and warns when it is the last one.
func (h *Handlers) ConfirmRetireSecret(c echo.Context) error {
	client, secret, err := h.ownedSecret(c)
	if err != nil {
		return err
	}
	msg := "Anything still using the secret ending in …" + secret.Hint + " can no longer authenticate as " + client.Name + "."
	if client.LastUsableSecret(secret, time.Now()) {
		msg = "This is the only working secret of " + client.Name + ": once it is retired, the application stops authenticating until you rotate in a new secret."
	}
	return h.render(c, http.StatusOK, shared.Confirm(shared.ConfirmView{
		Base: h.base(c, "Retire secret", "apps"), Heading: "Retire the secret ending in …" + secret.Hint + "?", Message: msg + " This cannot be undone.",
		Action: h.url(RouteRetireSecret, client.ID, secret.ID), Button: "Retire secret", Cancel: h.url(RouteApp, client.ID),
	}))
}

// RetireSecret stops one secret from working.
func (h *Handlers) RetireSecret(c echo.Context) error {
	client, secret, err := h.ownedSecret(c)
	if err != nil {
		return err
	}
	if err := h.store.RetireSecret(c.Request().Context(), client.ID, secret.ID); err != nil {
		return models.Reword(err, models.ErrNotFound, "That secret is already retired.")
	}
	h.audit(c, models.AuditSecretRetired, client.ID, "…"+secret.Hint)
	h.flash(c, "success", "The secret ending in …"+secret.Hint+" was retired.")
	return seeOther(c, h.url(RouteApp, client.ID))
}

// ownedSecret loads an unretired secret of one of the signed-in developer's applications.
func (h *Handlers) ownedSecret(c echo.Context) (*models.Client, *models.ClientSecret, error) {
	client, err := h.ownedClient(c)
	if err != nil {
		return nil, nil, err
	}
	id, err := strconv.ParseInt(c.Param("secret"), 10, 64)
	if err == nil {
		for i := range client.Secrets {
			if client.Secrets[i].ID == id {
				return client, &client.Secrets[i], nil
			}
		}
	}
	return nil, nil, models.ErrNotFound.Describe("This application has no working secret with that id.")
}

// UpdateApp saves the settings form of the application page. A sensitive scope the application
// does not hold yet becomes a request for an administrator rather than a grant.
func (h *Handlers) UpdateApp(c echo.Context) error {
	client, err := h.ownedClient(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return models.ErrInvalid.Describe("The form could not be read.")
	}
	ctx := c.Request().Context()
	p := oauth.Profile{
		Name: form.Get("name"), LogoURL: form.Get("logo_url"), HomepageURL: form.Get("homepage_url"),
		PrivacyURL: form.Get("privacy_url"), TermsURL: form.Get("terms_url"),
		RedirectURIs: strings.Split(strings.ReplaceAll(form.Get("redirect_uris"), "\r\n", "\n"), "\n"),
		Scopes:       form["scopes"],
		AccessTTL:    form.Get("access_ttl"), AccessTTLUnit: form.Get("access_ttl_unit"),
		RefreshTTL: form.Get("refresh_ttl"), RefreshTTLUnit: form.Get("refresh_ttl_unit"),

		AllowedOrigins: lines(form.Get("allowed_origins")),

		PostLogoutRedirectURIs:   lines(form.Get("post_logout_redirect_uris")),
		IDTokenSignedResponseAlg: form.Get("id_token_signed_response_alg"),
		AllowDeviceGrant:         form.Get("allow_device_grant") != "",
	}
	profile, pending, errs, err := h.oauth.ValidateProfile(ctx, client, p)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		v, err := h.appView(c, client, "", append([]string{}, form["scopes"]...))
		if err != nil {
			return err
		}
		v.Name, v.LogoURL, v.HomepageURL, v.PrivacyURL, v.TermsURL = p.Name, p.LogoURL, p.HomepageURL, p.PrivacyURL, p.TermsURL
		v.RedirectURIsText, v.Errors = form.Get("redirect_uris"), shared.Errors(errs)
		v.AccessTTL, v.RefreshTTL = p.AccessTTL, p.RefreshTTL
		if p.AccessTTLUnit != "" {
			v.AccessTTLUnit = p.AccessTTLUnit
		}
		if p.RefreshTTLUnit != "" {
			v.RefreshTTLUnit = p.RefreshTTLUnit
		}
		v.AllowedOriginsText = form.Get("allowed_origins")
		v.PostLogoutURIsText, v.SigningAlg = form.Get("post_logout_redirect_uris"), p.IDTokenSignedResponseAlg
		v.AllowDevice = p.AllowDeviceGrant
		h.flashNow(c, "error", "The settings were not saved: correct the fields marked below.")
		return h.render(c, http.StatusUnprocessableEntity, apps.App(v))
	}
	if err := h.store.EditClient(auditContext(c), client.ID, profile, pending); err != nil {
		return err
	}
	h.audit(c, models.AuditAppUpdated, client.ID, profileChanges(client, profile, pending))
	msg := "Settings saved."
	switch len(pending) {
	case 0:
	case 1:
		msg += " " + pending[0] + " is added once an administrator approves it."
	default:
		msg += " " + strings.Join(pending, ", ") + " are added once an administrator approves them."
	}
	h.flash(c, "success", msg)
	return seeOther(c, h.url(RouteApp, client.ID))
}

// profileChanges says what an edit changed, "field: before → after" for each changed setting
// (see changes for the bounds), and which sensitive scopes it asked for, for the audit log.
func profileChanges(old *models.Client, p models.ClientProfile, pending []string) string {
	var ch changes
	ch.value("name", old.Name, p.Name)
	ch.value("logo_url", old.LogoURL, p.LogoURL)
	ch.value("homepage_url", old.HomepageURL, p.HomepageURL)
	ch.value("privacy_url", old.PrivacyURL, p.PrivacyURL)
	ch.value("terms_url", old.TermsURL, p.TermsURL)
	ch.list("redirect_uris", old.RedirectURIs, p.RedirectURIs)
	ch.list("allowed_origins", old.AllowedOrigins, p.AllowedOrigins)
	ch.list("scopes", old.Scopes, p.Scopes)
	lifetime := func(s *int) string {
		if s == nil {
			return "default"
		}
		return oauth.FormatLifetimeSeconds(s)
	}
	if !equalInt(old.AccessTTLSeconds, p.AccessTTLSeconds) {
		ch = append(ch, "access_ttl: "+lifetime(old.AccessTTLSeconds)+" → "+lifetime(p.AccessTTLSeconds))
	}
	if !equalInt(old.RefreshTTLSeconds, p.RefreshTTLSeconds) {
		ch = append(ch, "refresh_ttl: "+lifetime(old.RefreshTTLSeconds)+" → "+lifetime(p.RefreshTTLSeconds))
	}
	ch.list("post_logout_redirect_uris", old.PostLogoutRedirectURIs, p.PostLogoutRedirectURIs)
	ch.value("id_token_signed_response_alg", old.IDTokenSignedResponseAlg, p.IDTokenSignedResponseAlg)
	ch.value("allow_device_grant", strconv.FormatBool(old.AllowDeviceGrant), strconv.FormatBool(p.AllowDeviceGrant))
	if len(pending) > 0 {
		ch = append(ch, "requested: "+strings.Join(pending, " "))
	}
	return ch.String()
}

func equalInt(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// ConfirmDelete asks before deleting an application.
func (h *Handlers) ConfirmDelete(c echo.Context) error {
	client, err := h.ownedClient(c)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, shared.Confirm(shared.ConfirmView{
		Base: h.base(c, "Delete application", "apps"), Heading: "Delete " + client.Name + "?",
		Message: "Its client id stops working, and every token issued to it ends now. This cannot be undone.",
		Action:  h.url(RouteDeleteApp, client.ID), Button: "Delete application", Cancel: h.url(RouteApp, client.ID),
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
	h.audit(c, models.AuditAppDeleted, client.ID, client.Name)
	h.flash(c, "success", client.Name+" was deleted.")
	return seeOther(c, h.url(RouteApps))
}

// ownedClient loads the application named in the path if the signed-in user owns it. Anyone
// else gets the same 404 as for a missing one, so ids cannot be probed.
func (h *Handlers) ownedClient(c echo.Context) (*models.Client, error) {
	client, err := h.store.ClientByID(c.Request().Context(), c.Param("id"))
	if err == nil && (client.OwnerID == nil || *client.OwnerID != CurrentUser(c).ID) {
		err = models.ErrNotFound
	}
	if err != nil {
		return nil, models.Reword(err, models.ErrNotFound, "There is no application with that id among yours.")
	}
	return client, nil
}

// appView is the application page for client as stored. checked, when not nil, are the scopes
// ticked in a submitted form instead of the stored ones.
func (h *Handlers) appView(c echo.Context, client *models.Client, newSecret string, checked []string) (apps.AppView, error) {
	ctx := c.Request().Context()
	requests, err := h.store.ScopeRequestsFor(ctx, client.ID)
	if err != nil {
		return apps.AppView{}, err
	}
	scopes, err := h.profileScopes(ctx, client, requests, checked)
	if err != nil {
		return apps.AppView{}, err
	}
	cfg := h.oauth.Config()
	v := apps.AppView{
		Base: h.base(c, client.Name, "apps"), URLs: h.appLinks(client.ID), ID: client.ID, Name: client.Name, Heading: client.Name, Type: string(client.Type), Status: client.Status,
		Confidential: client.Type.Confidential(), RedirectURIs: client.RedirectURIs, Scopes: scopes,
		CreatedISO: isoTime(client.CreatedAt), Created: humanTime(client.CreatedAt), NewSecret: newSecret,
		LogoURL: client.LogoURL, HomepageURL: client.HomepageURL, PrivacyURL: client.PrivacyURL, TermsURL: client.TermsURL,
		RedirectURIsText: strings.Join(client.RedirectURIs, "\n"),
		DefaultAccessTTL: oauth.HumanLifetime(cfg.AccessTTL), DefaultRefreshTTL: oauth.HumanLifetime(cfg.RefreshTTL),
		AccessRange: lifetimeRange(oauth.AccessLifetime), RefreshRange: lifetimeRange(oauth.RefreshLifetime),

		AllowedOriginsText: strings.Join(client.AllowedOrigins, "\n"),
		DefaultOrigins:     models.EffectiveOrigins(nil, client.RedirectURIs),

		PostLogoutURIsText: strings.Join(client.PostLogoutRedirectURIs, "\n"),
		SigningAlg:         client.IDTokenSignedResponseAlg,
		SigningAlgs:        idTokenAlgOptions(),

		AllowDevice: client.AllowDeviceGrant,
		DeviceURL:   h.issuer + h.url(RouteDevice),
	}
	v.AccessTTL, v.AccessTTLUnit = lifetimeField(client.AccessTTLSeconds, cfg.AccessTTL)
	v.RefreshTTL, v.RefreshTTLUnit = lifetimeField(client.RefreshTTLSeconds, cfg.RefreshTTL)
	if client.Type != models.ClientMachine {
		v.OpenID = h.openIDPanel(client)
	}
	for _, r := range requests {
		v.Pending = v.Pending || r.Status == models.RequestPending
	}
	now := time.Now()
	for _, s := range client.Secrets {
		row := apps.SecretRow{ID: s.ID, Hint: s.Hint, CreatedISO: isoTime(s.CreatedAt), Created: humanTime(s.CreatedAt), Expired: !s.Usable(now),
			RetireURL: h.url(RouteRetireSecret, client.ID, s.ID)}
		if s.LastUsedAt != nil {
			row.LastUsedISO, row.LastUsed = isoTime(*s.LastUsedAt), humanTime(*s.LastUsedAt)
		}
		if s.ExpiresAt != nil {
			row.ExpiresISO, row.Expires = isoTime(*s.ExpiresAt), humanTime(*s.ExpiresAt)
		}
		v.Secrets = append(v.Secrets, row)
	}
	return v, nil
}

// lifetimeField is a stored lifetime as the form shows it: a count in its largest exact unit
// (365 days, not 8760h). With none stored the count is empty (the default) and the unit is the
// default's, so typing a number means what the hint next to it says.
func lifetimeField(stored *int, def time.Duration) (count, unit string) {
	if count, unit = oauth.SplitLifetimeSeconds(stored); unit != "" {
		return count, unit
	}
	if _, unit = oauth.SplitLifetime(def); unit == "" || unit == "seconds" {
		unit = "minutes"
	}
	return "", unit
}

// lifetimeRange writes a lifetime range in words, to follow "Between".
func lifetimeRange(r oauth.LifetimeRange) string {
	return oauth.HumanLifetime(r.Min) + " and " + oauth.HumanLifetime(r.Max)
}

// profileScopes lists the scope checkboxes of the settings form: the active catalog, plus any
// retired scope the application still holds. A scope is ticked when the application holds it or
// asked for it (or, after a rejected edit, when the form ticked it), and carries the state of
// its request, if an administrator has not approved one.
func (h *Handlers) profileScopes(ctx context.Context, client *models.Client, requests []models.ScopeRequest, checked []string) ([]shared.ScopeOption, error) {
	active, err := h.store.ActiveScopes(ctx)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, name := range client.Scopes {
		if !slices.ContainsFunc(active, func(s models.Scope) bool { return s.Name == name }) {
			missing = append(missing, name)
		}
	}
	retired, err := h.store.ScopesByName(ctx, missing)
	if err != nil {
		return nil, err
	}
	state := map[string]string{}
	for _, r := range requests {
		if r.Status != models.RequestApproved && !slices.Contains(client.Scopes, r.Scope) {
			state[r.Scope] = r.Status
		}
	}
	names, err := h.apiNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]shared.ScopeOption, 0, len(active)+len(retired))
	for _, s := range append(active, retired...) {
		o := shared.ScopeOption{Name: s.Name, Description: s.Description, Sensitive: s.Sensitive, Retired: s.RetiredAt != nil, Request: state[s.Name],
			Standard: slices.Contains(models.StandardScopes, s.Name), API: names.of(s)}
		if checked != nil {
			o.Checked = slices.Contains(checked, s.Name)
		} else {
			o.Checked = slices.Contains(client.Scopes, s.Name) || o.Request == models.RequestPending
		}
		out = append(out, o)
	}
	return standardFirst(out), nil
}

// standardFirst orders scope options as the forms group them: the OpenID Connect scopes first,
// in their usual order (openid, profile, email, offline_access), then the rest as they came.
func standardFirst(opts []shared.ScopeOption) []shared.ScopeOption {
	slices.SortStableFunc(opts, func(a, b shared.ScopeOption) int {
		return standardRank(a.Name) - standardRank(b.Name)
	})
	return opts
}

func standardRank(name string) int {
	if i := slices.Index(models.StandardScopes, name); i >= 0 {
		return i
	}
	return len(models.StandardScopes)
}

// idTokenAlgOptions are the choices of the ID Token algorithm select: the default, then the others.
func idTokenAlgOptions() []apps.AlgOption {
	out := []apps.AlgOption{{Value: "", Label: "RS256 (default)"}}
	for _, alg := range oauth.IDTokenAlgs {
		out = append(out, apps.AlgOption{Value: alg, Label: alg})
	}
	return out
}

// openIDPanel is what a developer configures in an OpenID Connect library to sign people in with
// this application (OIDC Discovery §4): the issuer, its discovery document and the scopes to ask.
func (h *Handlers) openIDPanel(client *models.Client) *apps.OpenIDPanel {
	p := &apps.OpenIDPanel{Issuer: h.issuer, DiscoveryURL: h.issuer + "/.well-known/openid-configuration",
		Enabled: slices.Contains(client.Scopes, "openid")}
	for _, sc := range models.StandardScopes {
		if sc == "openid" || slices.Contains(client.Scopes, sc) {
			p.Scopes = append(p.Scopes, sc)
		}
	}
	return p
}

// scopeOptions lists the active catalog as checkboxes, checking those named.
func (h *Handlers) scopeOptions(ctx context.Context, checked []string) ([]shared.ScopeOption, error) {
	scopes, err := h.store.ActiveScopes(ctx)
	if err != nil {
		return nil, err
	}
	names, err := h.apiNames(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]shared.ScopeOption, len(scopes))
	for i, s := range scopes {
		out[i] = shared.ScopeOption{Name: s.Name, Description: s.Description, Sensitive: s.Sensitive, Checked: slices.Contains(checked, s.Name),
			Standard: slices.Contains(models.StandardScopes, s.Name), API: names.of(s)}
	}
	return standardFirst(out), nil
}

// lines splits a textarea into its lines, whatever the browser's line endings.
func lines(text string) []string {
	return strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
}

func isoTime(t time.Time) string   { return t.UTC().Format(time.RFC3339) }
func humanTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

// appLinks are the pages of the application id.
func (h *Handlers) appLinks(id string) apps.AppLinks {
	return apps.AppLinks{
		Overview: h.url(RouteApp, id), Activity: h.url(RouteAppActivity, id),
		Rotate: h.url(RouteRotateSecret, id), Delete: h.url(RouteDeleteApp, id),
	}
}
