package models

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// MaxPasskeyName is the longest name a person may give a passkey, in characters.
const MaxPasskeyName = 64

// MaxPasskeysPerUser bounds how many passkeys one account may register, so the list (and the
// exclude list sent with every registration) stays small.
const MaxPasskeysPerUser = 20

// Passkey is a WebAuthn credential registered to an account: its public key and the state
// later assertions are checked against.
type Passkey struct {
	ID                int64
	UserID            int64
	CredentialID      []byte
	PublicKey         []byte
	SignCount         int64
	Transports        string // comma-separated AuthenticatorTransport values
	AAGUID            []byte `gorm:"column:aaguid"`
	Flags             int    // the authenticator flags byte recorded at registration
	AttestationType   string
	AttestationFormat string
	Name              string
	CreatedAt         time.Time
	LastUsedAt        *time.Time
}

// ErrSignCount refuses an assertion whose signature counter did not move past the stored one:
// a sign that the credential may have been cloned (WebAuthn §6.1.1).
var ErrSignCount = &Error{Code: EBadCredential, Message: "This passkey's signature counter went backwards, so it was refused. Remove it and add it again."}

// ErrTooManyPasskeys refuses a registration past MaxPasskeysPerUser.
var ErrTooManyPasskeys = &Error{Code: EInvalid, Message: "This account already has as many passkeys as it may have. Remove one first."}

// ValidatePasskeyName trims name and checks it is 1 to MaxPasskeyName printable characters.
func ValidatePasskeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", invalidf("Give the passkey a name.")
	}
	if !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == utf8.RuneError }) {
		return "", invalidf("A passkey name cannot contain control characters or invalid text.")
	}
	if utf8.RuneCountInString(name) > MaxPasskeyName {
		return "", invalidf("Use a passkey name of at most %d characters.", MaxPasskeyName)
	}
	return name, nil
}

// AddPasskey stores a newly registered passkey (its name validated). A credential id already
// registered, to this account or another, returns ErrDuplicate.
func (s *Store) AddPasskey(ctx context.Context, p *Passkey) error {
	name, err := ValidatePasskeyName(p.Name)
	if err != nil {
		return err
	}
	p.Name = name
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Now().UTC()
	}
	return s.transaction(ctx, s.q(ctx), func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Passkey{}).Where("user_id = ?", p.UserID).Count(&n).Error; err != nil {
			return err
		}
		if n >= MaxPasskeysPerUser {
			return ErrTooManyPasskeys
		}
		return duplicate(tx.Create(p).Error)
	})
}

// UserPasskeys lists an account's passkeys, oldest first.
func (s *Store) UserPasskeys(ctx context.Context, userID int64) ([]Passkey, error) {
	var out []Passkey
	err := s.q(ctx).Where("user_id = ?", userID).Order("id").Limit(MaxPasskeysPerUser).Find(&out).Error
	return out, err
}

// PasskeyOf loads userID's passkey id; ErrNotFound when it is not theirs.
func (s *Store) PasskeyOf(ctx context.Context, userID, id int64) (*Passkey, error) {
	var p Passkey
	if err := s.q(ctx).Where("id = ? AND user_id = ?", id, userID).Take(&p).Error; err != nil {
		return nil, notFound(err)
	}
	return &p, nil
}

// RenamePasskey renames userID's passkey id; ErrNotFound when it is not theirs.
func (s *Store) RenamePasskey(ctx context.Context, userID, id int64, name string) error {
	name, err := ValidatePasskeyName(name)
	if err != nil {
		return err
	}
	res := s.q(ctx).Model(&Passkey{}).Where("id = ? AND user_id = ?", id, userID).Update("name", name)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// RemovePasskey deletes userID's passkey id; ErrNotFound when it is not theirs.
func (s *Store) RemovePasskey(ctx context.Context, userID, id int64) error {
	res := s.q(ctx).Where("id = ? AND user_id = ?", id, userID).Delete(&Passkey{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// UsePasskey records a verified assertion of passkey id: its new signature counter and the time.
// The counter must grow (or stay zero, for authenticators that keep none, WebAuthn §6.1.1);
// the check is in the UPDATE itself, so two concurrent uses of one assertion cannot both pass.
// ErrSignCount otherwise.
func (s *Store) UsePasskey(ctx context.Context, id int64, signCount uint32, now time.Time) error {
	c := int64(signCount)
	res := s.q(ctx).Model(&Passkey{}).
		Where("id = ? AND (sign_count < ? OR (sign_count = 0 AND ? = 0))", id, c, c).
		Updates(map[string]any{"sign_count": c, "last_used_at": now.UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrSignCount
	}
	return nil
}

// WebAuthnSession is a ceremony between begin and finish (the webauthn_sessions table).
type WebAuthnSession struct {
	ID        string // HashToken of the token the browser holds
	Kind      string
	UserID    *int64
	Data      string
	ExpiresAt time.Time
}

// TableName is the ceremonies' table.
func (WebAuthnSession) TableName() string { return "webauthn_sessions" }

// BeginWebAuthn stores a ceremony's data (JSON) of kind ("register", "login", …) for userID (0:
// nobody yet, a passkey sign-in) until now+ttl, and returns the token that finishes it.
func (s *Store) BeginWebAuthn(ctx context.Context, kind string, userID int64, data string, ttl time.Duration, now time.Time) (string, error) {
	token := NewToken("")
	w := &WebAuthnSession{ID: HashToken(token), Kind: kind, Data: data, ExpiresAt: now.UTC().Add(ttl)}
	if userID != 0 {
		w.UserID = &userID
	}
	if err := s.q(ctx).Create(w).Error; err != nil {
		return "", err
	}
	return token, nil
}

// TakeWebAuthn consumes the ceremony token of kind: it is deleted whatever happens next, so a
// ceremony finishes at most once. ErrNotFound when the token is unknown, already used,
// expired or of another kind; the user id is 0 for a ceremony begun by nobody.
func (s *Store) TakeWebAuthn(ctx context.Context, token, kind string, now time.Time) (userID int64, data string, err error) {
	var w WebAuthnSession
	if err := s.q(ctx).Where("id = ?", HashToken(token)).Take(&w).Error; err != nil {
		return 0, "", notFound(err)
	}
	// Only the request whose DELETE removed the row may use it: a concurrent replay loses here.
	res := s.q(ctx).Where("id = ?", w.ID).Delete(&WebAuthnSession{})
	if res.Error != nil {
		return 0, "", res.Error
	}
	if res.RowsAffected == 0 || w.Kind != kind || !now.Before(w.ExpiresAt) {
		return 0, "", ErrNotFound
	}
	if w.UserID != nil {
		userID = *w.UserID
	}
	return userID, w.Data, nil
}
