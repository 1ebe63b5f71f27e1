// Package handlers holds devportal's thin Echo adapters: each parses a request once into a plain
// struct, calls the store or the protocol core, and renders a page or writes JSON.
package handlers

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/mail"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/templates/layout"
)

// Cookie names. The session cookie holds a random token whose SHA-256 keys the sessions table.
const (
	SessionCookie = "devportal_session"
	FlashCookie   = "devportal_flash"
)

// Handlers carries what every handler needs.
type Handlers struct {
	store         *models.Store
	oauth         *oauth.Server
	issuer        string
	version       string
	sessionTTL    time.Duration
	secureCookies bool
	flashKey      []byte
	paths         map[string]string
	urlFor        func(name string, params ...any) string
	// links are the pages' fixed destinations, built once: the route table is complete by the
	// first request.
	links func() layout.Links
	// render writes a page as an HTML response: web's render helper (Options.Render).
	render func(c echo.Context, status int, page templ.Component) error
	now    func() time.Time
	mail   Mailer
	// passkeys is the WebAuthn relying party of the issuer; nil when its host is an IP literal,
	// which browsers refuse as an RP ID.
	passkeys *webauthn.WebAuthn
	// totpKey seals TOTP secrets at rest; pendingKey signs the pending-login cookie between
	// the password and the second factor.
	totpKey, pendingKey []byte
	// revealKey seals the one-time reveals of new secrets between a POST and the page it
	// redirects to.
	revealKey []byte
	// requireAdmin2FA: administrators must use a second factor (DEVPORTAL_REQUIRE_ADMIN_2FA).
	requireAdmin2FA bool
	// brand names and colours the frame and the mails; brandCSS is the stylesheet of its accent.
	brand    layout.Brand
	brandCSS []byte
	// dcr is the dynamic client registration policy (models.DCROff, DCRToken or DCROpen).
	dcr string
}

// Options configures New.
type Options struct {
	Issuer        string
	Version       string
	SessionTTL    time.Duration
	SecureCookies bool              // set Secure on cookies: the issuer is https
	Paths         map[string]string // protocol endpoint paths by name, from the route table
	// FlashKey signs the flash cookie; derive it from the server secret so every instance
	// accepts the others' flashes. Empty: a random key, good for this process only.
	FlashKey []byte
	// TOTPKey seals TOTP secrets in the database and PendingLoginKey signs the cookie of a login
	// waiting for its second factor; derive both from the server secret (every instance must
	// open the others' secrets and cookies). Empty: random keys, good for this process only.
	TOTPKey, PendingLoginKey []byte
	// RevealKey seals a secret a POST made (a client secret, recovery codes) until the page it
	// redirects to shows it once; derive it from the server secret. Empty: a random key.
	RevealKey []byte
	// RequireAdmin2FA keeps administrators without a second factor out of the admin pages.
	RequireAdmin2FA bool
	// URL builds the path of a named route (see RouteNames) from the route table, with params
	// in place of its :parameters; it returns "" for a name that is not routed.
	URL func(name string, params ...any) string
	// Render writes a templ component as an HTML response with the given status; web passes its
	// render helper. Unset, every page fails with errNoRender.
	Render func(c echo.Context, status int, page templ.Component) error
	// Now is the clock; nil means the system clock.
	Now func() time.Time
	// Mail queues the portal's mail (the outbox, models/mail); nil refuses to send any.
	Mail Mailer
	// Brand is the operator's product name, logo and accent (Name "" means "devportal");
	// BrandCSS is the stylesheet that sets the accent, served at RouteBrandCSS and linked from
	// every page when Brand.CSS is set.
	Brand    layout.Brand
	BrandCSS []byte
	// DCR is the dynamic client registration policy (DEVPORTAL_DCR); "" means models.DCROff.
	// Off, /oauth/register answers 404 and the metadata leave out registration_endpoint.
	DCR string
}

// Mailer queues a mail, in tx when that is not nil (sent only if tx commits).
type Mailer interface {
	Enqueue(ctx context.Context, tx *models.Store, m mail.Message) error
}

// ErrNoMail is what sending answers when the server was built without a Mailer.
var ErrNoMail = errors.New("handlers: Options.Mail is not set")

type noMail struct{}

func (noMail) Enqueue(context.Context, *models.Store, mail.Message) error { return ErrNoMail }

