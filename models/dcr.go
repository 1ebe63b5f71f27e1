package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Dynamic Client Registration policies (DEVPORTAL_DCR).
const (
	DCROff   = "off"   // no /oauth/register; the default
	DCRToken = "token" // registration needs an initial access token an administrator created
	DCROpen  = "open"  // anyone may register a public client, rate-limited per IP address
)

// UnusedDynamicClientTTL is how long a dynamically registered client may go without ever
// obtaining a token before the purge deletes it: long enough for someone to try a tool once a
// month, short enough that an open registration endpoint does not fill the clients table.
const UnusedDynamicClientTTL = 30 * 24 * time.Hour

// Bounds of an initial access token: how many registrations it allows and for how long.
const (
	MaxRegistrationTokenUses = 1000
	MinRegistrationTokenTTL  = time.Minute
	MaxRegistrationTokenTTL  = 365 * 24 * time.Hour
)

// The throttle of open registration: RegisterIPMax registrations per IP address per
// RegisterIPWindow. The window must not exceed attemptRetention, which bounds what the purge
// keeps of the attempts.
const (
	RegisterIPMax    = 20
	RegisterIPWindow = time.Hour
)

// ThrottleRegisterIP is the rule of open registrations per IP address.
const ThrottleRegisterIP = "register_ip"

const attemptRegister = "register"

// exprUsesLeftMinusOne spends one use in the UPDATE itself, never read-modify-write.
var exprUsesLeftMinusOne = gorm.Expr("uses_left - 1")

var registerPerIP = throttle{ThrottleRegisterIP, attemptRegister, "ip", RegisterIPMax, RegisterIPWindow}

// RevealRegistrationToken is the one-time reveal of a new initial access token; subject: its id.
const RevealRegistrationToken = "registration_token"

// ErrRegistrationTokenInvalid is an initial access token that is unknown, expired, revoked or
// used up; callers are told the same in every case.
var ErrRegistrationTokenInvalid = &Error{Code: EBadCredential, Message: "the initial access token is unknown, expired, revoked or used up"}

// RegistrationToken is an initial access token (RFC 7591 §3): an administrator's permission
// for up to Uses clients to register themselves before ExpiresAt. Only the SHA-256 of the
// token is kept.
type RegistrationToken struct {
	ID        string
	Hash      string `json:"-"`
	Hint      string // the last four characters, so people can tell tokens apart
	UsesLeft  int
	Uses      int
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}

// TableName is the registration_tokens table.
func (RegistrationToken) TableName() string { return "registration_tokens" }

// Status says whether the token still registers clients at now: "active", "revoked",
// "expired" or "used up".
func (t *RegistrationToken) Status(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case !now.Before(t.ExpiresAt):
		return "expired"
	case t.UsesLeft <= 0:
		return "used up"
	}
	return "active"
}

// ValidateRegistrationToken checks an initial access token's lifetime and number of uses.
func ValidateRegistrationToken(ttl time.Duration, uses int) error {
	switch {
	case ttl < MinRegistrationTokenTTL || ttl > MaxRegistrationTokenTTL:
		return ErrInvalid.Describe(fmt.Sprintf("Choose an expiry between 1m and %dh.", int(MaxRegistrationTokenTTL.Hours())))
	case uses < 1 || uses > MaxRegistrationTokenUses:
		return ErrInvalid.Describe(fmt.Sprintf("Choose from 1 to %d uses.", MaxRegistrationTokenUses))
	}
	return nil
}

