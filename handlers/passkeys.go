package handlers

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/templates/pages/account"
	"github.com/devportal/devportal/templates/pages/auth"
	"github.com/devportal/devportal/templates/pages/shared"
)

// PasskeyCookie holds the token of the WebAuthn ceremony the browser is in the middle of; the
// ceremony itself (its challenge) is in the database, so any instance can finish it.
const PasskeyCookie = "devportal_webauthn"

// passkeyCeremonyTTL is how long a begun ceremony may take to finish: the WebAuthn timeout
// the browser is given (webauthn's default, 5 minutes) plus a little.
const passkeyCeremonyTTL = 6 * time.Minute

// Kinds of ceremony: a token begun for one never finishes another.
const (
	ceremonyRegister     = "register"
	ceremonyLogin        = "login"
	ceremonySecondFactor = "second-factor"
)

var errPasskeysOff = &models.Error{Code: models.EInvalid, Message: "Passkeys are not available on this server: its address (the issuer) must be a domain name such as localhost, not an IP address."}

// newRelyingParty is the WebAuthn relying party of issuer: its host is the RP ID and its origin
// the only origin accepted (WebAuthn §5.1.3). nil when the issuer cannot be one (an IP literal,
// which browsers refuse as an RP ID).
func newRelyingParty(issuer string) *webauthn.WebAuthn {
	u, err := url.Parse(issuer)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	host := u.Hostname()
	if strings.Trim(host, "0123456789.") == "" || strings.Contains(host, ":") {
		return nil
	}
	w, err := webauthn.New(&webauthn.Config{RPID: host, RPDisplayName: "devportal", RPOrigins: []string{u.Scheme + "://" + u.Host}})
	if err != nil {
		return nil
	}
	return w
}

// passkeyUser is an account as WebAuthn sees it. Its user handle is the account's subject:
// random and opaque, so an authenticator learns neither the email nor the row number.
type passkeyUser struct {
	u    *models.User
	keys []models.Passkey
}

func (p passkeyUser) WebAuthnID() []byte          { return []byte(p.u.Subject) }
func (p passkeyUser) WebAuthnName() string        { return p.u.Email }
func (p passkeyUser) WebAuthnDisplayName() string { return cmp.Or(p.u.DisplayName, p.u.Email) }
func (p passkeyUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(p.keys))
	for _, k := range p.keys {
		var transports []protocol.AuthenticatorTransport
		for _, t := range strings.Split(k.Transports, ",") {
			if t != "" {
				transports = append(transports, protocol.AuthenticatorTransport(t))
			}
		}
		out = append(out, webauthn.Credential{
			ID: k.CredentialID, PublicKey: k.PublicKey, AttestationType: k.AttestationType, AttestationFormat: k.AttestationFormat,
			Transport: transports, Flags: webauthn.NewCredentialFlags(protocol.AuthenticatorFlags(k.Flags)),
			Authenticator: webauthn.Authenticator{AAGUID: k.AAGUID, SignCount: uint32(k.SignCount)},
		})
	}
	return out
}

// passkeyOf is the stored passkey whose credential id is id.
func (p passkeyUser) passkeyOf(id []byte) *models.Passkey {
	for i := range p.keys {
		if string(p.keys[i].CredentialID) == string(id) {
			return &p.keys[i]
		}
	}
	return nil
}

func (h *Handlers) loadPasskeyUser(c echo.Context, u *models.User) (passkeyUser, error) {
	keys, err := h.store.UserPasskeys(c.Request().Context(), u.ID)
	return passkeyUser{u: u, keys: keys}, err
}

// passkeyAMR is what a verified assertion proves, as RFC 8176 §2 amr values: "hwk", proof of
// possession of a key held by an authenticator; "user", the user-presence test every assertion
// passes (the UP flag, which the library requires). When the authenticator also verified the
// user (the UV flag: a PIN or biometric unlocked the key), the one gesture was two factors,
// possession and knowledge or inherence, so it adds "mfa" too.
func passkeyAMR(flags protocol.AuthenticatorFlags) []string {
	amr := []string{"hwk", "user"}
	if flags.HasUserVerified() {
		amr = append(amr, "mfa")
	}
	return amr
}

