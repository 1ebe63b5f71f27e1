package models

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// Statuses of a device authorization (RFC 8628 §3): pending until the user decides, then
// approved or denied; used once the client has polled tokens out of an approval.
const (
	DevicePending  = "pending"
	DeviceApproved = "approved"
	DeviceDenied   = "denied"
	DeviceUsed     = "used"
)

// DeviceAuthorization is one device authorization request (RFC 8628 §3.1). Its device code and
// user code are stored only as hashes. Polls counts the client's polls: a poll is recorded only
// if no other poll was recorded since it read the row, so instances racing on one device code
// agree on which poll came first (§3.5).
type DeviceAuthorization struct {
	ID             string `gorm:"primaryKey"`
	DeviceCodeHash string
	UserCodeHash   string
	ClientID       string
	Scope          Words
	Status         string
	UserID         *int64
	Subject        string // the approving user's OpenID subject
	Authn                 // the approving user's sign-in, for the ID Token
	// IntervalSeconds is the least time between polls; each slow_down adds 5 (§3.5).
	IntervalSeconds int
	Polls           int64
	LastPolledAt    *time.Time
	CreatedAt       time.Time
	ExpiresAt       time.Time
	DecidedAt       *time.Time
}

// The throttles of wrong user codes typed on /device. A user code has about 34 bits of entropy
// and lives minutes, so a few guesses per window make finding someone else's code hopeless
// (RFC 8628 §5.1) while a person who mistypes a few times is not locked out.
const (
	// DeviceCodeAccountMax wrong user codes are allowed per account per DeviceCodeWindow.
	DeviceCodeAccountMax = 10
	// DeviceCodeIPMax wrong user codes are allowed per IP address per DeviceCodeWindow, whatever
	// the accounts, so many accounts do not multiply the guesses.
	DeviceCodeIPMax  = 20
	DeviceCodeWindow = 15 * time.Minute
)

// Names of the user-code throttles, in ThrottleError.Rule.
const (
	ThrottleDeviceAccount = "device_code_account"
	ThrottleDeviceIP      = "device_code_ip"
)

// The throttle of starting device sign-ins: DeviceStartIPMax per IP address per
// DeviceStartWindow. The endpoint takes public clients by their id alone, so without it anyone
// could fill the table with pending requests; a household or an office starts a handful.
const (
	DeviceStartIPMax    = 30
	DeviceStartWindow   = 15 * time.Minute
	ThrottleDeviceStart = "device_start_ip"
	attemptDeviceStart  = "device_start"
)

var deviceStartPerIP = throttle{ThrottleDeviceStart, attemptDeviceStart, "ip", DeviceStartIPMax, DeviceStartWindow}

// ReserveDeviceStart counts a device authorization request from ip against DeviceStartIPMax
// per DeviceStartWindow; a *ThrottleError refuses it. The counts are in the database, so every
// instance shares them.
func (s *Store) ReserveDeviceStart(ctx context.Context, ip string) error {
	_, err := s.reserve(ctx, &LoginAttempt{Kind: attemptDeviceStart, IP: ip}, deviceStartPerIP)
	return err
}

// attemptDevice rows reuse login_attempts: email holds "user:<id>", ip the caller's address.
const attemptDevice = "device"

var (
	devicePerAccount = throttle{ThrottleDeviceAccount, attemptDevice, "email", DeviceCodeAccountMax, DeviceCodeWindow}
	devicePerIP      = throttle{ThrottleDeviceIP, attemptDevice, "ip", DeviceCodeIPMax, DeviceCodeWindow}
)

// CreateDeviceAuthorization stores a new request; ErrDuplicate when its user code's hash is
// already taken (the caller draws another).
func (s *Store) CreateDeviceAuthorization(ctx context.Context, d *DeviceAuthorization) error {
	return duplicate(s.q(ctx).Create(d).Error)
}

// DeviceAuthorizationByDeviceCode finds a request by the hash of its device code.
func (s *Store) DeviceAuthorizationByDeviceCode(ctx context.Context, hash string) (*DeviceAuthorization, error) {
	var d DeviceAuthorization
	if err := s.q(ctx).Take(&d, "device_code_hash = ?", hash).Error; err != nil {
		return nil, notFound(err)
	}
	return &d, nil
}

// FindDeviceAuthorization finds the pending, unexpired request whose user code hashes to hash,
// as typed on /device by the user userID from ip, under the user-code throttles: refused with a
// *ThrottleError when the account or the address has used up its wrong codes. A code that finds
// nothing pending (ErrNotFound) counts as wrong; a found one does not.
func (s *Store) FindDeviceAuthorization(ctx context.Context, userID int64, ip, hash string, now time.Time) (*DeviceAuthorization, error) {
	a, err := s.reserve(ctx, &LoginAttempt{Kind: attemptDevice, Email: "user:" + strconv.FormatInt(userID, 10), IP: ip}, devicePerAccount, devicePerIP)
	if err != nil {
		return nil, err
	}
	var d DeviceAuthorization
	err = s.q(ctx).Take(&d, "user_code_hash = ? AND status = ? AND expires_at > ?", hash, DevicePending, now).Error
	if errors.Is(notFound(err), ErrNotFound) {
		return nil, ErrNotFound
	}
	if ferr := s.forgetAttempt(ctx, a); ferr != nil && err == nil {
		return nil, ferr
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// RecordDevicePoll records a poll of request id at now, provided no other poll was recorded
// since the caller read polls; it reports whether this poll was the one recorded.
func (s *Store) RecordDevicePoll(ctx context.Context, id string, polls int64, now time.Time) (bool, error) {
	res := s.q(ctx).Model(&DeviceAuthorization{}).Where("id = ? AND polls = ?", id, polls).
		Updates(map[string]any{"polls": polls + 1, "last_polled_at": now})
	return res.RowsAffected == 1, res.Error
}

// SlowDownDevice records a poll that came too early: the request's interval grows by add
// seconds for this and every later poll (RFC 8628 §3.5).
func (s *Store) SlowDownDevice(ctx context.Context, id string, add int, now time.Time) error {
	return s.q(ctx).Exec("UPDATE device_authorizations SET interval_seconds = interval_seconds + ?, polls = polls + 1, last_polled_at = ? WHERE id = ?",
		add, now, id).Error
}

// DeviceDecision is the user's answer to a device authorization request.
type DeviceDecision struct {
	Approve bool
	UserID  int64
	Subject string
	Authn   Authn
}

// DecideDeviceAuthorization approves or denies a pending, unexpired request; ErrNotFound when
// it is no longer pending (decided meanwhile, or expired).
func (s *Store) DecideDeviceAuthorization(ctx context.Context, id string, d DeviceDecision, now time.Time) error {
	status := DeviceDenied
	if d.Approve {
		status = DeviceApproved
	}
	res := s.q(ctx).Model(&DeviceAuthorization{}).Where("id = ? AND status = ? AND expires_at > ?", id, DevicePending, now).
		Updates(map[string]any{"status": status, "user_id": d.UserID, "subject": d.Subject, "auth_time": d.Authn.AuthTime,
			"amr": d.Authn.AMR, "sid": d.Authn.SID, "decided_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// ConsumeDeviceAuthorization marks an approved request used, so its tokens are issued once: of
// any number of polls racing on it, exactly one gets true.
func (s *Store) ConsumeDeviceAuthorization(ctx context.Context, id string) (bool, error) {
	res := s.q(ctx).Model(&DeviceAuthorization{}).Where("id = ? AND status = ?", id, DeviceApproved).Update("status", DeviceUsed)
	return res.RowsAffected == 1, res.Error
}
