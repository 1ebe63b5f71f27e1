package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// RevokedToken remembers a revoked access token that belongs to no grant, until it would have
// expired anyway.
type RevokedToken struct {
	JTI       string `gorm:"column:jti;primaryKey"`
	ExpiresAt time.Time
}

// AccessTokenActive reports whether an access token whose signature and expiry already checked
// out is still honoured: its client is active and its owner (if any) enabled; for a grant's
// token, the grant is unrevoked and its user enabled; for a grantless (client credentials)
// token, its jti was not revoked. It is one query on primary keys, run by every
// resource-server check.
func (s *Store) AccessTokenActive(ctx context.Context, clientID, grantID, jti string) (bool, error) {
	var n int64
	var row *sql.Row
	if grantID != "" {
		row = s.q(ctx).Raw(activeGrantToken, grantID, clientID, ClientActive).Row()
	} else {
		row = s.q(ctx).Raw(activeClientToken, clientID, ClientActive, jti).Row()
	}
	err := row.Scan(&n)
	return n > 0, err
}

// The queries of AccessTokenActive, written out once: built through GORM's query builder on
// every introspection they cost a fifth of its allocations.
const (
	activeGrantToken = `SELECT COUNT(*) FROM grants
	JOIN clients ON clients.id = grants.client_id
	LEFT JOIN users owners ON owners.id = clients.owner_id
	LEFT JOIN users ON users.id = grants.user_id
	WHERE grants.id = ? AND grants.client_id = ? AND grants.revoked_at IS NULL AND clients.status = ?
	AND owners.disabled_at IS NULL AND users.disabled_at IS NULL`
	activeClientToken = `SELECT COUNT(*) FROM clients
	LEFT JOIN users owners ON owners.id = clients.owner_id
	WHERE clients.id = ? AND clients.status = ? AND owners.disabled_at IS NULL
	AND NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?)`
)

// RevokeAccessToken records a grantless access token as revoked; doing it twice is harmless.
func (s *Store) RevokeAccessToken(ctx context.Context, jti string, expiresAt time.Time) error {
	err := s.q(ctx).Create(&RevokedToken{JTI: jti, ExpiresAt: expiresAt}).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil
	}
	return err
}

// RefreshTokenByHash loads a refresh token with its grant, in whatever state it is.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash string) (*RefreshToken, error) {
	var rt RefreshToken
	g := &rt.Grant
	err := s.q(ctx).Raw(refreshTokenWithGrant, hash).Row().Scan(&rt.Hash, &rt.GrantID, &rt.Scope, &rt.CreatedAt, &rt.ExpiresAt, &rt.UsedAt,
		&g.ID, &g.ClientID, &g.UserID, &g.Subject, &g.Scope, &g.CreatedAt, &g.RevokedAt, &g.APIID, &g.AuthTime, &g.AMR, &g.SID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &rt, nil
}

// refreshTokenWithGrant reads a refresh token and its grant in one statement, on every refresh:
// GORM's Preload took a second query and most of the rotation's reflection.
const refreshTokenWithGrant = `SELECT rt.hash, rt.grant_id, rt.scope, rt.created_at, rt.expires_at, rt.used_at,
	g.id, g.client_id, g.user_id, g.subject, g.scope, g.created_at, g.revoked_at, g.api_id, g.auth_time, g.amr, g.sid
	FROM refresh_tokens rt JOIN grants g ON g.id = rt.grant_id WHERE rt.hash = ?`

// ClientActive reports whether a client exists, is active and its owner (if any) is enabled,
// without loading its secrets.
func (s *Store) ClientActive(ctx context.Context, id string) (bool, error) {
	var n int64
	err := s.q(ctx).Table("clients").Joins("LEFT JOIN users owners ON owners.id = clients.owner_id").
		Where("clients.id = ? AND clients.status = ? AND owners.disabled_at IS NULL", id, ClientActive).Count(&n).Error
	return n > 0, err
}

// Purge deletes what expired before before (see PurgeExpired) and returns how many rows went.
func (s *Store) Purge(ctx context.Context, before time.Time) (int64, error) {
	report, err := s.PurgeExpired(ctx, PurgePolicy{Before: before})
	return report.Total(), err
}

// PurgeBatchSize is how many rows one purge statement deletes at most by default. Each batch is
// a transaction of its own, so on SQLite the database's write lock is held only that long.
const PurgeBatchSize = 1000