// CreateRegistrationToken makes an initial access token valid for ttl from now and uses
// registrations, audited as ctx's actor in the same transaction. It returns the token in clear
// this once.
func (s *Store) CreateRegistrationToken(ctx context.Context, ttl time.Duration, uses int, now time.Time) (*RegistrationToken, string, error) {
	if err := ValidateRegistrationToken(ttl, uses); err != nil {
		return nil, "", err
	}
	token := NewToken("dpi_")
	now = now.UTC()
	t := &RegistrationToken{ID: NewID(8), Hash: HashToken(token), Hint: token[len(token)-4:], UsesLeft: uses, Uses: uses,
		CreatedBy: AuditActorOf(ctx).Name, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err := s.InTx(ctx, func(tx *Store) error {
		if err := tx.q(ctx).Create(t).Error; err != nil {
			return err
		}
		return tx.auditAs(ctx, AuditRegTokenCreated, t.ID, fmt.Sprintf("%d uses, expires %s", uses, t.ExpiresAt.Format(time.RFC3339)))
	})
	if err != nil {
		return nil, "", err
	}
	return t, token, nil
}

// RegistrationTokens lists the newest limit initial access tokens, newest first.
func (s *Store) RegistrationTokens(ctx context.Context, limit int) ([]RegistrationToken, error) {
	var out []RegistrationToken
	err := s.q(ctx).Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, err
}

// RegistrationTokenByID reads one initial access token.
func (s *Store) RegistrationTokenByID(ctx context.Context, id string) (*RegistrationToken, error) {
	var t RegistrationToken
	if err := s.q(ctx).Where("id = ?", id).Take(&t).Error; err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// RevokeRegistrationToken stops an initial access token from registering any more clients;
// the clients it registered stay. Audited as ctx's actor.
func (s *Store) RevokeRegistrationToken(ctx context.Context, id string, now time.Time) error {
	return s.InTx(ctx, func(tx *Store) error {
		res := tx.q(ctx).Model(&RegistrationToken{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", now.UTC())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return tx.auditAs(ctx, AuditRegTokenRevoked, id, "")
	})
}

// ReserveRegistration counts an open registration from ip against RegisterIPMax per
// RegisterIPWindow; a *ThrottleError refuses it. The counts are in the database, so every
// instance shares them.
func (s *Store) ReserveRegistration(ctx context.Context, ip string) error {
	_, err := s.reserve(ctx, &LoginAttempt{Kind: attemptRegister, IP: ip}, registerPerIP)
	return err
}

// DynamicRegistration is a client that registers itself, as models/oauth validated it.
type DynamicRegistration struct {
	Client NewClient
	// Links shown on the consent page (RFC 7591 logo_uri, client_uri, policy_uri, tos_uri).
	LogoURL, HomepageURL, PrivacyURL, TermsURL string
	TokenEndpointAuthMethod                    string
	// Policy is the DEVPORTAL_DCR policy in force (DCRToken or DCROpen).
	Policy string
	// InitialAccessToken is the bearer token of the request; with DCRToken one of its uses is
	// spent in the transaction that creates the client.
	InitialAccessToken string
	// RegistrationToken is the new registration access token; only its hash is stored.
	RegistrationToken string
}

// RegisterDynamicClient creates a self-registered client like the portal's CreateClient (no
// owner, marked dynamic) and returns it with its first secret for confidential types ("" for
// public ones). Under DCRToken it first spends one use of the initial access token in the same
// transaction: the decrement is a single conditional UPDATE, so however many registrations race
// on however many instances, a token with n uses left registers at most n clients, and a
// failed creation gives the use back. It is audited as ctx's actor (the IP address), in the
// same transaction.
func (s *Store) RegisterDynamicClient(ctx context.Context, r DynamicRegistration, now time.Time) (*Client, string, error) {
	if r.RegistrationToken == "" {
		return nil, "", errors.New("models: a dynamic registration needs a registration access token")
	}
	var c *Client
	var secret string
	err := s.InTx(ctx, func(tx *Store) error {
		if r.Policy == DCRToken {
			// Looked up by its SHA-256: equality on a hash of a 256-bit random token leaks
			// nothing an attacker can use, unlike a comparison of the token itself.
			res := tx.q(ctx).Model(&RegistrationToken{}).
				Where("hash = ? AND uses_left > 0 AND revoked_at IS NULL AND expires_at > ?", HashToken(r.InitialAccessToken), now.UTC()).
				Update("uses_left", exprUsesLeftMinusOne)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return ErrRegistrationTokenInvalid
			}
		}
		in := r.Client
		in.OwnerID = nil
		var err error
		if c, secret, err = tx.CreateClient(ctx, in); err != nil {
			return err
		}
		c.Dynamic, c.RegistrationPolicy, c.TokenEndpointAuthMethod = true, r.Policy, r.TokenEndpointAuthMethod
		c.RegistrationTokenHash = HashToken(r.RegistrationToken)
		c.LogoURL, c.HomepageURL, c.PrivacyURL, c.TermsURL = r.LogoURL, r.HomepageURL, r.PrivacyURL, r.TermsURL
		if err := tx.q(ctx).Model(&Client{}).Where("id = ?", c.ID).Updates(map[string]any{
			"dynamic": true, "registration_token_hash": c.RegistrationTokenHash, "registration_policy": r.Policy,
			"token_endpoint_auth_method": r.TokenEndpointAuthMethod,
			"logo_url":                   r.LogoURL, "homepage_url": r.HomepageURL, "privacy_url": r.PrivacyURL, "terms_url": r.TermsURL,
		}).Error; err != nil {
			return err
		}
		return tx.auditAs(ctx, AuditClientRegistered, c.ID, fmt.Sprintf("%s (policy %s, %s)", c.Name, r.Policy, c.Type))
	})
	if err != nil {
		return nil, "", err
	}
	return c, secret, nil
}

// DynamicClient loads a dynamically registered client with its registration columns, or
// ErrNotFound when there is no such client or it was registered in the portal.
func (s *Store) DynamicClient(ctx context.Context, id string) (*Client, error) {
	c, err := s.ClientByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.LoadRegistration(ctx, c); err != nil {
		return nil, err
	}
	if !c.Dynamic {
		return nil, ErrNotFound
	}
	return c, nil
}

// LoadRegistration fills c's registration columns (Dynamic and the rest), which ClientByID,
// the token endpoint's one-query read, leaves out.
func (s *Store) LoadRegistration(ctx context.Context, c *Client) error {
	var row struct {
		Dynamic                                                            bool
		RegistrationTokenHash, RegistrationPolicy, TokenEndpointAuthMethod string
	}
	if err := s.q(ctx).Model(&Client{}).Select("dynamic, registration_token_hash, registration_policy, token_endpoint_auth_method").
		Where("id = ?", c.ID).Take(&row).Error; err != nil {
		return notFound(err)
	}
	c.Dynamic, c.RegistrationTokenHash, c.RegistrationPolicy, c.TokenEndpointAuthMethod = row.Dynamic, row.RegistrationTokenHash, row.RegistrationPolicy, row.TokenEndpointAuthMethod
	return nil
}

// UpdateDynamicClient replaces a dynamic client's registration (RFC 7592 §2.2) with p and its
// registered authentication method, audited in the same transaction.
func (s *Store) UpdateDynamicClient(ctx context.Context, id string, p ClientProfile, authMethod string) error {
	return s.InTx(ctx, func(tx *Store) error {
		if err := tx.UpdateClient(ctx, id, p); err != nil {
			return err
		}
		if err := tx.q(ctx).Model(&Client{}).Where("id = ?", id).Update("token_endpoint_auth_method", authMethod).Error; err != nil {
			return err
		}
		return tx.auditAs(ctx, AuditClientRegUpdated, id, p.Name)
	})
}

// DeleteDynamicClient deletes a dynamic client at its own request (RFC 7592 §2.3) like
// DeleteClient, then audits it.
func (s *Store) DeleteDynamicClient(ctx context.Context, id string) error {
	if err := s.DeleteClient(ctx, id); err != nil {
		return err
	}
	return s.auditAs(context.WithoutCancel(ctx), AuditClientRegDeleted, id, "")
}

// unusedDynamicClients selects dynamic clients registered before the cutoff that never
// obtained a token: no grant (every code exchange makes one, and the purge keeps a grant at
// least its refresh family's life), no token or refresh activity recorded, and no secret ever
// used (client credentials).
const unusedDynamicClients = `SELECT id FROM clients WHERE dynamic AND created_at < ?
	AND NOT EXISTS (SELECT 1 FROM grants WHERE grants.client_id = clients.id)
	AND NOT EXISTS (SELECT 1 FROM client_event_days d WHERE d.client_id = clients.id AND d.kind IN (?, ?))
	AND NOT EXISTS (SELECT 1 FROM client_secrets s WHERE s.client_id = clients.id AND s.last_used_at IS NOT NULL)
	ORDER BY created_at LIMIT ?`

// purgeUnusedDynamicClients deletes, p.BatchSize at a time, the dynamic clients registered
// before cutoff that never obtained a token, each like DeleteClient and each audited.
func (s *Store) purgeUnusedDynamicClients(ctx context.Context, p PurgePolicy, cutoff time.Time) (int64, error) {
	return s.purgeUnusedClients(ctx, p, "unused dynamic clients", unusedDynamicClients, []any{cutoff, EventToken, EventRefresh},
		fmt.Sprintf("registered dynamically and no token obtained in %d days", int(UnusedDynamicClientTTL.Hours()/24)))
}

// purgeUnusedClients deletes, p.BatchSize at a time, the clients query selects (its last
// parameter is the batch size, after args), each like DeleteClient and each audited as
// AuditClientExpiredUnused with detail.
func (s *Store) purgeUnusedClients(ctx context.Context, p PurgePolicy, kind, query string, args []any, detail string) (int64, error) {
	var total int64
	for {
		var ids []string
		if err := s.q(ctx).Raw(query, append(args, p.BatchSize)...).Scan(&ids).Error; err != nil {
			return total, err
		}
		for _, id := range ids {
			if err := s.DeleteClient(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
				return total, err
			}
			total++
			if err := s.Audit(ctx, &AuditEvent{Type: AuditClientExpiredUnused, Actor: "purge", Target: id, Detail: detail}); err != nil {
				return total, err
			}
		}
		if p.AfterBatch != nil {
			p.AfterBatch(kind, int64(len(ids)))
		}
		if len(ids) < p.BatchSize {
			return total, nil
		}
	}
}
