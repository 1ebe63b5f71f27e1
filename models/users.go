package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"
)

// MinPasswordLength is the shortest password a person may choose.
const MinPasswordLength = 12

// User is a person with a login: a developer, an end user, an admin, or all three.
type User struct {
	ID           int64
	Email        string
	PasswordHash string `json:"-"`
	IsAdmin      bool
	DisabledAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// passwordParams are argon2id's RFC 9106 "second recommended" settings scaled to a 2-core server:
// 64 MiB and 1 pass cost about 40 ms here.
var passwordParams = &argon2id.Params{Memory: 64 * 1024, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// dummyHash is compared against when an email is unknown, so a failed login takes as long
// whether or not the account exists.
var dummyHash, _ = argon2id.CreateHash("devportal-timing-equaliser", passwordParams)

// NormalizeEmail is the form emails are stored and looked up in.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidateEmail reports whether email looks like an address a person could receive mail at.
func ValidateEmail(email string) error {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(email, " \t\r\n<>\"") || !strings.Contains(domain, ".") || len(email) > 254 {
		return errors.New("enter an email address like name@example.com")
	}
	return nil
}

// ValidatePassword enforces the password rules.
func ValidatePassword(password string) error {
	if len([]rune(password)) < MinPasswordLength {
		return errors.New("use at least 12 characters")
	}
	if len(password) > 1024 {
		return errors.New("use at most 1024 characters")
	}
	return nil
}

// CreateUser hashes the password with argon2id and stores a new user. A taken email returns
// ErrDuplicate.
func (s *Store) CreateUser(ctx context.Context, email, password string, admin bool) (*User, error) {
	email = NormalizeEmail(email)
	if err := ValidateEmail(email); err != nil {
		return nil, err
	}
	if err := ValidatePassword(password); err != nil {
		return nil, err
	}
	hash, err := argon2id.CreateHash(password, passwordParams)
	if err != nil {
		return nil, err
	}
	u := &User{Email: email, PasswordHash: hash, IsAdmin: admin}
	if err := s.q(ctx).Create(u).Error; err != nil {
		return nil, duplicate(err)
	}
	return u, nil
}

// Authenticate returns the user whose email and password match, ErrBadCredential when either is
// wrong (without saying which), or ErrDisabled.
func (s *Store) Authenticate(ctx context.Context, email, password string) (*User, error) {
	var u User
	err := s.q(ctx).Where("email = ?", NormalizeEmail(email)).Take(&u).Error
	if err != nil {
		if err = notFound(err); errors.Is(err, ErrNotFound) {
			_, _ = argon2id.ComparePasswordAndHash(password, dummyHash)
			return nil, ErrBadCredential
		}
		return nil, err
	}
	ok, err := argon2id.ComparePasswordAndHash(password, u.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrBadCredential
	}
	if u.DisabledAt != nil {
		return nil, ErrDisabled
	}
	return &u, nil
}

// UserByID loads one user.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	var u User
	if err := s.q(ctx).Take(&u, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// CountUsers tells whether the installation has anyone yet (serve prints first-run help).
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.q(ctx).Model(&User{}).Count(&n).Error
	return n, err
}
