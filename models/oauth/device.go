package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/devportal/devportal/models"
)

// GrantDeviceCode is the grant type of the device access token request (RFC 8628 §3.4).
const GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// The device flow's timings: RFC 8628 §3.2 leaves both to the server. Ten minutes is time
// enough to find a phone and sign in; five seconds is the interval the RFC itself defaults to.
const (
	DeviceCodeTTL      = 10 * time.Minute
	DevicePollInterval = 5 * time.Second
	// DeviceSlowDownStep is what every slow_down adds to the interval (§3.5).
	DeviceSlowDownStep = 5 * time.Second
	// devicePollLeeway is how much sooner than the interval a poll may come and still be on
	// time: a client polling from a ticker (as golang.org/x/oauth2 does) sends its next poll one
	// interval after the previous tick, not after the previous request reached us, so a slow
	// request followed by a fast one lands a little early through no fault of the client.
	devicePollLeeway = time.Second
)

// UserCodeAlphabet is the user codes' alphabet: the consonants of RFC 8628 §6.1, upper case,
// without vowels (no words are spelled by accident) and without letters people confuse.
const UserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// userCodeLength is the user code's length: 20^8 ≈ 2^34.6 codes (§6.1).
const userCodeLength = 8

// The device flow's errors (RFC 8628 §3.5).
var (
	ErrAuthorizationPending = protoErr("authorization_pending", "", "the user has not yet approved or denied the request")
	ErrSlowDown             = protoErr("slow_down", "", "polling too often: wait the interval, now 5 seconds longer, between requests")
	ErrExpiredToken         = protoErr("expired_token", "", "the device code has expired; start a new device authorization")
	// ErrDeviceCodeUsed: the device code already produced tokens, and is good for no more.
	ErrDeviceCodeUsed = protoErr("invalid_grant", "device_code_used", "the device code was already used")
	// ErrDeviceDenied: the user pressed Deny; the device's polls get access_denied (§3.5).
	ErrDeviceDenied = protoErr("access_denied", "device_denied", "the user denied the device sign-in")
	// ErrDeviceNotAllowed: the client has not turned on device sign-in.
	ErrDeviceNotAllowed = protoErr("unauthorized_client", "device_not_allowed", "this application has not turned on device sign-in (Allow device sign-in in its settings)")
)

// DeviceRequest is a device authorization request (RFC 8628 §3.1), with the client's
// credentials however they were sent.
type DeviceRequest struct {
	ClientID     string
	ClientSecret string
	Scope        []string
	// VerificationURI is where users enter the code: {issuer}/device, from the route table.
	VerificationURI string
	IP              string // the caller's address, for the throttle of new requests
}

// DeviceResponse is a device authorization response (RFC 8628 §3.2).
type DeviceResponse struct {
	DeviceCode              string
	UserCode                string // as shown: XXXX-XXXX
	VerificationURI         string
	VerificationURIComplete string
	ExpiresIn               int64
	Interval                int64
}

// DeviceAuthorization starts a device sign-in: it authenticates the client as the token
// endpoint does, checks the scope as the authorization endpoint does, and stores a request
// under the hashes of a fresh device code (256 random bits) and user code.
func (s *Server) DeviceAuthorization(ctx context.Context, r DeviceRequest) (*DeviceResponse, error) {
	client, err := s.AuthenticateClient(ctx, r.ClientID, r.ClientSecret)
	if err != nil {
		if errors.Is(err, ErrBadClientSecret) || errors.Is(err, ErrClientDisabled) {
			s.record(r.ClientID, "", GrantDeviceCode, err)
		}
		return nil, err
	}
	resp, err := s.deviceAuthorization(ctx, client, r)
	if err != nil {
		s.record(client.ID, "", GrantDeviceCode, err)
	}
	return resp, err
}

