package models

import (
	"context"
	"time"

	"gorm.io/gorm"
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

// Usable reports whether the secret may authenticate at now. usableSecretSQL says the same in
// SQL; TestUsableSecretSQL holds the two together.
func (cs *ClientSecret) Usable(now time.Time) bool {
	return cs.RetiredAt == nil && (cs.ExpiresAt == nil || now.Before(*cs.ExpiresAt))
}

// usableSecretSQL is ClientSecret.Usable as a condition on client_secrets, with now as its one
// argument: the expiry is exclusive in both.
const usableSecretSQL = "retired_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"

// usableSecrets is a query over clientID's secrets that may authenticate at now, built afresh
// on each call so no condition leaks from one statement into the next.
func (s *Store) usableSecrets(ctx context.Context, clientID string, now time.Time) *gorm.DB {
	return s.q(ctx).Model(&ClientSecret{}).Where("client_id = ?", clientID).Where(usableSecretSQL, now)
}

// UsableSecrets counts the client's secrets that may authenticate at now.
func (c *Client) UsableSecrets(now time.Time) int {
	n := 0
	for i := range c.Secrets {
		if c.Secrets[i].Usable(now) {
			n++
		}
	}
	return n
}

// AtSecretLimit reports whether a rotation that keeps the working secrets would be refused with
// ErrTooManySecrets; one that retires them now still succeeds.
func (c *Client) AtSecretLimit(now time.Time) bool { return c.UsableSecrets(now) >= MaxActiveSecrets }

// LastUsableSecret reports whether cs is the only secret of the client working at now: retiring
// it stops the client from authenticating until a new secret is rotated in.
func (c *Client) LastUsableSecret(cs *ClientSecret, now time.Time) bool {
	return cs.Usable(now) && c.UsableSecrets(now) == 1
}

// SecretKeep is one choice of how long a client's working secrets keep working once a new one
// is added, as the rotate form offers it.
type SecretKeep struct {
	Name  string // the form value
	Label string // how the rotate form and the audit log say it
	keep  *time.Duration
}

// SecretKeeps are the choices of SecretKeep, in the order the rotate form offers them.
var SecretKeeps = []SecretKeep{
	{"now", "Retire it now", durationPtr(0)},
	{"1h", "1 hour", durationPtr(time.Hour)},
	{"1d", "1 day", durationPtr(24 * time.Hour)},
	{"7d", "7 days", durationPtr(7 * 24 * time.Hour)},
	{"forever", "Until I retire it", nil},
}

// DefaultSecretKeep names the choice the rotate form starts with: long enough to redeploy.
const DefaultSecretKeep = "1d"

func durationPtr(d time.Duration) *time.Duration { return &d }

// SecretKeepNamed finds the choice named name; ok is false for any other name.
func SecretKeepNamed(name string) (k SecretKeep, ok bool) {
	for _, k := range SecretKeeps {
		if k.Name == name {
			return k, true
		}
	}
	return SecretKeep{}, false
}

// OldUntil is AddSecret's oldUntil for a rotation at now: nil keeps the working secrets until
// retired by hand, a zero time retires them at once, any other time is when they stop working.
func (k SecretKeep) OldUntil(now time.Time) *time.Time {
	switch {
	case k.keep == nil:
		return nil
	case *k.keep == 0:
		return &time.Time{}
	}
	until := now.UTC().Add(*k.keep)
	return &until
}

// MaxActiveSecrets is how many secrets a client may have working at once: enough to rotate
// without downtime, few enough to keep track of.
const MaxActiveSecrets = 2

// ErrTooManySecrets refuses a third active secret.
var ErrTooManySecrets = &Error{Code: ETooManySecrets, Message: "A client may have at most two active secrets: retire one first."}

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
		switch {
		case oldUntil != nil && oldUntil.IsZero():
			if err := tx.usableSecrets(ctx, clientID, now).Update("retired_at", now).Error; err != nil {
				return err
			}
		case oldUntil != nil:
			// Only secrets that would still work at oldUntil are cut short: one expiring sooner
			// keeps its earlier end.
			if err := tx.usableSecrets(ctx, clientID, now).Where(usableSecretSQL, *oldUntil).Update("expires_at", *oldUntil).Error; err != nil {
				return err
			}
		}
		var n int64
		if err := tx.usableSecrets(ctx, clientID, now).Count(&n).Error; err != nil {
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
	// Quiet: a last use changes nothing a client may do, and announcing it would empty the
	// token endpoint's client cache once an hour per secret.
	return quietClientWrite(s.q(ctx)).Model(&ClientSecret{}).Where("id = ?", secretID).Update("last_used_at", now).Error
}

func (s *Store) addSecret(ctx context.Context, clientID string) (string, error) {
	secret := NewToken("dps_")
	row := &ClientSecret{ClientID: clientID, Hash: HashToken(secret), Hint: secret[len(secret)-4:]}
	if err := s.q(ctx).Create(row).Error; err != nil {
		return "", err
	}
	return secret, nil
}
