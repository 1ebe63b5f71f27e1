package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// Purposes of account tokens: what a mailed link does when it is opened.
const (
	PurposeVerifyEmail   = "verify_email"   // proves the account's current address
	PurposeChangeEmail   = "change_email"   // proves a new address, which then replaces the old
	PurposeResetPassword = "reset_password" // lets the person choose a new password
)

// Lifetimes of the mailed links, and how many of each an account is sent per hour (each mail
// costs the recipient attention and the server its mail quota, so a form cannot be used to
// flood an inbox).
const (
	VerifyEmailTTL    = 24 * time.Hour
	ResetPasswordTTL  = 30 * time.Minute
	AccountMailMax    = 3 // links of one purpose per account per AccountMailWindow
	AccountMailWindow = time.Hour
	// ResetIPMax password-reset requests are allowed from one IP address per ResetIPWindow,
	// whatever the addresses, so the form cannot be used to probe for accounts at speed.
	ResetIPMax    = 10
	ResetIPWindow = time.Hour
)

// ThrottleResetIP is the rule of the password-reset requests per IP address.
const ThrottleResetIP = "reset_ip"

const attemptReset = "reset"

var resetPerIP = throttle{ThrottleResetIP, attemptReset, "ip", ResetIPMax, ResetIPWindow}

// ErrLinkInvalid is a mailed link that is unknown, used, expired or superseded; people are
// told the same in every case, since the difference helps nobody but an attacker.
var ErrLinkInvalid = &Error{Code: ELinkInvalid, Message: "This link is invalid, expired or already used. Ask for a new one."}

// ErrTooManyMails says the account was sent AccountMailMax links of that kind within the window.
var ErrTooManyMails = &Error{Code: EThrottled, Message: "We already sent several links in the last hour. Check your inbox (and spam folder), or try again later."}

// AccountToken is a single-use link mailed to a person. Only the SHA-256 of the token is kept.
type AccountToken struct {
	Hash      string `gorm:"primaryKey"`
	UserID    int64
	Purpose   string
	Email     string // the address the link proves
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

func tokenPrefix(purpose string) string {
	if purpose == PurposeResetPassword {
		return "dpp_"
	}
	return "dpe_"
}

func tokenTTL(purpose string) time.Duration {
	if purpose == PurposeResetPassword {
		return ResetPasswordTTL
	}
	return VerifyEmailTTL
}

// IssueAccountToken creates a link token of purpose for user, proving email, and returns it in
// clear (to be mailed, never stored). It is refused with ErrTooManyMails when the account was
// already sent AccountMailMax of them within AccountMailWindow. A new reset link retires every
// older unused one, so only the latest mail works. Call it in the transaction that queues the
// mail.
func (s *Store) IssueAccountToken(ctx context.Context, userID int64, purpose, email string, now time.Time) (string, error) {
	now = now.UTC()
	var n int64
	if err := s.q(ctx).Model(&AccountToken{}).Where("user_id = ? AND purpose = ? AND created_at > ?", userID, purpose, now.Add(-AccountMailWindow)).Count(&n).Error; err != nil {
		return "", err
	}
	if n >= AccountMailMax {
		return "", ErrTooManyMails
	}
	if purpose == PurposeResetPassword {
		if err := s.q(ctx).Model(&AccountToken{}).Where("user_id = ? AND purpose = ? AND used_at IS NULL", userID, purpose).Update("used_at", now).Error; err != nil {
			return "", err
		}
	}
	token := NewToken(tokenPrefix(purpose))
	row := &AccountToken{Hash: HashToken(token), UserID: userID, Purpose: purpose, Email: NormalizeEmail(email), CreatedAt: now, ExpiresAt: now.Add(tokenTTL(purpose))}
	if err := s.q(ctx).Create(row).Error; err != nil {
		return "", err
	}
	return token, nil
}

// peekAccountToken loads the usable token of purpose, or ErrLinkInvalid.
func (s *Store) peekAccountToken(ctx context.Context, token, purpose string, now time.Time) (*AccountToken, error) {
	if len(token) > 100 || token == "" {
		return nil, ErrLinkInvalid
	}
	var t AccountToken
	err := s.q(ctx).Where("hash = ?", HashToken(token)).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrLinkInvalid
	}
	if err != nil {
		return nil, err
	}
	if t.Purpose != purpose || t.UsedAt != nil || !now.Before(t.ExpiresAt) {
		return nil, ErrLinkInvalid
	}
	return &t, nil
}

// takeAccountToken spends the token: the conditional update lets exactly one of any number of
// concurrent uses win, on every instance, without a lock. Call it in the transaction of the
// link's effect, so a failed effect leaves the link usable.
func (s *Store) takeAccountToken(ctx context.Context, token, purpose string, now time.Time) (*AccountToken, error) {
	t, err := s.peekAccountToken(ctx, token, purpose, now)
	if err != nil {
		return nil, err
	}
	res := s.q(ctx).Model(&AccountToken{}).Where("hash = ? AND used_at IS NULL", t.Hash).Update("used_at", now)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected != 1 {
		return nil, ErrLinkInvalid
	}
	return t, nil
}

