package models

import (
	"context"
	"errors"
	"time"
)

// ClientSecret is one credential of a confidential client, stored as its SHA-256.
type ClientSecret struct {
	ID         int64
	ClientID   string
	Hash       string
	Hint       string // the last four characters, so people can tell secrets apart
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	RetiredAt  *time.Time
	LastUsedAt *time.Time
}

// Usable reports whether the secret may authenticate at now.
func (cs *ClientSecret) Usable(now time.Time) bool {
	return cs.RetiredAt == nil && (cs.ExpiresAt == nil || now.Before(*cs.ExpiresAt))
}

// MaxActiveSecrets is how many secrets a client may have working at once: enough to rotate
// without downtime, few enough to keep track of.
const MaxActiveSecrets = 2

// ErrTooManySecrets refuses a third active secret.
var ErrTooManySecrets = errors.New("a client may have at most two active secrets: retire one first")

// AddSecret creates a new secret, shown once. The secrets already working keep working until
// oldUntil (nil: until retired by hand); a zero oldUntil retires them now. The client's row is
// locked first, so concurrent rotations take turns and the count of working secrets they check
// is the one they write against: never more than MaxActiveSecrets work at once.
func (s *Store) AddSecret(ctx context.Context, clientID string, oldUntil *time.Time) (string, error) {
	var secret string
	err := s.InTx(ctx, func(tx *Store) error {
		var locked Client
		if err := tx.forUpdate(ctx).Select("id").Take(&locked, "id = ?", clientID).Error; err != nil {
			return notFound(err)
		}
		now := time.Now().UTC()
		usable := tx.q(ctx).Model(&ClientSecret{}).Where("client_id = ? AND retired_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", clientID, now)
		switch {
		case oldUntil != nil && oldUntil.IsZero():
			if err := usable.Update("retired_at", now).Error; err != nil {
				return err
			}
		case oldUntil != nil:
			if err := usable.Where("(expires_at IS NULL OR expires_at > ?)", *oldUntil).Update("expires_at", *oldUntil).Error; err != nil {
				return err
			}
		}
		var n int64
		if err := tx.q(ctx).Model(&ClientSecret{}).Where("client_id = ? AND retired_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", clientID, now).Count(&n).Error; err != nil {
			return err
		}
		if n >= MaxActiveSecrets {
			return ErrTooManySecrets
		}
		var err error
		secret, err = tx.addSecret(ctx, clientID)
		return err
	})
	return secret, err
}

// RetireSecret stops one secret of a client from working.
func (s *Store) RetireSecret(ctx context.Context, clientID string, secretID int64) error {
	res := s.q(ctx).Model(&ClientSecret{}).Where("id = ? AND client_id = ? AND retired_at IS NULL", secretID, clientID).Update("retired_at", time.Now().UTC())
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// TouchSecret records that a secret authenticated at now. Callers call it at most hourly per
// secret, so the token endpoint does not write on every request.
func (s *Store) TouchSecret(ctx context.Context, secretID int64, now time.Time) error {
	return s.q(ctx).Model(&ClientSecret{}).Where("id = ?", secretID).Update("last_used_at", now).Error
}

func (s *Store) addSecret(ctx context.Context, clientID string) (string, error) {
	secret := NewToken("dps_")
	row := &ClientSecret{ClientID: clientID, Hash: HashToken(secret), Hint: secret[len(secret)-4:]}
	if err := s.q(ctx).Create(row).Error; err != nil {
		return "", err
	}
	return secret, nil
}
