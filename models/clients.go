package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ClientType says how an application authenticates and which grants it may use.
type ClientType string

// The three kinds of application.
const (
	ClientWeb     ClientType = "web"     // confidential: a server keeps the secret; authorization code
	ClientNative  ClientType = "native"  // public: no secret; authorization code with PKCE
	ClientMachine ClientType = "machine" // confidential: client credentials
)

// Valid reports whether t is a known client type.
func (t ClientType) Valid() bool {
	return t == ClientWeb || t == ClientNative || t == ClientMachine
}

// Confidential reports whether clients of this type hold a secret.
func (t ClientType) Confidential() bool { return t == ClientWeb || t == ClientMachine }

// Client statuses.
const (
	ClientActive    = "active"
	ClientSuspended = "suspended"
	ClientRevoked   = "revoked"
)

// Client is a registered application.
type Client struct {
	ID           string `gorm:"primaryKey"`
	OwnerID      *int64
	Name         string
	Type         ClientType
	RedirectURIs Lines `gorm:"column:redirect_uris"`
	Scopes       Words
	Status       string
	// AllowedOrigins are the web origins whose pages may call the token and revocation endpoints
	// (CORS); empty means the origins of the redirect URIs (see WebOrigins).
	AllowedOrigins Lines
	// CanIntrospect marks a resource server: it may introspect tokens issued to other clients.
	CanIntrospect bool
	// AccessTTLSeconds and RefreshTTLSeconds override the deployment's token lifetimes.
	AccessTTLSeconds  *int
	RefreshTTLSeconds *int
	// Links shown on the consent page.
	LogoURL     string
	HomepageURL string
	PrivacyURL  string
	TermsURL    string
	// PostLogoutRedirectURIs are where RP-Initiated Logout may send the browser back to, matched
	// exactly (OpenID Connect RP-Initiated Logout 1.0 §3).
	PostLogoutRedirectURIs Lines `gorm:"column:post_logout_redirect_uris"`
	// IDTokenSignedResponseAlg is the client's registered ID Token algorithm; "" means RS256.
	IDTokenSignedResponseAlg string `gorm:"column:id_token_signed_response_alg"`
	CreatedAt                time.Time
	UpdatedAt                time.Time

	// AllowDeviceGrant lets the client start device sign-ins (RFC 8628); web and native only.
	AllowDeviceGrant bool `gorm:"column:allow_device_grant"`
	// MetadataDocument marks a client identified by the https URL of its client ID metadata
	// document (its ID); MetadataExpiresAt is when that document must be fetched again, and
	// MetadataFetchedAt when it last was (see models/cimd.go).
	MetadataDocument  bool
	MetadataExpiresAt *time.Time
	MetadataFetchedAt *time.Time

	// OwnerDisabledAt is set when the developer who owns the client is disabled: the client then
	// works nowhere until they are enabled again. Loaded by ClientByID, never stored here.
	OwnerDisabledAt *time.Time `gorm:"-"`

	// Dynamic marks a client that registered itself (RFC 7591, see models/dcr.go); it has no
	// owner. RegistrationTokenHash is the SHA-256 of its registration access token (RFC 7592),
	// RegistrationPolicy the DEVPORTAL_DCR policy it registered under and
	// TokenEndpointAuthMethod the method it registered. ClientByID loads Dynamic only (the
	// consent page warns about such clients); DynamicClient loads them all.
	Dynamic                 bool
	RegistrationTokenHash   string `json:"-"`
	RegistrationPolicy      string
	TokenEndpointAuthMethod string

	Secrets []ClientSecret `gorm:"foreignKey:ClientID"`
}

// Usable reports whether the client may take part in any flow: active, and its owner (if any)
// not disabled.
func (c *Client) Usable() bool { return c.Status == ClientActive && c.OwnerDisabledAt == nil }

// NewClient is what a developer (or the CLI) registers.
type NewClient struct {
	OwnerID           *int64
	Name              string
	Type              ClientType
	RedirectURIs      []string
	AllowedOrigins    []string // empty: the origins of the redirect URIs
	Scopes            []string
	PendingScopes     []string // sensitive scopes requested, for an admin to approve
	CanIntrospect     bool
	AccessTTLSeconds  *int
	RefreshTTLSeconds *int

	PostLogoutRedirectURIs   []string
	IDTokenSignedResponseAlg string

	AllowDeviceGrant bool // web and native only (RFC 8628)
}