// PurgePolicy says what PurgeExpired deletes.
type PurgePolicy struct {
	// Before: sessions, codes, refresh tokens, revocation records and WebAuthn ceremonies that
	// expired before it go, as does mail given up on before it. Zero means now.
	Before time.Time
	// RetainActivity, RetainAudit and RetainRevokedGrants: activity events, audit events, and
	// grants revoked longer ago than these go (with their refresh tokens). Zero keeps them.
	RetainActivity, RetainAudit, RetainRevokedGrants time.Duration
	// RefreshFamilyTTL is how long a grant's refresh-token family lives (oauth.Config's). With
	// RetainRevokedGrants it lets dead grants go: never revoked, but older than the family's
	// life plus that retention, and without a refresh token the purge would still keep. Zero
	// keeps them.
	RefreshFamilyTTL time.Duration
	// UnusedDynamicClients: dynamic clients (RFC 7591) registered longer ago than this that
	// never obtained a token go, each audited. Zero keeps them.
	UnusedDynamicClients time.Duration
	// UnusedMetadataClients: active clients known by their metadata document, last fetched
	// longer ago than this, that never obtained a token go, each audited. Zero keeps them.
	UnusedMetadataClients time.Duration
	// BatchSize bounds the rows one statement deletes (default PurgeBatchSize).
	BatchSize int
	// AfterBatch, when set, is called between batches, outside any transaction, with the kind
	// and the rows the batch deleted.
	AfterBatch func(kind string, deleted int64)
}

// PurgeCount is what PurgeExpired deleted of one kind.
type PurgeCount struct {
	Kind    string // "refresh tokens", "sessions", …
	Deleted int64
}

// PurgeReport lists per kind, in a fixed order, what one purge deleted.
type PurgeReport []PurgeCount

// Total is the number of rows deleted, all kinds together.
func (r PurgeReport) Total() int64 {
	var n int64
	for _, c := range r {
		n += c.Deleted
	}
	return n
}

// purgeKind is one kind of dead row: the table it lives in, the key that names one row, and the
// predicate (backed by an index) that says it is dead.
type purgeKind struct {
	kind, table, key, where string
	args                    []any
}