// CheckAccountToken tells whether token is a usable link of purpose (the reset page checks it
// before showing the form); it spends nothing.
func (s *Store) CheckAccountToken(ctx context.Context, token, purpose string, now time.Time) (*AccountToken, error) {
	return s.peekAccountToken(ctx, token, purpose, now.UTC())
}

// VerifyEmail spends a verification link and marks the account's email verified, provided the
// account still has the address the link was sent to (an older link proves an older address).
func (s *Store) VerifyEmail(ctx context.Context, token string, now time.Time) (*User, error) {
	now = now.UTC()
	var u *User
	err := s.InTx(ctx, func(tx *Store) error {
		t, err := tx.takeAccountToken(ctx, token, PurposeVerifyEmail, now)
		if err != nil {
			return err
		}
		res := tx.q(ctx).Model(&User{}).Where("id = ? AND email = ?", t.UserID, t.Email).Updates(map[string]any{"email_verified_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrLinkInvalid
		}
		u, err = tx.UserByID(ctx, t.UserID)
		return err
	})
	return u, err
}

// ChangeEmail spends an email-change link: the account's email becomes the address the link
// was sent to, verified. It returns the account and its previous address; ErrDuplicate when
// another account took the address meanwhile (the link stays unused).
func (s *Store) ChangeEmail(ctx context.Context, token string, now time.Time) (*User, string, error) {
	now = now.UTC()
	var u *User
	var old string
	err := s.InTx(ctx, func(tx *Store) error {
		t, err := tx.takeAccountToken(ctx, token, PurposeChangeEmail, now)
		if err != nil {
			return err
		}
		prev, err := tx.UserByID(ctx, t.UserID)
		if err != nil {
			return err
		}
		old = prev.Email
		if err := tx.q(ctx).Model(&User{}).Where("id = ?", t.UserID).Updates(map[string]any{"email": t.Email, "email_verified_at": now, "updated_at": now}).Error; err != nil {
			return duplicate(err)
		}
		u, err = tx.UserByID(ctx, t.UserID)
		return err
	})
	return u, old, err
}

// ResetPassword spends a reset link and sets the account's password. It also ends every
// session of the account (whoever knew the old password may hold one), clears the failed
// logins that throttle its email (so a locked-out owner can log in at once), and marks the
// email verified (the link reached it).
func (s *Store) ResetPassword(ctx context.Context, token, password string, now time.Time) (*User, error) {
	now = now.UTC()
	if err := ValidatePassword(password); err != nil {
		return nil, err
	}
	// Checked before the costly hash, so a dead link costs no hashing slot.
	if _, err := s.peekAccountToken(ctx, token, PurposeResetPassword, now); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	var u *User
	err = s.InTx(ctx, func(tx *Store) error {
		t, err := tx.takeAccountToken(ctx, token, PurposeResetPassword, now)
		if err != nil {
			return err
		}
		if err := tx.q(ctx).Model(&User{}).Where("id = ?", t.UserID).Updates(map[string]any{"password_hash": hash, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := tx.q(ctx).Model(&User{}).Where("id = ? AND email = ? AND email_verified_at IS NULL", t.UserID, t.Email).Update("email_verified_at", now).Error; err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, t.UserID); err != nil {
			return err
		}
		if u, err = tx.UserByID(ctx, t.UserID); err != nil {
			return err
		}
		return tx.UnlockLogin(ctx, u.Email)
	})
	return u, err
}

// UnlockLogin forgets the failed logins of email, so the per-account login throttle lets it
// in again at once (an admin's "Unlock", or a password reset).
func (s *Store) UnlockLogin(ctx context.Context, email string) error {
	return s.q(ctx).Where("kind = ? AND email = ?", attemptLogin, NormalizeEmail(email)).Delete(&LoginAttempt{}).Error
}

// ReserveResetRequest counts a password-reset request from ip against ResetIPMax per
// ResetIPWindow; a *ThrottleError refuses it. Known and unknown addresses count alike.
func (s *Store) ReserveResetRequest(ctx context.Context, ip string) error {
	_, err := s.reserve(ctx, &LoginAttempt{Kind: attemptReset, IP: ip}, resetPerIP)
	return err
}

// SetVerifiedPublisher marks (or unmarks) a developer as a verified publisher, shown on the
// consent pages of their applications.
func (s *Store) SetVerifiedPublisher(ctx context.Context, id int64, verified bool) error {
	var value any
	if verified {
		value = time.Now().UTC()
	}
	return s.updateUser(ctx, id, "verified_publisher_at", value)
}