// beginCeremony stores a ceremony's session data and hands the browser its token.
func (h *Handlers) beginCeremony(c echo.Context, kind string, userID int64, s *webauthn.SessionData) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	token, err := h.store.BeginWebAuthn(c.Request().Context(), kind, userID, string(data), passkeyCeremonyTTL, h.now())
	if err != nil {
		return err
	}
	ck := h.cookie(PasskeyCookie, token, int(passkeyCeremonyTTL.Seconds()))
	ck.SameSite = http.SameSiteStrictMode
	c.SetCookie(ck)
	return nil
}

// errCeremony is every way a ceremony's state can be missing: never begun, finished already,
// expired, or begun for something else.
var errCeremony = &models.Error{Code: models.EInvalid, Message: "That passkey request has expired or was already used. Try again."}

// takeCeremony consumes the browser's ceremony (whatever happens next, it cannot be replayed)
// and returns the user it was begun for (0: nobody) and its session data.
func (h *Handlers) takeCeremony(c echo.Context, kind string) (int64, webauthn.SessionData, error) {
	var s webauthn.SessionData
	ck, err := c.Cookie(PasskeyCookie)
	if err != nil || ck.Value == "" {
		return 0, s, errCeremony
	}
	c.SetCookie(h.cookie(PasskeyCookie, "", -1))
	userID, data, err := h.store.TakeWebAuthn(c.Request().Context(), ck.Value, kind, h.now())
	if errors.Is(err, models.ErrNotFound) {
		return 0, s, errCeremony
	}
	if err != nil {
		return 0, s, err
	}
	if err := json.Unmarshal([]byte(data), &s); err != nil {
		return 0, s, err
	}
	return userID, s, nil
}

// takeOwnCeremony is takeCeremony for a ceremony that must have been begun by u: one begun by
// another account (a planted cookie) is refused like a missing one.
func (h *Handlers) takeOwnCeremony(c echo.Context, kind string, u *models.User) (webauthn.SessionData, error) {
	userID, s, err := h.takeCeremony(c, kind)
	if err == nil && userID != u.ID {
		err = errCeremony
	}
	return s, err
}

// passkeyFailed is the message for a credential the relying party refused: a person can do
// nothing with the library's detail, which the audit log keeps instead.
const passkeyFailed = "That passkey could not be verified. Try again, or use another way to sign in."

// BeginPasskeyRegistration answers the options for navigator.credentials.create (JSON): a
// discoverable credential (resident key required, so it can sign in without an email), user
// verification preferred, the account's passkeys excluded so one authenticator registers once.
func (h *Handlers) BeginPasskeyRegistration(c echo.Context) error {
	if h.passkeys == nil {
		return errPasskeysOff
	}
	pu, err := h.loadPasskeyUser(c, CurrentUser(c))
	if err != nil {
		return err
	}
	if len(pu.keys) >= models.MaxPasskeysPerUser {
		return models.ErrTooManyPasskeys
	}
	required := true
	creation, s, err := h.passkeys.BeginRegistration(pu,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: &required,
			UserVerification: protocol.VerificationPreferred,
		}),
		webauthn.WithExclusions(webauthn.Credentials(pu.WebAuthnCredentials()).CredentialDescriptors()),
	)
	if err != nil {
		return err
	}
	if err := h.beginCeremony(c, ceremonyRegister, pu.u.ID, s); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, creation)
}