// PurgeExpired deletes sessions, codes, refresh tokens, revocation records, WebAuthn ceremonies,
// one-time reveals and mailed links that have expired, none of which can be used again, mail given up on, and
// the login and sign-up attempts that have left every throttle's window: they only ever count
// within it. Under the policy's retention it also deletes old activity and audit events,
// grants revoked long ago, grants whose refresh family ended long ago, and the consents of
// clients revoked long ago. It deletes in batches of p.BatchSize rows, one short transaction each, and pauses
// between batches as long as the batch took, so other writers (SQLite has one write lock for
// the whole database) get at least half the time. Serve runs it hourly, `devportal purge` on
// demand; several instances may at once. On error it returns what it deleted so far.
func (s *Store) PurgeExpired(ctx context.Context, p PurgePolicy) (PurgeReport, error) {
	if p.Before.IsZero() {
		p.Before = time.Now().UTC()
	}
	if p.BatchSize <= 0 {
		p.BatchSize = PurgeBatchSize
	}
	attempts := time.Now().UTC().Add(-attemptRetention)
	kinds := []purgeKind{
		{"sessions", "sessions", "id", "expires_at < ?", []any{p.Before}},
		{"authorization codes", "auth_codes", "hash", "expires_at < ?", []any{p.Before}},
		{"refresh tokens", "refresh_tokens", "hash", "expires_at < ?", []any{p.Before}},
		{"revoked access tokens", "revoked_tokens", "jti", "expires_at < ?", []any{p.Before}},
		{"passkey ceremonies", "webauthn_sessions", "id", "expires_at < ?", []any{p.Before}},
		{"one-time reveals", "reveals", "id", "expires_at < ?", []any{p.Before}},
		{"device authorizations", "device_authorizations", "id", "expires_at < ?", []any{p.Before}},
		// Mailed links are kept an hour past expiry: they count towards AccountMailMax.
		{"mailed links", "account_tokens", "hash", "expires_at < ?", []any{p.Before.Add(-AccountMailWindow)}},
		{"failed mail", "outbox", "id", "failed_at < ?", []any{p.Before}},
		{"login attempts", "login_attempts", "id", "created_at < ?", []any{attempts}},
		{"throttle refusals", "throttle_refusals", "rule, subject, window_start", "window_start < ?", []any{attempts}},
	}
	now := time.Now().UTC()
	if p.RetainRevokedGrants > 0 {
		kinds = append(kinds, purgeKind{"revoked grants", "grants", "id", "revoked_at < ?", []any{now.Add(-p.RetainRevokedGrants)}})
		// A revoked client's updated_at is no earlier than its revocation (RevokeClient sets the
		// status through an Update, which stamps it), so the retention counts from then or later.
		kinds = append(kinds, purgeKind{"consents of revoked clients", "consents", "user_id, client_id",
			"client_id IN (SELECT id FROM clients WHERE status = ? AND updated_at < ?)", []any{ClientRevoked, now.Add(-p.RetainRevokedGrants)}})
	}
	if p.RetainRevokedGrants > 0 && p.RefreshFamilyTTL > 0 {
		// Past its family's end a grant can never mint a token again, and the retention (at
		// least a day, the longest access-token lifetime) outlasts the last access token it
		// minted, which needs the grant to verify. A refresh token the purge still keeps (not
		// yet past Before) keeps the grant too: a replay of it is recognised as such, and the
		// last use /account/apps shows of the consent stays what it was.
		kinds = append(kinds, purgeKind{"dead grants", "grants", "id",
			"revoked_at IS NULL AND created_at < ? AND NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE refresh_tokens.grant_id = grants.id AND refresh_tokens.expires_at >= ?)",
			[]any{now.Add(-p.RefreshFamilyTTL - p.RetainRevokedGrants), p.Before}})
	}
	if p.RetainActivity > 0 {
		// Whole UTC days go, events and their roll-ups together, so the chart's counts stay
		// those of the events kept.
		cutoff := now.Add(-p.RetainActivity).Truncate(24 * time.Hour)
		kinds = append(kinds, purgeKind{"activity events", "client_events", "id", "created_at < ?", []any{cutoff}},
			purgeKind{"activity days", "client_event_days", "client_id, day, kind", "day < ?", []any{eventDay(cutoff)}})
	}
	if p.RetainAudit > 0 {
		kinds = append(kinds, purgeKind{"audit events", "audit_events", "id", "created_at < ?", []any{now.Add(-p.RetainAudit)}})
	}
	report := make(PurgeReport, 0, len(kinds))
	for _, k := range kinds {
		n, err := s.purgeBatches(ctx, p, k)
		report = append(report, PurgeCount{Kind: k.kind, Deleted: n})
		if err != nil {
			return report, fmt.Errorf("purge %s: %w", k.kind, err)
		}
	}
	if p.UnusedDynamicClients > 0 {
		n, err := s.purgeUnusedDynamicClients(ctx, p, now.Add(-p.UnusedDynamicClients))
		report = append(report, PurgeCount{Kind: "unused dynamic clients", Deleted: n})
		if err != nil {
			return report, fmt.Errorf("purge unused dynamic clients: %w", err)
		}
	}
	if p.UnusedMetadataClients > 0 {
		n, err := s.purgeUnusedMetadataClients(ctx, p, now.Add(-p.UnusedMetadataClients))
		report = append(report, PurgeCount{Kind: "unused metadata-document clients", Deleted: n})
		if err != nil {
			return report, fmt.Errorf("purge unused metadata-document clients: %w", err)
		}
	}
	return report, nil
}

// purgeBatches deletes k's dead rows p.BatchSize at a time until a batch comes back short.
// DELETE … WHERE key IN (SELECT key … LIMIT n) is the portable form of a bounded delete: SQLite
// (without its optional DELETE … LIMIT) and PostgreSQL both run it, a row-value key included.
func (s *Store) purgeBatches(ctx context.Context, p PurgePolicy, k purgeKind) (int64, error) {
	key := k.key
	if strings.Contains(key, ",") {
		key = "(" + key + ")"
	}
	stmt := "DELETE FROM " + k.table + " WHERE " + key + " IN (SELECT " + k.key + " FROM " + k.table + " WHERE " + k.where + " LIMIT ?)"
	args := append(append([]any{}, k.args...), p.BatchSize)
	var total int64
	for {
		start := time.Now()
		res := s.q(ctx).Exec(stmt, args...)
		if res.Error != nil {
			return total, res.Error
		}
		total += res.RowsAffected
		if p.AfterBatch != nil {
			p.AfterBatch(k.kind, res.RowsAffected)
		}
		if res.RowsAffected < int64(p.BatchSize) {
			return total, nil
		}
		pause := time.NewTimer(max(time.Since(start), time.Millisecond))
		select {
		case <-ctx.Done():
			pause.Stop()
			return total, ctx.Err()
		case <-pause.C:
		}
	}
}
