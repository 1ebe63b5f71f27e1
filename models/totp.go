package models

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"gorm.io/gorm"
)

// TOTP parameters (RFC 6238 §4 and §5.2): 6 digits, 30-second steps, one step of clock drift
// accepted either side. These are what every authenticator app assumes.
const (
	TOTPIssuer = "devportal"
	TOTPPeriod = 30
	totpSkew   = 1
	// RecoveryCodeCount recovery codes are issued when two-factor is turned on.
	RecoveryCodeCount = 10
)

// The throttles of second-factor codes. They are separate from the password throttles: a
// person who knows the password must still not be able to try a million codes.
const (
	// OTPAccountMax wrong codes are allowed per account per OTPWindow, whatever the logins.
	OTPAccountMax = 10
	// OTPPendingMax wrong codes are allowed per pending login; after that the password must be
	// given again (and it has throttles of its own).
	OTPPendingMax = 5
	OTPWindow     = 15 * time.Minute
)

// Names of the second-factor throttles, in ThrottleError.Rule.
const (
	ThrottleOTPAccount = "otp_account"
	ThrottleOTPPending = "otp_pending"
)

// attemptOTP rows reuse login_attempts: email holds "user:<id>" (the account, stable across an
// email change) and ip holds the pending login's id, so both throttles have an index.
const attemptOTP = "otp"

var (
	otpPerAccount = throttle{ThrottleOTPAccount, attemptOTP, "email", OTPAccountMax, OTPWindow}
	otpPerPending = throttle{ThrottleOTPPending, attemptOTP, "ip", OTPPendingMax, OTPWindow}
)

// Errors of two-factor authentication.
var (
	// ErrBadCode is a wrong, expired or already used authentication or recovery code.
	ErrBadCode = ErrBadCredential.Describe("That code is not right. Check your authenticator app and try again.")
	// ErrTOTPEnabled refuses a set-up on an account that already has an authenticator.
	ErrTOTPEnabled = ErrDuplicate.Describe("Two-factor authentication is already on.")
)

// TOTPCredential is an account's authenticator. Secret is sealed (SealTOTPSecret).
type TOTPCredential struct {
	UserID       int64 `gorm:"primaryKey;autoIncrement:false"`
	Secret       []byte
	CreatedAt    time.Time
	EnabledAt    *time.Time // nil while the set-up waits for its first code
	LastUsedStep int64
}

// TableName is totp_credentials.
func (TOTPCredential) TableName() string { return "totp_credentials" }

// RecoveryCode is one single-use recovery code, stored as its SHA-256.
type RecoveryCode struct {
	ID        int64
	UserID    int64
	Hash      string
	CreatedAt time.Time
	UsedAt    *time.Time
}

// TOTPSetup is a pending authenticator as the set-up page shows it.
type TOTPSetup struct {
	Secret string // base32, as typed into an app
	URI    string // otpauth://totp/… for the QR code
}

// TOTPStatus is what the security page says about an account's second factor.
type TOTPStatus struct {
	Enabled       bool
	Pending       bool // a set-up was started and waits for its first code
	EnabledAt     time.Time
	RecoveryCodes int // unused ones left
}

// OTPAttempt names who is trying a code, for the throttles: the account, and the pending login
// (empty outside a login: turning two-factor on or off from the security page).
type OTPAttempt struct {
	UserID  int64
	Pending string
}

// Second factors a code can be, as VerifySecondFactor reports them.
const (
	FactorTOTP     = "totp"
	FactorRecovery = "recovery"
)

// sealTOTPSecret encrypts a TOTP secret with AES-GCM under key (DeriveKey(secret, "totp")). The
// user id is authenticated data, so a sealed secret cannot be moved to another account's row.
func sealTOTPSecret(key []byte, userID int64, secret string) ([]byte, error) {
	return seal(key, totpAAD(userID), []byte(secret))
}

func openTOTPSecret(key []byte, userID int64, sealed []byte) (string, error) {
	plain, err := unseal(key, totpAAD(userID), sealed)
	if errors.Is(err, errUnsealable) {
		return "", errors.New("a TOTP secret cannot be decrypted: is DEVPORTAL_SECRET the one it was created under?")
	}
	return string(plain), err
}

func totpAAD(userID int64) []byte { return []byte("totp:" + strconv.FormatInt(userID, 10)) }