// FinishPasskeyRegistration verifies the new credential (form field "credential", the
// PublicKeyCredential as JSON) against the ceremony this browser began for this account, stores
// it and goes back to the security page.
func (h *Handlers) FinishPasskeyRegistration(c echo.Context) error {
	if h.passkeys == nil {
		return errPasskeysOff
	}
	u := CurrentUser(c)
	s, err := h.takeOwnCeremony(c, ceremonyRegister, u)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(c.FormValue("credential")))
	if err != nil {
		return &models.Error{Code: models.EInvalid, Message: "The browser's answer was not a passkey. Try again."}
	}
	pu, err := h.loadPasskeyUser(c, u)
	if err != nil {
		return err
	}
	cred, err := h.passkeys.CreateCredential(pu, s, parsed)
	if err != nil {
		return &models.Error{Code: models.EInvalid, Message: "That passkey could not be added: " + passkeyError(err)}
	}
	var transports []string
	for _, t := range cred.Transport {
		transports = append(transports, string(t))
	}
	p := &models.Passkey{
		UserID: u.ID, CredentialID: cred.ID, PublicKey: cred.PublicKey, SignCount: int64(cred.Authenticator.SignCount),
		Transports: strings.Join(transports, ","), AAGUID: cred.Authenticator.AAGUID, Flags: int(cred.Flags.ProtocolValue()),
		AttestationType: cred.AttestationType, AttestationFormat: cred.AttestationFormat,
		Name: truncate("Passkey on "+DeviceName(c.Request().UserAgent()), models.MaxPasskeyName), CreatedAt: h.now(),
	}
	if err := h.store.AddPasskey(c.Request().Context(), p); err != nil {
		return models.Reword(err, models.ErrDuplicate, "That passkey is already registered.")
	}
	h.audit(c, models.AuditPasskeyAdded, u.Email, p.Name)
	h.notifyAccount(c, u, "A passkey was added to your account", "A new passkey was added to your devportal account", "The passkey "+p.Name+" can now sign in to your account.")
	h.flash(c, "success", "Passkey added. You can sign in with it from now on.")
	return seeOther(c, h.url(RouteSecurity))
}

// passkeyError is the library's description of a refused credential, which names the failed
// check ("Error validating challenge") without any secret.
func passkeyError(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Details != "" {
		return pe.Details + "."
	}
	return "it was refused."
}

// BeginPasskeyLogin answers the options for navigator.credentials.get (JSON) for a
// discoverable login: no email asked, the authenticator offers the passkeys it holds for this
// site.
func (h *Handlers) BeginPasskeyLogin(c echo.Context) error {
	if h.passkeys == nil {
		return errPasskeysOff
	}
	assertion, s, err := h.passkeys.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return err
	}
	if err := h.beginCeremony(c, ceremonyLogin, 0, s); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, assertion)
}

// FinishPasskeyLogin verifies the assertion (form field "credential") of a discoverable login,
// finds the account by the user handle, and signs it in like a password would (completeLogin),
// going on to next. A failure shows the login page again with what went wrong.
func (h *Handlers) FinishPasskeyLogin(c echo.Context) error {
	next := safeNext(c.FormValue("next"))
	show := func(status int, msg string) error {
		return h.render(c, status, auth.Login(auth.LoginView{Base: h.base(c, "Log in", ""), Next: next, Error: msg}))
	}
	if h.passkeys == nil {
		return show(http.StatusBadRequest, errPasskeysOff.Message)
	}
	_, s, err := h.takeCeremony(c, ceremonyLogin)
	if errors.Is(err, errCeremony) {
		return show(http.StatusBadRequest, errCeremony.Message)
	}
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(c.FormValue("credential")))
	if err != nil {
		return show(http.StatusBadRequest, "The browser's answer was not a passkey. Try again.")
	}
	var pu passkeyUser
	handler := func(_, userHandle []byte) (webauthn.User, error) {
		u, err := h.store.UserBySubject(c.Request().Context(), string(userHandle))
		if err != nil {
			return nil, err
		}
		if pu, err = h.loadPasskeyUser(c, u); err != nil {
			return nil, err
		}
		return pu, nil
	}
	_, cred, err := h.passkeys.ValidatePasskeyLogin(handler, s, parsed)
	if err != nil {
		if pu.u != nil {
			h.auditEvent(c, &models.AuditEvent{Type: models.AuditLoginFailed, Actor: pu.u.Email, Target: pu.u.Email, IP: c.RealIP(), Detail: "passkey: " + err.Error()})
		}
		return show(http.StatusUnauthorized, passkeyFailed)
	}
	u := pu.u
	if u.DisabledAt != nil {
		h.auditEvent(c, &models.AuditEvent{Type: models.AuditLoginFailed, Actor: u.Email, Target: u.Email, IP: c.RealIP(), Detail: "passkey: " + models.ErrDisabled.Error()})
		return show(http.StatusUnauthorized, "This account has been disabled. Contact an administrator.")
	}
	if err := h.usePasskey(c, pu, cred); err != nil {
		if errors.Is(err, models.ErrSignCount) {
			h.auditEvent(c, &models.AuditEvent{Type: models.AuditLoginFailed, Actor: u.Email, Target: u.Email, IP: c.RealIP(), Detail: "passkey: signature counter did not increase"})
			return show(http.StatusUnauthorized, models.ErrSignCount.Message)
		}
		return err
	}
	return h.completeLogin(c, u, next, passkeyAMR(parsed.Response.AuthenticatorData.Flags)...)
}

