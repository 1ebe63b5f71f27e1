package models

import (
	"context"
	"time"
)

// SigningKey is a token-signing key pair. The private half is sealed with AES-GCM under a key
// derived from the server secret before it reaches the database.
type SigningKey struct {
	ID         string `gorm:"primaryKey"`
	Algorithm  string
	PublicJWK  string `gorm:"column:public_jwk"`
	PrivateKey []byte
	CreatedAt  time.Time
	RetiredAt  *time.Time
}

// SigningKeys lists keys that were not retired, oldest first.
func (s *Store) SigningKeys(ctx context.Context) ([]SigningKey, error) {
	var out []SigningKey
	err := s.q(ctx).Where("retired_at IS NULL").Order("created_at").Find(&out).Error
	return out, err
}

// CreateSigningKey stores a new key.
func (s *Store) CreateSigningKey(ctx context.Context, k *SigningKey) error {
	return s.q(ctx).Create(k).Error
}

// RetireSigningKey marks a key retired at at: it no longer signs and is no longer published.
// A key that does not exist or was retired already is ErrNotFound.
func (s *Store) RetireSigningKey(ctx context.Context, id string, at time.Time) error {
	res := s.q(ctx).Model(&SigningKey{}).Where("id = ? AND retired_at IS NULL", id).Update("retired_at", at)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound.Describe("no signing key " + id + " in use (it does not exist or was retired already)")
	}
	return nil
}

// LockSigningKeys lists algorithm's keys in use, oldest first, and on PostgreSQL locks them
// until the transaction ends: a concurrent retire of another key of the algorithm waits, then
// sees this one's outcome. (On SQLite the transaction's write lock serialises retires anyway.)
func (s *Store) LockSigningKeys(ctx context.Context, algorithm string) ([]SigningKey, error) {
	var out []SigningKey
	err := s.forUpdate(ctx).Where("algorithm = ? AND retired_at IS NULL", algorithm).Order("created_at").Find(&out).Error
	return out, err
}
