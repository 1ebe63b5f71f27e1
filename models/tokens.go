package models

import (
	"context"
	"errors"
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
	var err error
	if grantID != "" {
		err = s.q(ctx).Table("grants").
			Joins("JOIN clients ON clients.id = grants.client_id").
			Joins("LEFT JOIN users owners ON owners.id = clients.owner_id").
			Joins("LEFT JOIN users ON users.id = grants.user_id").
			Where("grants.id = ? AND grants.client_id = ? AND grants.revoked_at IS NULL AND clients.status = ? AND owners.disabled_at IS NULL AND users.disabled_at IS NULL", grantID, clientID, ClientActive).
			Count(&n).Error
	} else {
		err = s.q(ctx).Table("clients").
			Joins("LEFT JOIN users owners ON owners.id = clients.owner_id").
			Where("clients.id = ? AND clients.status = ? AND owners.disabled_at IS NULL AND NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?)", clientID, ClientActive, jti).
			Count(&n).Error
	}
	return n > 0, err
}

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
	if err := s.q(ctx).Preload("Grant").Take(&rt, "hash = ?", hash).Error; err != nil {
		return nil, notFound(err)
	}
	return &rt, nil
}

// ClientActive reports whether a client exists, is active and its owner (if any) is enabled,
// without loading its secrets.
func (s *Store) ClientActive(ctx context.Context, id string) (bool, error) {
	var n int64
	err := s.q(ctx).Table("clients").Joins("LEFT JOIN users owners ON owners.id = clients.owner_id").
		Where("clients.id = ? AND clients.status = ? AND owners.disabled_at IS NULL", id, ClientActive).Count(&n).Error
	return n > 0, err
}

// Purge deletes sessions, codes, refresh tokens, revocation records, WebAuthn ceremonies and
// mailed links that expired before before, none of which can be used again, and mail given up
// on before then. It also deletes the login and sign-up attempts that have left
// every throttle's window, whatever before says: they only ever count within it. Serve runs it
// periodically; several instances may at once.
func (s *Store) Purge(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, m := range []any{&Session{}, &AuthCode{}, &RefreshToken{}, &RevokedToken{}, &WebAuthnSession{}} {
		res := s.q(ctx).Where("expires_at < ?", before).Delete(m)
		if res.Error != nil {
			return total, res.Error
		}
		total += res.RowsAffected
	}
	// Mailed links are kept an hour past expiry: they count towards AccountMailMax.
	res := s.q(ctx).Where("expires_at < ?", before.Add(-AccountMailWindow)).Delete(&AccountToken{})
	if res.Error != nil {
		return total, res.Error
	}
	total += res.RowsAffected
	// Mail given up on (kept a day for whoever reads the log).
	res = s.q(ctx).Exec("DELETE FROM outbox WHERE failed_at < ?", before)
	if res.Error != nil {
		return total, res.Error
	}
	total += res.RowsAffected
	n, err := s.purgeAttempts(ctx)
	return total + n, err
}
