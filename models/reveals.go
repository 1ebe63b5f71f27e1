package models

import (
	"context"
	"errors"
	"time"
)

// Purposes of a reveal, each with what its subject names.
const (
	RevealClientSecret  = "client_secret"  // a new client secret; subject: the client id
	RevealRecoveryCodes = "recovery_codes" // fresh recovery codes (JSON list); subject: the user id
)

// RevealTTL is how long a reveal waits for the page that shows it: the redirect after the POST
// takes a moment, so a few minutes cover a slow network without keeping a secret around.
const RevealTTL = 5 * time.Minute

// Reveal is a secret made by a POST, sealed, waiting for the one GET that shows it (the post /
// redirect / get pattern: the POST answers 303, so a reload repeats nothing and shows nothing).
type Reveal struct {
	ID         string
	SessionSID string `gorm:"column:session_sid"`
	Purpose    string
	Subject    string
	Payload    []byte // AES-GCM under the reveal key; the row's identity is authenticated data
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// TableName is the reveals table.
func (Reveal) TableName() string { return "reveals" }

// PutReveal keeps payload for the session sid until now+RevealTTL, sealed with key
// (DeriveKey(secret, "reveal")). An earlier reveal of the same purpose and subject for that
// session is replaced: only the newest secret still means anything.
func (s *Store) PutReveal(ctx context.Context, key []byte, sid, purpose, subject string, payload []byte, now time.Time) error {
	if sid == "" || purpose == "" || subject == "" {
		return errors.New("models: a reveal needs a session, a purpose and a subject")
	}
	r := &Reveal{ID: NewID(16), SessionSID: sid, Purpose: purpose, Subject: subject, CreatedAt: now.UTC(), ExpiresAt: now.UTC().Add(RevealTTL)}
	sealed, err := sealReveal(key, r, payload)
	if err != nil {
		return err
	}
	r.Payload = sealed
	return s.InTx(ctx, func(tx *Store) error {
		if err := tx.q(ctx).Where("session_sid = ? AND purpose = ? AND subject = ?", sid, purpose, subject).Delete(&Reveal{}).Error; err != nil {
			return err
		}
		return tx.q(ctx).Create(r).Error
	})
}

// TakeReveal returns and deletes the reveal of purpose and subject kept for the session sid,
// or ErrNotFound when there is none that has not expired at now. Read and delete are one
// transaction and only the request whose DELETE removed the row gets the payload, so two
// concurrent page loads never both show it.
func (s *Store) TakeReveal(ctx context.Context, key []byte, sid, purpose, subject string, now time.Time) ([]byte, error) {
	var payload []byte
	err := s.InTx(ctx, func(tx *Store) error {
		var r Reveal
		err := tx.q(ctx).Where("session_sid = ? AND purpose = ? AND subject = ? AND expires_at > ?", sid, purpose, subject, now.UTC()).
			Order("created_at DESC").Take(&r).Error
		if err != nil {
			return notFound(err)
		}
		res := tx.q(ctx).Where("id = ?", r.ID).Delete(&Reveal{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotFound
		}
		payload, err = openReveal(key, &r)
		return err
	})
	return payload, err
}

// revealAAD binds a sealed payload to its row, so it cannot be moved to another session,
// purpose or subject.
func revealAAD(r *Reveal) []byte {
	return []byte("reveal:" + r.ID + ":" + r.SessionSID + ":" + r.Purpose + ":" + r.Subject)
}

func sealReveal(key []byte, r *Reveal, payload []byte) ([]byte, error) {
	return seal(key, revealAAD(r), payload)
}

func openReveal(key []byte, r *Reveal) ([]byte, error) {
	plain, err := unseal(key, revealAAD(r), r.Payload)
	if errors.Is(err, errUnsealable) {
		return nil, errors.New("a reveal cannot be decrypted: is DEVPORTAL_SECRET the one it was sealed under?")
	}
	return plain, err
}