// BeginTOTP starts (or restarts) setting up an authenticator for u: a new secret, stored sealed
// and not yet enabled, so the set-up survives the round trip without trusting the browser.
func (s *Store) BeginTOTP(ctx context.Context, key []byte, u *User) (*TOTPSetup, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: u.Email, Period: TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, err
	}
	sealed, err := sealTOTPSecret(key, u.ID, k.Secret())
	if err != nil {
		return nil, err
	}
	err = s.InTx(ctx, func(tx *Store) error {
		var cur TOTPCredential
		err := tx.forUpdate(ctx).Where("user_id = ?", u.ID).Take(&cur).Error
		switch {
		case err == nil && cur.EnabledAt != nil:
			return ErrTOTPEnabled
		case err == nil:
			return tx.q(ctx).Model(&cur).Updates(map[string]any{"secret": sealed, "created_at": time.Now().UTC()}).Error
		case errors.Is(err, gorm.ErrRecordNotFound):
			return duplicate(tx.q(ctx).Create(&TOTPCredential{UserID: u.ID, Secret: sealed, CreatedAt: time.Now().UTC()}).Error)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &TOTPSetup{Secret: k.Secret(), URI: totpURI(u.Email, k.Secret())}, nil
}

// PendingTOTP is u's set-up waiting for its first code; ErrNotFound when there is none.
func (s *Store) PendingTOTP(ctx context.Context, key []byte, u *User) (*TOTPSetup, error) {
	var cur TOTPCredential
	if err := s.q(ctx).Where("user_id = ? AND enabled_at IS NULL", u.ID).Take(&cur).Error; err != nil {
		return nil, notFound(err)
	}
	secret, err := openTOTPSecret(key, u.ID, cur.Secret)
	if err != nil {
		return nil, err
	}
	return &TOTPSetup{Secret: secret, URI: totpURI(u.Email, secret)}, nil
}

// totpURI is the Key URI Format authenticator apps read from the QR code (Google Authenticator's
// "Key Uri Format": label issuer:account, with the issuer repeated as a parameter).
func totpURI(account, secret string) string {
	q := url.Values{"secret": {secret}, "issuer": {TOTPIssuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {strconv.Itoa(TOTPPeriod)}}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + TOTPIssuer + ":" + account, RawQuery: q.Encode()}
	return u.String()
}

// TOTPStatus says whether userID has an authenticator (or a set-up under way) and how many
// recovery codes are left.
func (s *Store) TOTPStatus(ctx context.Context, userID int64) (TOTPStatus, error) {
	var st TOTPStatus
	var cur TOTPCredential
	err := s.q(ctx).Where("user_id = ?", userID).Take(&cur).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if cur.EnabledAt == nil {
		st.Pending = true
		return st, nil
	}
	st.Enabled, st.EnabledAt = true, *cur.EnabledAt
	var n int64
	err = s.q(ctx).Model(&RecoveryCode{}).Where("user_id = ? AND used_at IS NULL", userID).Count(&n).Error
	st.RecoveryCodes = int(n)
	return st, err
}

// TOTPEnabledUsers reports which of ids have two-factor authentication on (one primary-key
// look-up per page of the admin list).
func (s *Store) TOTPEnabledUsers(ctx context.Context, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var on []int64
	err := s.q(ctx).Model(&TOTPCredential{}).Where("user_id IN ? AND enabled_at IS NOT NULL", ids).Pluck("user_id", &on).Error
	for _, id := range on {
		out[id] = true
	}
	return out, err
}

// EnableTOTP turns on the set-up begun by BeginTOTP once code (from the app) matches it, and
// returns the new recovery codes: the only time they exist in the clear.
func (s *Store) EnableTOTP(ctx context.Context, key []byte, userID int64, code string, now time.Time) ([]string, error) {
	var codes []string
	err := s.underOTPThrottle(ctx, OTPAttempt{UserID: userID}, func() error {
		return s.InTx(ctx, func(tx *Store) error {
			var cur TOTPCredential
			if err := tx.forUpdate(ctx).Where("user_id = ?", userID).Take(&cur).Error; err != nil {
				return notFound(err)
			}
			if cur.EnabledAt != nil {
				return ErrTOTPEnabled
			}
			step, err := matchTOTP(key, &cur, code, now)
			if err != nil {
				return err
			}
			res := tx.q(ctx).Model(&TOTPCredential{}).Where("user_id = ? AND enabled_at IS NULL", userID).
				Updates(map[string]any{"enabled_at": now.UTC(), "last_used_step": step})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return ErrTOTPEnabled
			}
			codes, err = tx.replaceRecoveryCodes(ctx, userID)
			return err
		})
	})
	return codes, err
}

// VerifySecondFactor checks a login's second factor: a current TOTP code, or an unused recovery
// code, which is then spent. It reports which it was (FactorTOTP or FactorRecovery). Wrong codes
// count against the throttles of the account and of the pending login.
func (s *Store) VerifySecondFactor(ctx context.Context, key []byte, a OTPAttempt, code string, now time.Time) (string, error) {
	var factor string
	err := s.underOTPThrottle(ctx, a, func() error {
		var err error
		factor, err = s.useSecondFactor(ctx, key, a.UserID, code, now)
		return err
	})
	return factor, err
}

// DisableTOTP turns two-factor authentication off for userID, which takes a fresh code (TOTP,
// or a recovery code for someone who lost their app), under the account's throttle.
func (s *Store) DisableTOTP(ctx context.Context, key []byte, userID int64, code string, now time.Time) error {
	return s.underOTPThrottle(ctx, OTPAttempt{UserID: userID}, func() error {
		return s.InTx(ctx, func(tx *Store) error {
			if _, err := tx.useSecondFactor(ctx, key, userID, code, now); err != nil {
				return err
			}
			return tx.ResetTOTP(ctx, userID)
		})
	})
}

// RegenerateRecoveryCodes replaces userID's recovery codes once a current TOTP code is given.
func (s *Store) RegenerateRecoveryCodes(ctx context.Context, key []byte, userID int64, code string, now time.Time) ([]string, error) {
	if !isTOTPCode(code) {
		return nil, ErrBadCode.Describe("Enter the 6-digit code from your authenticator app.")
	}
	var codes []string
	err := s.underOTPThrottle(ctx, OTPAttempt{UserID: userID}, func() error {
		return s.InTx(ctx, func(tx *Store) error {
			if _, err := tx.useSecondFactor(ctx, key, userID, code, now); err != nil {
				return err
			}
			var err error
			codes, err = tx.replaceRecoveryCodes(ctx, userID)
			return err
		})
	})
	return codes, err
}

// ResetTOTP removes userID's authenticator and recovery codes (turning two-factor off, or an
// administrator's reset for someone who lost both). ErrNotFound when there was nothing to remove.
func (s *Store) ResetTOTP(ctx context.Context, userID int64) error {
	res := s.q(ctx).Where("user_id = ?", userID).Delete(&TOTPCredential{})
	if res.Error != nil {
		return res.Error
	}
	if err := s.q(ctx).Where("user_id = ?", userID).Delete(&RecoveryCode{}).Error; err != nil {
		return err
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// useSecondFactor accepts a current TOTP code of userID's enabled authenticator (moving
// last_used_step past it, so it cannot be used again) or spends an unused recovery code.
func (s *Store) useSecondFactor(ctx context.Context, key []byte, userID int64, code string, now time.Time) (string, error) {
	if isTOTPCode(code) {
		var cur TOTPCredential
		if err := s.q(ctx).Where("user_id = ? AND enabled_at IS NOT NULL", userID).Take(&cur).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return "", ErrBadCode
			}
			return "", err
		}
		step, err := matchTOTP(key, &cur, code, now)
		if err != nil {
			return "", err
		}
		// The condition makes the step single-use even between concurrent requests (RFC 6238
		// §5.2: a verifier must not accept the second attempt of the same OTP).
		res := s.q(ctx).Model(&TOTPCredential{}).Where("user_id = ? AND last_used_step < ?", userID, step).Update("last_used_step", step)
		if res.Error != nil {
			return "", res.Error
		}
		if res.RowsAffected != 1 {
			return "", ErrBadCode
		}
		return FactorTOTP, nil
	}
	normal := normalizeRecoveryCode(code)
	if len(normal) != recoveryCodeLength {
		return "", ErrBadCode
	}
	res := s.q(ctx).Model(&RecoveryCode{}).Where("user_id = ? AND hash = ? AND used_at IS NULL", userID, HashToken(normal)).Update("used_at", now.UTC())
	if res.Error != nil {
		return "", res.Error
	}
	if res.RowsAffected != 1 {
		return "", ErrBadCode
	}
	return FactorRecovery, nil
}

// matchTOTP finds the time step, within the accepted drift and after the last one used, whose
// code is code; ErrBadCode when none is.
func matchTOTP(key []byte, cur *TOTPCredential, code string, now time.Time) (int64, error) {
	if !isTOTPCode(code) {
		return 0, ErrBadCode
	}
	secret, err := openTOTPSecret(key, cur.UserID, cur.Secret)
	if err != nil {
		return 0, err
	}
	code = strings.TrimSpace(code)
	opts := totp.ValidateOpts{Period: TOTPPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	step := now.Unix() / TOTPPeriod
	matched := int64(0)
	for s := step - totpSkew; s <= step+totpSkew; s++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*TOTPPeriod, 0).UTC(), opts)
		if err != nil {
			return 0, err
		}
		// Every step is compared, in constant time, so timing says nothing about which matched.
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && s > cur.LastUsedStep && matched == 0 {
			matched = s
		}
	}
	if matched == 0 {
		return 0, ErrBadCode
	}
	return matched, nil
}