// usePasskey records a verified assertion: the signature counter must have grown (WebAuthn
// §7.2 step 21), checked by the library against what it was given and again in the store's
// UPDATE, so two racing uses of one assertion cannot both pass.
func (h *Handlers) usePasskey(c echo.Context, pu passkeyUser, cred *webauthn.Credential) error {
	p := pu.passkeyOf(cred.ID)
	if p == nil {
		return errors.New("handlers: verified passkey not among the account's")
	}
	if cred.Authenticator.CloneWarning {
		return models.ErrSignCount
	}
	return h.store.UsePasskey(c.Request().Context(), p.ID, cred.Authenticator.SignCount, h.now())
}

// PendingUser is the account a second factor is being asked of, its password already checked
// (the verify step's state); an error when there is none.
type PendingUser func(c echo.Context) (*models.User, error)

// PasskeySecondFactorBegin answers the options for navigator.credentials.get (JSON) for one of
// the pending account's passkeys, as the second step of a password login.
func (h *Handlers) PasskeySecondFactorBegin(pending PendingUser) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h.passkeys == nil {
			return errPasskeysOff
		}
		u, err := pending(c)
		if err != nil {
			return err
		}
		pu, err := h.loadPasskeyUser(c, u)
		if err != nil {
			return err
		}
		if len(pu.keys) == 0 {
			return &models.Error{Code: models.EInvalid, Message: "This account has no passkey. Use your authentication code."}
		}
		assertion, s, err := h.passkeys.BeginLogin(pu, webauthn.WithUserVerification(protocol.VerificationPreferred))
		if err != nil {
			return err
		}
		if err := h.beginCeremony(c, ceremonySecondFactor, u.ID, s); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, assertion)
	}
}

// PasskeySecondFactorFinish verifies the assertion (form field "credential") against the
// ceremony begun for the same pending account and then calls done with the amr the passkey
// proved (passkeyAMR); done finishes the login (completeLogin with "pwd", these and "mfa").
// A failure is an EInvalid or EBadCredential error for the verify page to show.
func (h *Handlers) PasskeySecondFactorFinish(pending PendingUser, done func(c echo.Context, u *models.User, amr ...string) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h.passkeys == nil {
			return errPasskeysOff
		}
		u, err := pending(c)
		if err != nil {
			return err
		}
		s, err := h.takeOwnCeremony(c, ceremonySecondFactor, u)
		if err != nil {
			return err
		}
		parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(c.FormValue("credential")))
		if err != nil {
			return &models.Error{Code: models.EInvalid, Message: "The browser's answer was not a passkey. Try again."}
		}
		pu, err := h.loadPasskeyUser(c, u)
		if err != nil {
			return err
		}
		cred, err := h.passkeys.ValidateLogin(pu, s, parsed)
		if err != nil {
			h.auditEvent(c, &models.AuditEvent{Type: models.AuditLoginFailed, Actor: u.Email, Target: u.Email, IP: c.RealIP(), Detail: "passkey second factor: " + err.Error()})
			return models.ErrBadCredential.Describe(passkeyFailed)
		}
		if err := h.usePasskey(c, pu, cred); err != nil {
			return err
		}
		return done(c, u, passkeyAMR(parsed.Response.AuthenticatorData.Flags)...)
	}
}

