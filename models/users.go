package models

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MinPasswordLength is the shortest password a person may choose.
const MinPasswordLength = 12

// User is a person with a login: a developer, an end user, an admin, or all three.
type User struct {
	ID    int64
	Email string
	// Subject is the account's OpenID Connect sub (and every token's sub): random, opaque,
	// never reused, so relying parties can key on it without learning the email or the row.
	Subject      string
	DisplayName  string
	PasswordHash string `json:"-"`
	IsAdmin      bool
	DisabledAt   *time.Time
	// EmailVerifiedAt is when the account's current email was proven by a mailed link (nil:
	// never); OpenID's email_verified follows it.
	EmailVerifiedAt *time.Time
	// VerifiedPublisherAt is when an admin marked the developer a verified publisher (nil:
	// not one); consent pages show it.
	VerifiedPublisherAt *time.Time
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// NormalizeEmail is the form emails are stored and looked up in.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidateEmail reports whether email looks like an address a person could receive mail at (an
// EInvalid error whose message is for people otherwise). It
// is checked before an email is stored, looked up or written to the audit log, so it also keeps
// out what PostgreSQL cannot store (NUL, invalid UTF-8) and what would garble a log line.
func ValidateEmail(email string) error {
	if len(email) > MaxEmailLength {
		return invalidf("Use an email address of at most %d characters.", MaxEmailLength)
	}
	// NormalizeEmail turns invalid UTF-8 into U+FFFD, so that is refused too.
	if !utf8.ValidString(email) || strings.ContainsFunc(email, func(r rune) bool { return unicode.IsControl(r) || r == utf8.RuneError }) {
		return invalidf("An email address cannot contain control characters or invalid text.")
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(email, " <>\"") || !strings.Contains(domain, ".") {
		return invalidf("Enter an email address like name@example.com.")
	}
	return nil
}

// ValidatePassword enforces the password rules; an EInvalid error says which one is broken.
func ValidatePassword(password string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return invalidf("Choose another password: use at least %d characters.", MinPasswordLength)
	}
	if len(password) > MaxPasswordLength {
		return invalidf("Choose another password: use at most %d characters.", MaxPasswordLength)
	}
	if strings.TrimFunc(password, unicode.IsSpace) == "" {
		return invalidf("Choose another password: use something other than spaces.")
	}
	return nil
}

// CreateUser hashes the password with argon2id and stores a new user without a display name. A
// taken email returns ErrDuplicate.
func (s *Store) CreateUser(ctx context.Context, email, password string, admin bool) (*User, error) {
	return s.CreateAccount(ctx, NewUser{Email: email, Password: password, Admin: admin})
}

// NewUser is an account to create: by sign-up, from the command line, or in a test.
type NewUser struct {
	Email    string
	Password string
	Name     string // the display name (OpenID name claim); optional
	Admin    bool
}

// CreateAccount validates and stores a new user, its display name in the same insert, so an
// account never exists without the name it was created with. A taken email returns ErrDuplicate.
func (s *Store) CreateAccount(ctx context.Context, in NewUser) (*User, error) {
	email := NormalizeEmail(in.Email)
	if err := ValidateEmail(email); err != nil {
		return nil, err
	}
	if err := ValidatePassword(in.Password); err != nil {
		return nil, err
	}
	name, err := ValidateDisplayName(in.Name)
	if err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	u := &User{Email: email, Subject: NewID(16), DisplayName: name, PasswordHash: hash, IsAdmin: in.Admin}
	if err := s.q(ctx).Create(u).Error; err != nil {
		return nil, duplicate(err)
	}
	return u, nil
}

// Authenticate returns the user whose email and password match, ErrBadCredential when either is
// wrong (without saying which), or ErrDisabled.
// Input no account can match is refused before any query or hash. ErrBusy means the
// password could not be checked in time.
func (s *Store) Authenticate(ctx context.Context, email, password string) (*User, error) {
	email = NormalizeEmail(email)
	if ValidateEmail(email) != nil || len(password) > MaxPasswordLength {
		return nil, ErrBadCredential
	}
	var u User
	err := s.q(ctx).Where("email = ?", email).Take(&u).Error
	if err != nil {
		if err = notFound(err); errors.Is(err, ErrNotFound) {
			if _, err := s.checkPassword(ctx, password, dummyHash); errors.Is(err, ErrBusy) {
				return nil, err
			}
			return nil, ErrBadCredential
		}
		return nil, err
	}
	ok, err := s.checkPassword(ctx, password, u.PasswordHash)
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

// ValidateDisplayName trims a display name and checks it: at most MaxDisplayNameLength
// characters, no control characters. Empty is allowed (the name is optional).
func ValidateDisplayName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxDisplayNameLength {
		return "", invalidf("Use a name of at most %d characters.", MaxDisplayNameLength)
	}
	if !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == utf8.RuneError }) {
		return "", invalidf("A name cannot contain control characters or invalid text.")
	}
	return name, nil
}

// SetDisplayName changes a user's display name (validated with ValidateDisplayName); updated_at
// moves with it, since it is the OpenID updated_at claim.
func (s *Store) SetDisplayName(ctx context.Context, userID int64, name string) error {
	name, err := ValidateDisplayName(name)
	if err != nil {
		return err
	}
	res := s.q(ctx).Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"display_name": name, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// UserByEmail loads the user with email (normalised first); ErrNotFound when there is none.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	email = NormalizeEmail(email)
	if err := ValidateEmail(email); err != nil {
		return nil, err
	}
	var u User
	if err := s.q(ctx).Where("email = ?", email).Take(&u).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// UserBySubject loads the user whose OpenID subject is sub (the unique index on subject).
func (s *Store) UserBySubject(ctx context.Context, sub string) (*User, error) {
	var u User
	if err := s.q(ctx).Where("subject = ?", sub).Take(&u).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}
