package models

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Audit types of client ID metadata documents (draft-ietf-oauth-client-id-metadata-document).
const (
	// AuditMetadataClientSeen: a client identified by its metadata document's URL was seen for
	// the first time and got its clients row; the detail is the name it gave itself.
	AuditMetadataClientSeen = "client.metadata_document_first_seen"
	// AuditHostBlocked and AuditHostUnblocked: an admin refused, or accepted again, the metadata
	// documents of one host; the target is the host.
	AuditHostBlocked   = "client_host.blocked"
	AuditHostUnblocked = "client_host.unblocked"
)

// MaxBlockedHosts bounds the blocked-host list the admin page shows.
const MaxBlockedHosts = 500

// MetadataClient is a client as its validated metadata document describes it.
type MetadataClient struct {
	ID           string // the document's URL, exactly as the client sends it
	Name         string
	LogoURL      string
	HomepageURL  string
	RedirectURIs []string
	Scopes       []string
	FetchedAt    time.Time
	ExpiresAt    time.Time // when the document must be fetched again
}

// SaveMetadataClient creates or refreshes the clients row of a metadata-document client: a
// public (native) client whose id is the document's URL. A refresh rewrites what the document
// says and when it expires, never the status, so a client an admin suspended or revoked stays
// so whatever its document says. created reports a first sighting, audited in the same
// transaction. A row of that id that is not a metadata-document client is ErrDuplicate.
func (s *Store) SaveMetadataClient(ctx context.Context, m MetadataClient) (created bool, err error) {
	fetched, expires := m.FetchedAt.UTC(), m.ExpiresAt.UTC()
	err = s.InTx(ctx, func(tx *Store) error {
		row := &Client{
			ID: m.ID, Name: m.Name, Type: ClientNative, RedirectURIs: m.RedirectURIs, Scopes: m.Scopes, Status: ClientActive,
			LogoURL: m.LogoURL, HomepageURL: m.HomepageURL,
			MetadataDocument: true, MetadataExpiresAt: &expires, MetadataFetchedAt: &fetched,
		}
		// Several instances may fetch the same new document at once: the first insert wins and
		// the others refresh the row it made.
		res := tx.q(ctx).Omit("Secrets").Clauses(clause.OnConflict{DoNothing: true}).Create(row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			created = true
			if err := tx.auditAs(ctx, AuditMetadataClientSeen, m.ID, m.Name); err != nil {
				return err
			}
		} else {
			res = tx.q(ctx).Model(&Client{}).Where("id = ? AND metadata_document = ?", m.ID, true).Updates(map[string]any{
				"name": m.Name, "logo_url": m.LogoURL, "homepage_url": m.HomepageURL,
				"redirect_uris": Lines(m.RedirectURIs), "scopes": Words(m.Scopes),
				"metadata_expires_at": expires, "metadata_fetched_at": fetched, "updated_at": time.Now().UTC(),
			})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return ErrDuplicate.Describe("a client registered here already has this id")
			}
		}
		return tx.syncClientOrigins(ctx, m.ID, EffectiveOrigins(nil, m.RedirectURIs))
	})
	return created, err
}

// BlockedHost is a host whose client metadata documents are refused.
type BlockedHost struct {
	Host      string `gorm:"primaryKey"`
	Reason    string
	BlockedBy string
	CreatedAt time.Time
}

// TableName is the table of blocked hosts.
func (BlockedHost) TableName() string { return "blocked_client_hosts" }

// NormalizeHost is the form hosts are blocked and looked up in: trimmed, lower case, without a
// port or the trailing dot of a fully qualified name.
func NormalizeHost(host string) string {
	h := strings.ToLower(strings.TrimSpace(host))
	if strings.HasPrefix(h, "[") { // [v6]:port
		if end := strings.Index(h, "]"); end > 0 {
			return h[1:end]
		}
	}
	if i := strings.LastIndex(h, ":"); i >= 0 && strings.Count(h, ":") == 1 && allDigits(h[i+1:]) {
		h = h[:i]
	}
	return strings.TrimSuffix(h, ".")
}