// isTOTPCode reports whether code looks like a TOTP code: six digits (spaces around allowed).
func isTOTPCode(code string) bool {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Recovery codes are ten characters from an alphabet without look-alikes (about 49 bits), shown
// as xxxxx-xxxxx; case, spaces and hyphens do not matter when one is typed.
const (
	recoveryAlphabet   = "abcdefghjkmnpqrstuvwxyz23456789"
	recoveryCodeLength = 10
)

// ValidSecondFactorInput reports whether code could be a TOTP code or a recovery code at all, so
// input nothing can match is refused before it costs an attempt.
func ValidSecondFactorInput(code string) bool {
	return isTOTPCode(code) || len(normalizeRecoveryCode(code)) == recoveryCodeLength
}

func normalizeRecoveryCode(code string) string {
	if len(code) > 64 {
		return ""
	}
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch {
		case r == '-' || r == ' ':
		case strings.ContainsRune(recoveryAlphabet, r):
			b.WriteRune(r)
		default:
			return ""
		}
	}
	return b.String()
}

func newRecoveryCode() string {
	var b strings.Builder
	n := big.NewInt(int64(len(recoveryAlphabet)))
	for i := range recoveryCodeLength {
		if i == recoveryCodeLength/2 {
			b.WriteByte('-')
		}
		j, err := rand.Int(rand.Reader, n)
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		b.WriteByte(recoveryAlphabet[j.Int64()])
	}
	return b.String()
}