func (s *Server) deviceAuthorization(ctx context.Context, client *models.Client, r DeviceRequest) (*DeviceResponse, error) {
	if err := deviceAllowed(client); err != nil {
		return nil, err
	}
	scopes, err := s.resolveScopes(ctx, r.Scope, client.Scopes)
	if err != nil {
		return nil, err
	}
	// Counted once the request is valid, so a misconfigured client does not lock out its
	// neighbours; a *models.ThrottleError refuses it.
	if err := s.store.ReserveDeviceStart(ctx, r.IP); err != nil {
		return nil, err
	}
	now := s.now()
	deviceCode := models.NewToken("dpd_")
	d := &models.DeviceAuthorization{
		ID: models.NewID(16), DeviceCodeHash: models.HashToken(deviceCode), ClientID: client.ID, Scope: scopeNames(scopes),
		Status: models.DevicePending, IntervalSeconds: int(DevicePollInterval / time.Second), CreatedAt: now, ExpiresAt: now.Add(DeviceCodeTTL),
	}
	var userCode string
	for range 3 { // a collision with a live code is a one-in-billions event; drawing again settles it
		userCode = newUserCode()
		d.UserCodeHash = s.hashUserCode(userCode)
		if err = s.store.CreateDeviceAuthorization(ctx, d); !errors.Is(err, models.ErrDuplicate) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	shown := FormatUserCode(userCode)
	return &DeviceResponse{
		DeviceCode: deviceCode, UserCode: shown, VerificationURI: r.VerificationURI,
		VerificationURIComplete: r.VerificationURI + "?user_code=" + shown,
		ExpiresIn:               int64(DeviceCodeTTL / time.Second), Interval: int64(d.IntervalSeconds),
	}, nil
}

// deviceAllowed refuses machine clients (no user to approve) and clients that did not opt in.
func deviceAllowed(c *models.Client) error {
	if c.Type == models.ClientMachine {
		return ErrUnauthorizedClient.Describe("machine-to-machine applications act as themselves; they cannot use the device grant")
	}
	if !c.AllowDeviceGrant {
		return ErrDeviceNotAllowed
	}
	return nil
}

// newUserCode draws userCodeLength letters of UserCodeAlphabet uniformly from crypto/rand.
func newUserCode() string {
	const n = len(UserCodeAlphabet)
	limit := 256 - 256%n // bytes at or above it would favour the first letters
	out := make([]byte, 0, userCodeLength)
	var buf [16]byte
	for len(out) < userCodeLength {
		if _, err := rand.Read(buf[:]); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < userCodeLength {
				out = append(out, UserCodeAlphabet[int(b)%n])
			}
		}
	}
	return string(out)
}