// ValidHost reports whether host, normalised, is a DNS name or an IP address: what a client_id
// URL's host can be.
func ValidHost(host string) bool {
	if host == "" || len(host) > 253 {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

func allDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// BlockHost refuses host's metadata documents from now on, audited (with reason) in the same
// transaction as ctx's actor. A host already blocked is ErrDuplicate.
func (s *Store) BlockHost(ctx context.Context, host, reason string) error {
	host = NormalizeHost(host)
	return s.InTx(ctx, func(tx *Store) error {
		res := tx.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&BlockedHost{
			Host: host, Reason: reason, BlockedBy: AuditActorOf(ctx).Name, CreatedAt: time.Now().UTC(),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrDuplicate.Describe(host + " is already blocked.")
		}
		return tx.auditAs(ctx, AuditHostBlocked, host, reasonDetail(reason))
	})
}

// UnblockHost accepts host's metadata documents again, audited with reason. A host not blocked
// is ErrNotFound.
func (s *Store) UnblockHost(ctx context.Context, host, reason string) error {
	host = NormalizeHost(host)
	return s.InTx(ctx, func(tx *Store) error {
		res := tx.q(ctx).Where("host = ?", host).Delete(&BlockedHost{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound.Describe(host + " is not blocked.")
		}
		return tx.auditAs(ctx, AuditHostUnblocked, host, reasonDetail(reason))
	})
}

func reasonDetail(reason string) string {
	if reason == "" {
		return ""
	}
	return "reason: " + reason
}

// BlockedHosts lists the blocked hosts, newest first, at most MaxBlockedHosts.
func (s *Store) BlockedHosts(ctx context.Context) ([]BlockedHost, error) {
	var out []BlockedHost
	err := s.q(ctx).Order("created_at DESC").Limit(MaxBlockedHosts).Find(&out).Error
	return out, err
}

// HostBlocked reports whether host's metadata documents are refused (one primary-key lookup).
func (s *Store) HostBlocked(ctx context.Context, host string) (bool, error) {
	var b BlockedHost
	err := s.q(ctx).Where("host = ?", NormalizeHost(host)).Take(&b).Error
	if err == nil {
		return true, nil
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	return false, err
}

// UnusedMetadataClientTTL is how long the row of a client known by its metadata document stays
// after its document was last fetched when nobody authorized it: anyone can serve documents at
// as many URLs as they like, and each valid one makes a row. An active client without a grant
// or token activity goes; a suspended or revoked one stays, so its refusal is not forgotten.
const UnusedMetadataClientTTL = 30 * 24 * time.Hour

// unusedMetadataClients selects active metadata-document clients last fetched before the
// cutoff that never obtained a token (the same tests as unusedDynamicClients).
const unusedMetadataClients = `SELECT id FROM clients WHERE metadata_document AND metadata_fetched_at < ? AND status = ?
	AND NOT EXISTS (SELECT 1 FROM grants WHERE grants.client_id = clients.id)
	AND NOT EXISTS (SELECT 1 FROM client_event_days d WHERE d.client_id = clients.id AND d.kind IN (?, ?))
	ORDER BY metadata_fetched_at LIMIT ?`

// purgeUnusedMetadataClients deletes, p.BatchSize at a time, the rows unusedMetadataClients
// selects, each audited.
func (s *Store) purgeUnusedMetadataClients(ctx context.Context, p PurgePolicy, cutoff time.Time) (int64, error) {
	return s.purgeUnusedClients(ctx, p, "unused metadata-document clients", unusedMetadataClients,
		[]any{cutoff, ClientActive, EventToken, EventRefresh},
		fmt.Sprintf("known by its metadata document, not authorized in the %d days since it was last fetched", int(UnusedMetadataClientTTL.Hours()/24)))
}
