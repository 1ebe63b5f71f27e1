package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The throttles of logins and sign-ups. Each allows a number of attempts in any sliding window;
// beyond it an attempt is refused before any password is hashed. The counts live in the
// database, so every instance sees the same ones.
const (
	// LoginEmailMax failed logins to one account are allowed per LoginEmailWindow, from anywhere.
	LoginEmailMax    = 10
	LoginEmailWindow = 15 * time.Minute
	// LoginIPMax failed logins from one IP address are allowed per LoginIPWindow, whatever the
	// accounts, so trying one password against many accounts is bounded too.
	LoginIPMax    = 50
	LoginIPWindow = 15 * time.Minute
	// SignupIPMax sign-ups from one IP address are allowed per SignupIPWindow.
	SignupIPMax    = 10
	SignupIPWindow = time.Hour
)

// Names of the throttles, in ThrottleError.Rule.
const (
	ThrottleLoginEmail = "login_email"
	ThrottleLoginIP    = "login_ip"
	ThrottleSignupIP   = "signup_ip"
)

// attemptRetention is how long an attempt can still count towards some throttle.
const attemptRetention = max(LoginEmailWindow, LoginIPWindow, SignupIPWindow)

const (
	attemptLogin  = "login"
	attemptSignup = "signup"
)

// LoginAttempt is a login or sign-up attempt reserved against the throttles. A failed login's
// row stays until it leaves every window; a successful login's is removed.
type LoginAttempt struct {
	ID        int64
	Kind      string
	Email     string
	IP        string
	CreatedAt time.Time
}

// throttleRefusal records that a throttle refused a subject within one window.
type throttleRefusal struct {
	Rule        string    `gorm:"primaryKey"`
	Subject     string    `gorm:"primaryKey"`
	WindowStart time.Time `gorm:"primaryKey"`
}

func (throttleRefusal) TableName() string { return "throttle_refusals" }

// throttle is one limit: at most max attempts of kind with the same value in column per window.
type throttle struct {
	rule, kind, column string
	max                int
	window             time.Duration
}

var (
	loginPerEmail = throttle{ThrottleLoginEmail, attemptLogin, "email", LoginEmailMax, LoginEmailWindow}
	loginPerIP    = throttle{ThrottleLoginIP, attemptLogin, "ip", LoginIPMax, LoginIPWindow}
	signupPerIP   = throttle{ThrottleSignupIP, attemptSignup, "ip", SignupIPMax, SignupIPWindow}
)

func (t throttle) subject(a *LoginAttempt) string {
	if t.column == "email" {
		return a.Email
	}
	return a.IP
}

// ErrThrottled is matched (errors.Is) by every *ThrottleError.
var ErrThrottled = &Error{Code: EThrottled, Message: "too many attempts"}

// ThrottleError says an attempt was refused unchecked because a throttle's limit was reached.
type ThrottleError struct {
	Rule       string // ThrottleLoginEmail, ThrottleLoginIP or ThrottleSignupIP
	Subject    string // the email or IP address the limit is about
	Max        int
	Window     time.Duration
	RetryAfter time.Duration // until an attempt may be accepted again; at least a second
	// First is set on exactly one refusal per rule, subject and window (the windows of the
	// audit are fixed ones of the rule's length), so a flood of refusals is audited once.
	First bool
}

func (e *ThrottleError) Error() string {
	return fmt.Sprintf("too many attempts (%s: more than %d in %s)", e.Rule, e.Max, e.Window)
}

// Is makes errors.Is(err, ErrThrottled) true.
func (e *ThrottleError) Is(target error) bool { return target == ErrThrottled }

// Unwrap gives the domain error behind e, so its code (EThrottled) is found with errors.As.
func (e *ThrottleError) Unwrap() error { return ErrThrottled }

// Login checks an email and password like Authenticate, under the login throttles: the attempt
// is reserved first and refused with a *ThrottleError when the email or the IP address has used
// up its failed attempts. A wrong password or a disabled account counts as a failure; a success,
// or a check that never ran (ErrBusy), does not.
func (s *Store) Login(ctx context.Context, email, password, ip string) (*User, error) {
	email = NormalizeEmail(email)
	if ValidateEmail(email) != nil || len(password) > MaxPasswordLength {
		return nil, ErrBadCredential // no account can match: nothing to throttle or record
	}
	a, err := s.reserve(ctx, &LoginAttempt{Kind: attemptLogin, Email: email, IP: ip}, loginPerEmail, loginPerIP)
	if err != nil {
		return nil, err
	}
	u, err := s.Authenticate(ctx, email, password)
	if errors.Is(err, ErrBadCredential) || errors.Is(err, ErrDisabled) {
		return nil, err
	}
	if ferr := s.forgetAttempt(ctx, a); ferr != nil && err == nil {
		return nil, ferr
	}
	return u, err
}