// passkeysView is the passkeys section of the security page.
func (h *Handlers) passkeysView(c echo.Context) (account.PasskeysView, error) {
	v := account.PasskeysView{
		Available: h.passkeys != nil, BeginURL: h.url(RoutePasskeyBegin), FinishURL: h.url(RoutePasskeyFinish),
		Max: models.MaxPasskeysPerUser,
	}
	keys, err := h.store.UserPasskeys(c.Request().Context(), CurrentUser(c).ID)
	if err != nil {
		return v, err
	}
	for _, k := range keys {
		row := account.PasskeyRow{
			Name: k.Name, CreatedISO: isoTime(k.CreatedAt), Created: humanTime(k.CreatedAt),
			RenameURL: h.url(RouteRenamePasskey, k.ID), RemoveURL: h.url(RouteRemovePasskey, k.ID),
		}
		if k.LastUsedAt != nil {
			row.LastUsedISO, row.LastUsed = isoTime(*k.LastUsedAt), humanTime(*k.LastUsedAt)
		}
		v.Passkeys = append(v.Passkeys, row)
	}
	return v, nil
}

// ownPasskey is the signed-in person's passkey named by the :id parameter; another account's,
// or none, is 404.
func (h *Handlers) ownPasskey(c echo.Context) (*models.Passkey, error) {
	const gone = "That passkey does not exist, or was removed."
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, models.ErrNotFound.Describe(gone)
	}
	p, err := h.store.PasskeyOf(c.Request().Context(), CurrentUser(c).ID, id)
	return p, models.Reword(err, models.ErrNotFound, gone)
}

// RenamePasskeyPage is the form that renames one passkey.
func (h *Handlers) RenamePasskeyPage(c echo.Context) error {
	p, err := h.ownPasskey(c)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, account.RenamePasskey(account.RenamePasskeyView{
		Base: h.base(c, "Rename passkey", "account"), Name: p.Name, Action: h.url(RouteRenamePasskey, p.ID), Cancel: h.url(RouteSecurity),
	}))
}

// RenamePasskey saves a passkey's new name; a bad one shows the form again with the error.
func (h *Handlers) RenamePasskey(c echo.Context) error {
	p, err := h.ownPasskey(c)
	if err != nil {
		return err
	}
	name := c.FormValue("name")
	if err := h.store.RenamePasskey(c.Request().Context(), CurrentUser(c).ID, p.ID, name); err != nil {
		if !errors.Is(err, models.ErrInvalid) {
			return models.Reword(err, models.ErrNotFound, "That passkey does not exist, or was removed.")
		}
		return h.render(c, http.StatusUnprocessableEntity, account.RenamePasskey(account.RenamePasskeyView{
			Base: h.base(c, "Rename passkey", "account"), Name: truncate(name, 4*models.MaxPasskeyName), Error: models.ErrorMessage(err),
			Action: h.url(RouteRenamePasskey, p.ID), Cancel: h.url(RouteSecurity),
		}))
	}
	h.flash(c, "success", "Passkey renamed.")
	return seeOther(c, h.url(RouteSecurity))
}

// ConfirmRemovePasskey asks before removing a passkey.
func (h *Handlers) ConfirmRemovePasskey(c echo.Context) error {
	p, err := h.ownPasskey(c)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, shared.Confirm(shared.ConfirmView{
		Base: h.base(c, "Remove passkey", "account"), Heading: "Remove the passkey " + p.Name + "?",
		Message: "You will no longer be able to sign in with it. The authenticator may keep its copy; delete it there too.",
		Action:  h.url(RouteRemovePasskey, p.ID), Button: "Remove", Cancel: h.url(RouteSecurity),
	}))
}

// RemovePasskey deletes one of the signed-in person's passkeys.
func (h *Handlers) RemovePasskey(c echo.Context) error {
	p, err := h.ownPasskey(c)
	if err != nil {
		return err
	}
	if err := h.store.RemovePasskey(c.Request().Context(), CurrentUser(c).ID, p.ID); err != nil {
		return models.Reword(err, models.ErrNotFound, "That passkey does not exist, or was removed.")
	}
	h.audit(c, models.AuditPasskeyRemoved, CurrentUser(c).Email, p.Name)
	h.notifyAccount(c, CurrentUser(c), "A passkey was removed from your account", "A passkey was removed from your devportal account", "The passkey "+p.Name+" can no longer sign in to your account.")
	h.flash(c, "success", "Passkey removed.")
	return seeOther(c, h.url(RouteSecurity))
}
