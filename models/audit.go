package models

import (
	"context"
	"slices"
	"time"
)

// Audit event types: the security-relevant things an admin may need to reconstruct.
const (
	AuditSignup           = "user.signup"
	AuditLogin            = "user.login"
	AuditLogout           = "user.logout" // RP-initiated logout (the detail names the application)
	AuditLoginFailed      = "user.login_failed"
	AuditLoginThrottled   = "user.login_throttled"
	AuditSignupThrottled  = "user.signup_throttled"
	AuditPasswordChanged  = "user.password_changed"
	AuditProfileChanged   = "user.profile_changed"
	AuditSessionsEnded    = "user.sessions_ended"
	AuditSessionEnded     = "user.session_ended" // one session, from the security page
	AuditPasskeyAdded     = "passkey.added"
	AuditPasskeyRemoved   = "passkey.removed"
	AuditUserDisabled     = "user.disabled"
	AuditUserEnabled      = "user.enabled"
	AuditAdminGranted     = "admin.granted"
	AuditAdminRemoved     = "admin.removed"
	AuditAppCreated       = "app.created"
	AuditAppUpdated       = "app.updated"
	AuditAppDeleted       = "app.deleted"
	AuditSecretCreated    = "secret.created"
	AuditSecretRetired    = "secret.retired"
	AuditConsentGranted   = "consent.granted"
	AuditConsentRevoked   = "consent.revoked"
	AuditClientSuspended  = "client.suspended"
	AuditClientReinstated = "client.reinstated"
	AuditClientRevoked    = "client.revoked"
	AuditIntrospectOn     = "client.introspection_granted"
	AuditIntrospectOff    = "client.introspection_removed"
	AuditScopeCreated     = "scope.created"
	AuditScopeUpdated     = "scope.updated"
	AuditScopeRetired     = "scope.retired"
	AuditScopeApproved    = "scope_request.approved"
	AuditScopeRejected    = "scope_request.rejected"
	AuditAPICreated       = "api.created"
	AuditAPIUpdated       = "api.updated"
	AuditAPIDeleted       = "api.deleted"
	// Two-factor authentication (TOTP): turned on or off by the person, recovery codes
	// replaced, and an administrator's reset of someone's second factor.
	AuditTOTPEnabled        = "user.totp_enabled"
	AuditTOTPDisabled       = "user.totp_disabled"
	AuditRecoveryCodesReset = "user.recovery_codes_regenerated"
	AuditTwoFactorReset     = "user.two_factor_reset"
	// Mailed links: email verification and change, password reset (issue #11).
	AuditSignupExisting     = "user.signup_existing_email" // a sign-up with a registered address
	AuditEmailVerified      = "user.email_verified"
	AuditEmailChangeAsked   = "user.email_change_requested"
	AuditEmailChanged       = "user.email_changed"
	AuditPasswordResetAsked = "user.password_reset_requested"
	AuditPasswordReset      = "user.password_reset"
	AuditPasswordResetSent  = "admin.password_reset_sent"
	AuditLoginUnlocked      = "admin.login_unlocked"
	AuditPublisherVerified  = "admin.publisher_verified"
	AuditPublisherRemoved   = "admin.publisher_unverified"
	// Protocol defences that fired (RFC 9700 §4.14.2 refresh reuse, RFC 6749 §4.1.2 code
	// replay): the grant was revoked. The admin overview lists them as security events.
	AuditRefreshReused = "token.refresh_reused"
	AuditCodeReplayed  = "token.code_replayed"
	// A developer's application asked for sensitive scopes an administrator must approve (a
	// new request, or one asked again after a rejection); the detail lists the scopes.
	AuditScopeRequested = "scope_request.created"
	// Operator commands (cmd/devportal); their actor is "cli" or "cli:<OS user>".
	AuditUserCreated = "user.created"    // devportal users create
	AuditKeyRotated  = "key.rotated"     // devportal keys rotate [--now]: one entry per new key
	AuditKeyRetired  = "key.retired"     // devportal keys retire KID
	AuditPurged      = "data.purged"     // devportal purge: the counts of what it deleted
	AuditMigrated    = "schema.migrated" // migrations the command applied, by version
	// Device sign-ins (RFC 8628) decided on /device, targeting the client; the detail lists
	// the scopes. Wrong user codes past the throttle are audited once per window.
	AuditDeviceApproved  = "device.approved"
	AuditDeviceDenied    = "device.denied"
	AuditDeviceThrottled = "device.code_throttled"
	// Dynamic Client Registration (RFC 7591/7592, models/dcr.go): a client registered itself
	// (the detail names the policy; the entry the IP), updated or deleted its registration, or
	// was deleted by the purge for never obtaining a token; and initial access tokens.
	AuditClientRegistered    = "client.registered_dynamically"
	AuditClientRegUpdated    = "client.registration_updated"
	AuditClientRegDeleted    = "client.registration_deleted"
	AuditClientExpiredUnused = "client.expired_unused"
	AuditRegTokenCreated     = "registration_token.created"
	AuditRegTokenRevoked     = "registration_token.revoked"
)