// FormatUserCode shows a normalised user code as XXXX-XXXX.
func FormatUserCode(code string) string {
	if len(code) != userCodeLength {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// NormalizeUserCode reads a user code as a person typed it: case, spaces and dashes do not
// matter (RFC 8628 §6.1). ok is false when what remains cannot be a user code at all.
func NormalizeUserCode(typed string) (code string, ok bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
		case strings.ContainsRune(UserCodeAlphabet, r):
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	code = b.String()
	return code, len(code) == userCodeLength
}

// hashUserCode keys the user code's hash with the server secret: with about 34 bits of entropy
// a plain SHA-256 of it would be reversed in minutes by whoever read the table.
func (s *Server) hashUserCode(code string) string {
	m := hmac.New(sha256.New, s.ucKey)
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// DeviceLookup is a user code typed on /device by a signed-in user, for the throttles.
type DeviceLookup struct {
	UserCode string // as typed
	UserID   int64
	IP       string
}

// ErrUserCodeInvalid: the typed user code matches no pending request (wrong, expired or used).
var ErrUserCodeInvalid = errors.New("oauth: no pending device sign-in has that code")

// PendingDevice is a device request waiting for its user, as /device shows it for consent.
type PendingDevice struct {
	UserCode string // normalised, for the consent form to carry back
	Request  *models.DeviceAuthorization
	Client   *models.Client
	Scopes   []models.Scope
}

// FindDevice finds the pending request a user typed the code of, under the store's user-code
// throttles (a *models.ThrottleError once they are used up). A code of the wrong shape is
// ErrUserCodeInvalid without counting; one that finds nothing counts as a wrong guess. The
// client must still be usable and allow the grant, and the scope still in the catalog.
func (s *Server) FindDevice(ctx context.Context, l DeviceLookup) (*PendingDevice, error) {
	code, ok := NormalizeUserCode(l.UserCode)
	if !ok {
		return nil, ErrUserCodeInvalid
	}
	d, err := s.store.FindDeviceAuthorization(ctx, l.UserID, l.IP, s.hashUserCode(code), s.now())
	if errors.Is(err, models.ErrNotFound) {
		return nil, ErrUserCodeInvalid
	}
	if err != nil {
		return nil, err
	}
	client, err := s.store.ClientByID(ctx, d.ClientID)
	if err != nil {
		return nil, err
	}
	if err := clientUsable(client); err != nil {
		return nil, err
	}
	if err := deviceAllowed(client); err != nil {
		return nil, err
	}
	scopes, err := s.resolveScopes(ctx, d.Scope, d.Scope)
	if err != nil {
		return nil, err
	}
	return &PendingDevice{UserCode: code, Request: d, Client: client, Scopes: scopes}, nil
}

// DecideDevice records the user's Allow or Deny of a pending request. Allow saves the consent
// as the authorization endpoint does, so /account/apps lists the application and revoking it
// there ends what the device was given; Deny makes the device's next poll access_denied.
func (s *Server) DecideDevice(ctx context.Context, p *PendingDevice, a *Authentication, approve bool) error {
	now := s.now()
	dec := models.DeviceDecision{Approve: approve, UserID: a.User.ID, Subject: a.User.Subject, Authn: a.authn()}
	err := s.store.InTx(ctx, func(tx *models.Store) error {
		if err := tx.DecideDeviceAuthorization(ctx, p.Request.ID, dec, now); err != nil {
			return err
		}
		if !approve {
			return nil
		}
		return tx.SaveConsent(ctx, a.User.ID, p.Client.ID, p.Request.Scope)
	})
	if errors.Is(err, models.ErrNotFound) {
		return ErrUserCodeInvalid // decided in another tab, or expired meanwhile
	}
	if err != nil {
		return err
	}
	kind := models.EventAuthorization
	if !approve {
		kind = models.EventDenied
	}
	s.record(p.Client.ID, kind, GrantDeviceCode, nil)
	return nil
}

// deviceCodeGrant answers a device access token request (RFC 8628 §3.4–3.5). Each poll is
// recorded in the request's row; one that comes sooner than the interval after the previous
// one, or races another poll of the same code, is slow_down and lengthens the interval. An
// approved request is consumed by exactly one poll, which gets tokens issued the way the
// authorization-code grant issues them.
func (s *Server) deviceCodeGrant(ctx context.Context, client *models.Client, r TokenRequest) (*TokenResponse, error) {
	if err := deviceAllowed(client); err != nil {
		return nil, err
	}
	if r.DeviceCode == "" {
		return nil, ErrInvalidRequest.Describe("device_code is missing")
	}
	now := s.now()
	var resp *TokenResponse
	var failed error // answered with the poll committed
	err := s.store.InTx(ctx, func(tx *models.Store) error {
		d, err := tx.DeviceAuthorizationByDeviceCode(ctx, models.HashToken(r.DeviceCode))
		switch {
		case errors.Is(err, models.ErrNotFound) || err == nil && d.ClientID != client.ID:
			return ErrInvalidGrant.Describe("the device code is unknown or was issued to another client")
		case err != nil:
			return err
		case d.Status == models.DeviceUsed:
			return ErrDeviceCodeUsed
		case !now.Before(d.ExpiresAt):
			return ErrExpiredToken
		}
		interval := time.Duration(d.IntervalSeconds) * time.Second
		early := d.LastPolledAt != nil && now.Sub(*d.LastPolledAt) < interval-devicePollLeeway
		if !early {
			won, err := tx.RecordDevicePoll(ctx, d.ID, d.Polls, now)
			if err != nil {
				return err
			}
			early = !won // another poll of this code was recorded since we read it
		}
		if early {
			failed = ErrSlowDown
			return tx.SlowDownDevice(ctx, d.ID, int(DeviceSlowDownStep/time.Second), now)
		}
		switch d.Status {
		case models.DevicePending:
			failed = ErrAuthorizationPending
			return nil
		case models.DeviceDenied:
			failed = ErrDeviceDenied
			return nil
		}
		won, err := tx.ConsumeDeviceAuthorization(ctx, d.ID)
		if err != nil {
			return err
		}
		if !won {
			return ErrDeviceCodeUsed
		}
		// The user may have revoked the application or been disabled since approving.
		ok, err := tx.ConsentCovers(ctx, *d.UserID, client.ID, d.Scope)
		if err != nil {
			return err
		}
		if !ok {
			failed = ErrInvalidGrant.Describe("the user no longer allows this application, or their account is disabled")
			return nil
		}
		g := &models.Grant{ID: models.NewID(16), ClientID: client.ID, UserID: d.UserID, Subject: d.Subject, Scope: d.Scope, CreatedAt: now, Authn: d.Authn}
		if err := tx.CreateGrant(ctx, g); err != nil {
			return err
		}
		var refresh *refreshSpec
		if refreshAllowed(d.Scope) {
			refresh = &refreshSpec{scope: d.Scope}
		}
		if resp, err = s.issue(ctx, tx, client, g, d.Subject, d.Scope, refresh); err != nil {
			return err
		}
		return s.addIDToken(ctx, tx, client, g, resp, "")
	})
	switch {
	case err != nil:
		return nil, err
	case failed != nil:
		return nil, failed
	}
	return resp, nil
}

// devicePolling tells the answers a polling device gets while it waits, which are no failure
// worth an entry in the application's activity.
func devicePolling(err error) bool {
	return errors.Is(err, ErrAuthorizationPending) || errors.Is(err, ErrSlowDown)
}