// CreateClient stores a client and, for confidential types, a first secret, which is returned in
// plain text this once and never again.
func (s *Store) CreateClient(ctx context.Context, in NewClient) (*Client, string, error) {
	c := &Client{
		ID:           "dp_" + NewID(12),
		OwnerID:      in.OwnerID,
		Name:         strings.TrimSpace(in.Name),
		Type:         in.Type,
		RedirectURIs: in.RedirectURIs,
		Scopes:       in.Scopes,
		Status:       ClientActive,

		AllowedOrigins: in.AllowedOrigins,

		CanIntrospect:     in.CanIntrospect,
		AccessTTLSeconds:  in.AccessTTLSeconds,
		RefreshTTLSeconds: in.RefreshTTLSeconds,

		PostLogoutRedirectURIs:   in.PostLogoutRedirectURIs,
		IDTokenSignedResponseAlg: in.IDTokenSignedResponseAlg,

		AllowDeviceGrant: in.AllowDeviceGrant && in.Type != ClientMachine,
	}
	var secret string
	err := s.InTx(ctx, func(tx *Store) error {
		if err := tx.q(ctx).Omit("Secrets").Create(c).Error; err != nil {
			return err
		}
		if err := tx.syncClientOrigins(ctx, c.ID, c.WebOrigins()); err != nil {
			return err
		}
		if err := tx.RequestScopes(ctx, c.ID, in.PendingScopes); err != nil {
			return err
		}
		if !c.Type.Confidential() {
			return nil
		}
		var err error
		secret, err = tx.addSecret(ctx, c.ID)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return c, secret, nil
}

// clientWithSecrets reads a client and its unretired secrets in one round trip: the token
// endpoint runs it on every request, where GORM's Preload would cost a second query.
const clientWithSecrets = `SELECT c.id, c.owner_id, c.name, c.type, c.redirect_uris, c.scopes, c.status,
	c.can_introspect, c.access_ttl_seconds, c.refresh_ttl_seconds,
	c.logo_url, c.homepage_url, c.privacy_url, c.terms_url, c.created_at, c.updated_at, c.allowed_origins, o.disabled_at,
	c.post_logout_redirect_uris, c.id_token_signed_response_alg, c.allow_device_grant,
	c.metadata_document, c.metadata_expires_at, c.metadata_fetched_at, c.dynamic,
	s.id, s.hash, s.hint, s.created_at, s.expires_at, s.last_used_at
FROM clients c LEFT JOIN users o ON o.id = c.owner_id
LEFT JOIN client_secrets s ON s.client_id = c.id AND s.retired_at IS NULL
WHERE c.id = ? ORDER BY s.id`

// ClientByID loads a client with its unretired secrets and whether its owner is disabled.
func (s *Store) ClientByID(ctx context.Context, id string) (*Client, error) {
	rows, err := s.q(ctx).Raw(clientWithSecrets, id).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var c *Client
	for rows.Next() {
		var row Client
		var sid *int64
		var sec ClientSecret
		var hash, hint *string
		var created *time.Time
		if err := rows.Scan(&row.ID, &row.OwnerID, &row.Name, &row.Type, &row.RedirectURIs, &row.Scopes, &row.Status,
			&row.CanIntrospect, &row.AccessTTLSeconds, &row.RefreshTTLSeconds,
			&row.LogoURL, &row.HomepageURL, &row.PrivacyURL, &row.TermsURL, &row.CreatedAt, &row.UpdatedAt, &row.AllowedOrigins, &row.OwnerDisabledAt,
			&row.PostLogoutRedirectURIs, &row.IDTokenSignedResponseAlg, &row.AllowDeviceGrant,
			&row.MetadataDocument, &row.MetadataExpiresAt, &row.MetadataFetchedAt, &row.Dynamic,
			&sid, &hash, &hint, &created, &sec.ExpiresAt, &sec.LastUsedAt); err != nil {
			return nil, err
		}
		if c == nil {
			c = &row
		}
		if sid != nil {
			sec.ID, sec.ClientID, sec.Hash, sec.Hint, sec.CreatedAt = *sid, c.ID, deref(hash), deref(hint), deref(created)
			c.Secrets = append(c.Secrets, sec)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, ErrNotFound
	}
	return c, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// ClientsByOwner lists a developer's applications, newest first.
func (s *Store) ClientsByOwner(ctx context.Context, ownerID int64) ([]Client, error) {
	var out []Client
	err := s.q(ctx).Where("owner_id = ?", ownerID).Order("created_at DESC").Find(&out).Error
	return out, err
}

// DeleteClient removes a client and everything issued to it. It first revokes the client in a
// transaction of its own, so from that moment its id and tokens stop working everywhere; then it
// deletes the client's rows a bounded batch at a time (PurgeBatchSize, a short transaction
// each, pausing between them as the purge does), so a popular application with millions of
// grants and events never holds SQLite's write lock for long; last the client itself, whose
// foreign keys then cascade to a handful of rows. If it stops half-way (an error, the request
// cancelled) the client stays revoked and calling it again finishes the job.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	res := s.q(ctx).Model(&Client{}).Where("id = ?", id).Update("status", ClientRevoked)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	p := PurgePolicy{BatchSize: PurgeBatchSize}
	for _, k := range []purgeKind{
		{"authorization codes", "auth_codes", "hash", "client_id = ?", []any{id}},
		// A grant's refresh tokens go with it (ON DELETE CASCADE, found by refresh_tokens_grant_created).
		{"grants", "grants", "id", "client_id = ?", []any{id}},
		{"activity events", "client_events", "id", "client_id = ?", []any{id}},
		{"activity days", "client_event_days", "client_id, day, kind", "client_id = ?", []any{id}},
		{"consents", "consents", "user_id, client_id", "client_id = ?", []any{id}},
	} {
		if _, err := s.purgeBatches(ctx, p, k); err != nil {
			return fmt.Errorf("delete client: %s: %w", k.kind, err)
		}
	}
	// Invoices outlive the client that created them (ON DELETE SET NULL), detached in batches too.
	for {
		res := s.q(ctx).Exec("UPDATE invoices SET client_id = NULL WHERE id IN (SELECT id FROM invoices WHERE client_id = ? LIMIT ?)", id, p.BatchSize)
		if res.Error != nil {
			return fmt.Errorf("delete client: invoices: %w", res.Error)
		}
		if res.RowsAffected < int64(p.BatchSize) {
			break
		}
	}
	return s.q(ctx).Where("id = ?", id).Delete(&Client{}).Error
}

// SetClientStatus suspends, reinstates or revokes a client.
func (s *Store) SetClientStatus(ctx context.Context, id, status string) error {
	res := s.q(ctx).Model(&Client{}).Where("id = ?", id).Update("status", status)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// RevokeClient ends a client for good: its status becomes revoked, every grant of it is revoked
// and its secrets retired, in one transaction.
func (s *Store) RevokeClient(ctx context.Context, id string) error {
	now := time.Now().UTC()
	return s.InTx(ctx, func(tx *Store) error {
		if err := tx.SetClientStatus(ctx, id, ClientRevoked); err != nil {
			return err
		}
		if err := tx.q(ctx).Model(&Grant{}).Where("client_id = ? AND revoked_at IS NULL", id).Update("revoked_at", now).Error; err != nil {
			return err
		}
		return tx.q(ctx).Model(&ClientSecret{}).Where("client_id = ? AND retired_at IS NULL", id).Update("retired_at", now).Error
	})
}

// ClientProfile is what a developer edits on the application page.
type ClientProfile struct {
	Name, LogoURL, HomepageURL, PrivacyURL, TermsURL string
	RedirectURIs                                     []string
	AllowedOrigins                                   []string // empty: the origins of the redirect URIs
	Scopes                                           []string // approved scopes the client keeps
	AccessTTLSeconds, RefreshTTLSeconds              *int
	PostLogoutRedirectURIs                           []string
	IDTokenSignedResponseAlg                         string // "" means RS256
	AllowDeviceGrant                                 bool   // web and native only
}

// UpdateClient saves a developer's edit of an application, and the origin index with it in the
// same transaction.
func (s *Store) UpdateClient(ctx context.Context, id string, p ClientProfile) error {
	return s.InTx(ctx, func(tx *Store) error {
		res := tx.q(ctx).Model(&Client{}).Where("id = ?", id).Updates(map[string]any{
			"name": p.Name, "logo_url": p.LogoURL, "homepage_url": p.HomepageURL, "privacy_url": p.PrivacyURL, "terms_url": p.TermsURL,
			"redirect_uris": Lines(p.RedirectURIs), "allowed_origins": Lines(p.AllowedOrigins), "scopes": Words(p.Scopes),
			"access_ttl_seconds": p.AccessTTLSeconds, "refresh_ttl_seconds": p.RefreshTTLSeconds, "updated_at": time.Now().UTC(),
			"post_logout_redirect_uris": Lines(p.PostLogoutRedirectURIs), "id_token_signed_response_alg": p.IDTokenSignedResponseAlg,
			"allow_device_grant": p.AllowDeviceGrant,
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return tx.syncClientOrigins(ctx, id, EffectiveOrigins(p.AllowedOrigins, p.RedirectURIs))
	})
}

// EditClient saves a developer's edit of an application and files a request for each sensitive
// scope in requested, in one transaction: an edit never lands without its requests, nor a
// request without the edit that asked for it.
func (s *Store) EditClient(ctx context.Context, id string, p ClientProfile, requested []string) error {
	return s.InTx(ctx, func(tx *Store) error {
		if err := tx.UpdateClient(ctx, id, p); err != nil {
			return err
		}
		return tx.RequestScopes(ctx, id, requested)
	})
}