// replaceRecoveryCodes drops userID's recovery codes and stores RecoveryCodeCount new ones,
// hashed; it returns them in the clear for the one page that shows them.
func (s *Store) replaceRecoveryCodes(ctx context.Context, userID int64) ([]string, error) {
	if err := s.q(ctx).Where("user_id = ?", userID).Delete(&RecoveryCode{}).Error; err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	codes := make([]string, 0, RecoveryCodeCount)
	rows := make([]RecoveryCode, 0, RecoveryCodeCount)
	for len(codes) < RecoveryCodeCount {
		c := newRecoveryCode()
		codes = append(codes, c)
		rows = append(rows, RecoveryCode{UserID: userID, Hash: HashToken(normalizeRecoveryCode(c)), CreatedAt: now})
	}
	if err := s.q(ctx).Create(&rows).Error; err != nil {
		return nil, duplicate(err)
	}
	return codes, nil
}

// underOTPThrottle runs check as one attempt against the second-factor throttles: refused with a
// *ThrottleError when the account (or the pending login) has used up its wrong codes. A wrong
// code (ErrBadCode) counts; anything else, success included, does not.
func (s *Store) underOTPThrottle(ctx context.Context, a OTPAttempt, check func() error) error {
	throttles := []throttle{otpPerAccount}
	if a.Pending != "" {
		throttles = append(throttles, otpPerPending)
	}
	row, err := s.reserve(ctx, &LoginAttempt{Kind: attemptOTP, Email: "user:" + strconv.FormatInt(a.UserID, 10), IP: a.Pending}, throttles...)
	if err != nil {
		return err
	}
	err = check()
	if errors.Is(err, ErrBadCredential) {
		return err
	}
	if ferr := s.forgetAttempt(ctx, row); ferr != nil && err == nil {
		return ferr
	}
	return err
}