// Signup creates an account like CreateUser, under the sign-up throttle of ip. Every sign-up that
// passes validation counts, taken emails included, so the form cannot be used to probe for
// accounts at speed. name is the optional display name (ValidateDisplayName).
func (s *Store) Signup(ctx context.Context, email, password, name, ip string) (*User, error) {
	email = NormalizeEmail(email)
	if err := ValidateEmail(email); err != nil {
		return nil, err
	}
	if err := ValidatePassword(password); err != nil {
		return nil, err
	}
	// Checked before the reservation, like the email and password: a bad name costs no attempt.
	if _, err := ValidateDisplayName(name); err != nil {
		return nil, err
	}
	a, err := s.reserve(ctx, &LoginAttempt{Kind: attemptSignup, IP: ip}, signupPerIP)
	if err != nil {
		return nil, err
	}
	u, err := s.CreateAccount(ctx, NewUser{Email: email, Password: password, Name: name})
	if err != nil && !errors.Is(err, ErrDuplicate) {
		_ = s.forgetAttempt(ctx, a) // it never ran; the error at hand says more than this one
	}
	return u, err
}

// reserve records attempt a and then counts it against each throttle, itself included. Every
// counter sees at least the rows inserted before its own, so however many attempts run at once,
// on however many instances, at most max of them see a count within the limit; no lock needed.
// A refused attempt's row is removed again, so refusals never prolong a lockout.
func (s *Store) reserve(ctx context.Context, a *LoginAttempt, throttles ...throttle) (*LoginAttempt, error) {
	now := time.Now().UTC()
	// Reading first means a flood of requests that are refused anyway writes nothing.
	for _, t := range throttles {
		n, err := s.countAttempts(ctx, t, a, now)
		if err != nil {
			return nil, err
		}
		if n >= int64(t.max) {
			return nil, s.refuse(ctx, t, a, n, now)
		}
	}
	a.ID, a.CreatedAt = 0, now
	if err := s.q(ctx).Create(a).Error; err != nil {
		return nil, err
	}
	for _, t := range throttles {
		n, err := s.countAttempts(ctx, t, a, now)
		if err == nil && n <= int64(t.max) {
			continue
		}
		if ferr := s.forgetAttempt(ctx, a); err == nil {
			err = ferr
		}
		if err != nil {
			return nil, err
		}
		return nil, s.refuse(ctx, t, a, n-1, now)
	}
	return a, nil
}

func (s *Store) attemptsOf(ctx context.Context, t throttle, a *LoginAttempt, now time.Time) *gorm.DB {
	return s.q(ctx).Model(&LoginAttempt{}).
		Where("kind = ? AND "+t.column+" = ? AND created_at > ?", t.kind, t.subject(a), now.Add(-t.window))
}

func (s *Store) countAttempts(ctx context.Context, t throttle, a *LoginAttempt, now time.Time) (int64, error) {
	var n int64
	err := s.attemptsOf(ctx, t, a, now).Count(&n).Error
	return n, err
}

// refuse builds the ThrottleError for an attempt that found others attempts (n >= t.max) in the
// window before it.
func (s *Store) refuse(ctx context.Context, t throttle, a *LoginAttempt, others int64, now time.Time) error {
	e := &ThrottleError{Rule: t.rule, Subject: t.subject(a), Max: t.max, Window: t.window, RetryAfter: time.Second}
	// One more attempt fits once the (others-max+1) oldest of them have left the window.
	var oldest LoginAttempt
	err := s.attemptsOf(ctx, t, a, now).Order("created_at").Offset(int(max(others-int64(t.max), 0))).Limit(1).Take(&oldest).Error
	switch {
	case err == nil:
		// Clamped: a concurrent attempt may have been stamped a little after now.
		e.RetryAfter = min(max(oldest.CreatedAt.Add(t.window).Sub(now), time.Second), t.window)
	case !errors.Is(err, gorm.ErrRecordNotFound): // gone meanwhile (successful logins): retry soon
		return err
	}
	mark := &throttleRefusal{Rule: t.rule, Subject: e.Subject, WindowStart: now.Truncate(t.window)}
	var seen int64
	if err := s.q(ctx).Model(mark).Where(mark).Count(&seen).Error; err != nil {
		return err
	}
	if seen == 0 {
		res := s.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(mark)
		if res.Error != nil {
			return res.Error
		}
		e.First = res.RowsAffected == 1
	}
	return e
}

// forgetAttempt removes an attempt that turned out not to be a failure. It runs even when the
// request was cancelled, or the row would count as one.
func (s *Store) forgetAttempt(ctx context.Context, a *LoginAttempt) error {
	return s.q(context.WithoutCancel(ctx)).Delete(&LoginAttempt{}, a.ID).Error
}