// errNoRender is what pages answer when New was given no Options.Render.
var errNoRender = errors.New("handlers: Options.Render is not set")

// New builds the handlers.
func New(store *models.Store, srv *oauth.Server, o Options) *Handlers {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 7 * 24 * time.Hour
	}
	if len(o.FlashKey) == 0 {
		o.FlashKey = make([]byte, 32)
		rand.Read(o.FlashKey)
	}
	for _, k := range []*[]byte{&o.TOTPKey, &o.PendingLoginKey, &o.RevealKey} {
		if len(*k) == 0 {
			*k = make([]byte, 32)
			rand.Read(*k)
		}
	}
	h := &Handlers{store: store, oauth: srv, issuer: o.Issuer, version: o.Version, sessionTTL: o.SessionTTL, secureCookies: o.SecureCookies, flashKey: o.FlashKey, paths: o.Paths, urlFor: o.URL, render: o.Render, now: o.Now, mail: o.Mail}
	h.totpKey, h.pendingKey, h.requireAdmin2FA = o.TOTPKey, o.PendingLoginKey, o.RequireAdmin2FA
	h.revealKey = o.RevealKey
	h.brand, h.brandCSS = o.Brand, o.BrandCSS
	h.dcr = o.DCR
	if h.dcr == "" {
		h.dcr = models.DCROff
	}
	if _, ok := h.paths["registration"]; ok && h.dcr == models.DCROff {
		// The metadata advertise what is served: without registration, no registration path.
		paths := make(map[string]string, len(h.paths))
		for k, v := range h.paths {
			if k != "registration" {
				paths[k] = v
			}
		}
		h.paths = paths
	}
	if h.brand.Name == "" {
		h.brand.Name = "devportal"
	}
	if h.mail == nil {
		h.mail = noMail{}
	}
	if h.now == nil {
		h.now = func() time.Time { return time.Now().UTC() }
	}
	h.passkeys = newRelyingParty(o.Issuer)
	if h.render == nil {
		h.render = func(echo.Context, int, templ.Component) error { return errNoRender }
	}
	h.links = sync.OnceValue(func() layout.Links {
		return layout.Links{
			Home: h.url(RouteHome), Login: h.url(RouteLogin), Signup: h.url(RouteSignup), Logout: h.url(RouteLogout),
			Docs: h.url(RouteDocs), Guide: h.url(RouteGuide), APIReference: h.url(RouteAPIReference),
			OAuthReference: h.url(RouteOAuthReference), OpenAPI: h.url(RouteOpenAPI), OIDCGuide: h.url(RouteOIDCGuide),
			Apps: h.url(RouteApps), NewApp: h.url(RouteNewApp),
			Account: h.url(RouteAccount), AuthorizedApps: h.url(RouteAuthorizedApps), Security: h.url(RouteSecurity),
			ChangePassword: h.url(RouteChangePassword), SignOutEverywhere: h.url(RouteSignOutAll),
			AdminClients: h.url(RouteAdminClients), AdminScopes: h.url(RouteAdminScopes),
			AdminUsers: h.url(RouteAdminUsers), AdminAudit: h.url(RouteAdminAudit), AdminClientHosts: h.url(RouteAdminClientHosts),
			ForgotPassword: h.url(RouteForgotPassword),
			AdminOverview:  h.url(RouteAdmin),
			AdminAPIs:      h.url(RouteAdminAPIs),

			AdminRegistrationTokens: h.url(RouteAdminRegTokens),
		}
	})
	return h
}

// base is the frame data of every page: who is signed in, the CSRF token, pending flashes.
func (h *Handlers) base(c echo.Context, title, nav string) layout.Base {
	b := layout.Base{Title: title, Nav: nav, Version: h.version, Brand: h.brand, CSRF: CSRFToken(c), Flashes: h.takeFlashes(c), Links: h.links()}
	if u := CurrentUser(c); u != nil {
		b.User = &layout.User{Email: u.Email, IsAdmin: u.IsAdmin}
	}
	return b
}

func (h *Handlers) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: h.secureCookies, SameSite: http.SameSiteLaxMode}
}

// seeOther redirects after a form post, so reloading the next page does not resend the form.
func seeOther(c echo.Context, to string) error { return c.Redirect(http.StatusSeeOther, to) }