// SecurityAuditTypes are the events the admin overview shows as "recent security events".
var SecurityAuditTypes = []string{
	AuditRefreshReused, AuditCodeReplayed, AuditLoginThrottled, AuditSignupThrottled,
	AuditClientSuspended, AuditClientRevoked, AuditAdminGranted, AuditTwoFactorReset,
	AuditDeviceThrottled,
}

// AuditTypes lists every type, for filters.
var AuditTypes = []string{
	AuditSignup, AuditLogin, AuditLogout, AuditLoginFailed, AuditLoginThrottled, AuditSignupThrottled, AuditPasswordChanged, AuditProfileChanged, AuditSessionsEnded, AuditSessionEnded, AuditPasskeyAdded, AuditPasskeyRemoved, AuditUserDisabled, AuditUserEnabled,
	AuditAdminGranted, AuditAdminRemoved, AuditAppCreated, AuditAppUpdated, AuditAppDeleted, AuditSecretCreated, AuditSecretRetired,
	AuditConsentGranted, AuditConsentRevoked, AuditClientSuspended, AuditClientReinstated, AuditClientRevoked, AuditIntrospectOn, AuditIntrospectOff,
	AuditScopeCreated, AuditScopeUpdated, AuditScopeRetired, AuditScopeApproved, AuditScopeRejected,
	AuditAPICreated, AuditAPIUpdated, AuditAPIDeleted,
	AuditTOTPEnabled, AuditTOTPDisabled, AuditRecoveryCodesReset, AuditTwoFactorReset,
	AuditSignupExisting, AuditEmailVerified, AuditEmailChangeAsked, AuditEmailChanged, AuditPasswordResetAsked, AuditPasswordReset,
	AuditPasswordResetSent, AuditLoginUnlocked, AuditPublisherVerified, AuditPublisherRemoved,
	AuditRefreshReused, AuditCodeReplayed, AuditScopeRequested,
	AuditUserCreated, AuditKeyRotated, AuditKeyRetired, AuditPurged, AuditMigrated,
	AuditDeviceApproved, AuditDeviceDenied, AuditDeviceThrottled,
	AuditMetadataClientSeen, AuditHostBlocked, AuditHostUnblocked,
	AuditClientRegistered, AuditClientRegUpdated, AuditClientRegDeleted, AuditClientExpiredUnused,
	AuditRegTokenCreated, AuditRegTokenRevoked,
}

// AuditEvent is one entry of the append-only security log. The store offers no way to change or
// delete one, except the purge once it is older than the audit retention (DEVPORTAL_RETAIN_AUDIT).
type AuditEvent struct {
	ID        int64
	Type      string
	ActorID   *int64
	Actor     string // the actor's email (or client id) at the time
	Target    string // what was acted on: an email, a client id, a scope
	IP        string
	Detail    string
	CreatedAt time.Time
}

// Audit appends an event.
func (s *Store) Audit(ctx context.Context, e *AuditEvent) error {
	e.ID = 0
	return s.q(ctx).Create(e).Error
}

// AuditActor is who did what the store records on its own, inside the transaction of the change
// (a scope request filed by an application edit), so the record cannot be lost: the layer that
// knows (a request's signed-in user and address, the command line) puts it in the context.
type AuditActor struct {
	ID   *int64
	Name string // an email, a client id, or "cli:<OS user>"
	IP   string
}

type auditActorKey struct{}

// WithAuditActor returns ctx carrying a as the actor of the audit entries store calls write.
func WithAuditActor(ctx context.Context, a AuditActor) context.Context {
	return context.WithValue(ctx, auditActorKey{}, a)
}

// AuditActorOf returns the actor WithAuditActor put in ctx (zero if none: an entry by nobody
// known is still written).
func AuditActorOf(ctx context.Context) AuditActor {
	a, _ := ctx.Value(auditActorKey{}).(AuditActor)
	return a
}

// auditAs appends an event done by ctx's actor, in s's transaction when s is one.
func (s *Store) auditAs(ctx context.Context, typ, target, detail string) error {
	a := AuditActorOf(ctx)
	return s.Audit(ctx, &AuditEvent{Type: typ, ActorID: a.ID, Actor: a.Name, IP: a.IP, Target: target, Detail: detail})
}

// AuditFilter selects audit events. Before and After are keyset cursors (at most one is set):
// only events with a smaller id (older), or a larger one (newer).
type AuditFilter struct {
	Actor, Target, Type string
	Before, After       int64
	Limit               int
}

// AuditEvents lists events newest first. Every combination of filters is read in id order from
// an index that starts with the filtered columns (migrations 0018 and 0019), except actor and
// target together, read from the target's index. An After page is read oldest first from the
// cursor and returned newest first, so it too stops after Limit index entries.
func (s *Store) AuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	q := s.q(ctx).Model(&AuditEvent{})
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if f.Target != "" {
		q = q.Where("target = ?", f.Target)
	}
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var out []AuditEvent
	switch {
	case f.Before > 0:
		q = q.Where("id < ?", f.Before).Order("id DESC")
	case f.After > 0:
		q = q.Where("id > ?", f.After).Order("id")
	default:
		q = q.Order("id DESC")
	}
	if err := q.Limit(f.Limit).Find(&out).Error; err != nil {
		return nil, err
	}
	if f.After > 0 {
		slices.Reverse(out)
	}
	return out, nil
}
