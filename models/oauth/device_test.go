package oauth_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

const deviceURI = issuer + "/device"

// deviceEnv is a protocol server over a real store with a test clock, a user, and clients that
// did and did not turn on device sign-in.
type deviceEnv struct {
	store   *models.Store
	srv     *oauth.Server
	clock   *clock
	user    *models.User
	native  *models.Client // device sign-in on: INVOICE.READ openid offline_access
	web     *models.Client // device sign-in on, confidential
	webSec  string
	off     *models.Client // native, device sign-in off
	machine *models.Client
	machSec string
}

func newDeviceEnv(t testing.TB, store *models.Store) *deviceEnv {
	t.Helper()
	ctx := context.Background()
	e := &deviceEnv{store: store, clock: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	e.srv = mustServer(t, store, oauth.Config{Issuer: issuer, Now: e.clock.Now})
	u, err := store.CreateUser(ctx, "device-user@example.test", password, false)
	if err != nil {
		t.Fatal(err)
	}
	e.user = u
	mk := func(typ models.ClientType, allow bool, scopes ...string) (*models.Client, string) {
		c, sec, err := store.CreateClient(ctx, models.NewClient{Name: "Device " + string(typ), Type: typ, Scopes: scopes, AllowDeviceGrant: allow,
			RedirectURIs: map[bool][]string{true: {webRedirect}, false: nil}[typ != models.ClientMachine]})
		if err != nil {
			t.Fatal(err)
		}
		return c, sec
	}
	e.native, _ = mk(models.ClientNative, true, "INVOICE.READ", "openid", "offline_access")
	e.web, e.webSec = mk(models.ClientWeb, true, "INVOICE.READ", "INVOICE.WRITE")
	e.off, _ = mk(models.ClientNative, false, "INVOICE.READ")
	e.machine, e.machSec = mk(models.ClientMachine, true, "INVOICE.READ")
	return e
}

func (e *deviceEnv) mustStart(t testing.TB, client *models.Client, sec string, scope ...string) *oauth.DeviceResponse {
	t.Helper()
	resp, err := e.srv.DeviceAuthorization(context.Background(), oauth.DeviceRequest{ClientID: client.ID, ClientSecret: sec, Scope: scope, VerificationURI: deviceURI})
	if err != nil {
		t.Fatalf("DeviceAuthorization: %v", err)
	}
	return resp
}

func (e *deviceEnv) poll(client *models.Client, sec, deviceCode string) (*oauth.TokenResponse, error) {
	return e.srv.Token(context.Background(), oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, ClientID: client.ID, ClientSecret: sec, DeviceCode: deviceCode})
}

// mustDecide has the env's user type the code and press Allow (or Deny).
func (e *deviceEnv) mustDecide(t testing.TB, userCode string, approve bool) {
	t.Helper()
	ctx := context.Background()
	p, err := e.srv.FindDevice(ctx, oauth.DeviceLookup{UserCode: userCode, UserID: e.user.ID, IP: "192.0.2.10"})
	if err != nil {
		t.Fatalf("FindDevice(%q): %v", userCode, err)
	}
	if err := e.srv.DecideDevice(ctx, p, signIn(t, e.store, e.user), approve); err != nil {
		t.Fatalf("DecideDevice: %v", err)
	}
}

var userCodeShape = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

// RFC 8628 §3.1–3.2: the device authorization request authenticates the client as the token
// endpoint does and checks scope as the authorization endpoint does; §6.1 for the user code.
func TestDeviceAuthorizationRequest(t *testing.T) {
	e := newDeviceEnv(t, storetest.SQLite(t))
	ctx := context.Background()

	resp := e.mustStart(t, e.native, "", "INVOICE.READ")
	if !userCodeShape.MatchString(resp.UserCode) {
		t.Errorf("user_code = %q, want XXXX-XXXX from the §6.1 consonants", resp.UserCode)
	}
	if !strings.HasPrefix(resp.DeviceCode, "dpd_") || len(resp.DeviceCode) != len("dpd_")+43 {
		t.Errorf("device_code = %q, want dpd_ and 256 bits of base64url", resp.DeviceCode)
	}
	if resp.VerificationURI != deviceURI || resp.VerificationURIComplete != deviceURI+"?user_code="+resp.UserCode {
		t.Errorf("verification_uri = %q, complete = %q", resp.VerificationURI, resp.VerificationURIComplete)
	}
	if resp.ExpiresIn != 600 || resp.Interval != 5 {
		t.Errorf("expires_in = %d, interval = %d; want 600 and 5", resp.ExpiresIn, resp.Interval)
	}
	if again := e.mustStart(t, e.native, ""); again.UserCode == resp.UserCode || again.DeviceCode == resp.DeviceCode {
		t.Error("two requests got the same codes")
	}
	// Only hashes are stored: neither code appears in the row.
	d, err := e.store.DeviceAuthorizationByDeviceCode(ctx, models.HashToken(resp.DeviceCode))
	if err != nil {
		t.Fatal(err)
	}
	norm, _ := oauth.NormalizeUserCode(resp.UserCode)
	if strings.Contains(d.UserCodeHash, norm) || d.UserCodeHash == models.HashToken(norm) {
		t.Errorf("user code stored as %q: want a keyed hash", d.UserCodeHash)
	}

	suspended, _, err := e.store.CreateClient(ctx, models.NewClient{Name: "s", Type: models.ClientNative, RedirectURIs: []string{webRedirect}, Scopes: []string{"INVOICE.READ"}, AllowDeviceGrant: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetClientStatus(ctx, suspended.ID, models.ClientSuspended); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		clientID string
		secret   string
		scope    []string
		want     error
	}{
		{"confidential client with its secret", e.web.ID, e.webSec, []string{"INVOICE.WRITE"}, nil},
		{"no client", "", "", nil, oauth.ErrMissingClient},
		{"unknown client", "dp_nobody", "", nil, oauth.ErrUnknownClient},
		{"confidential client without its secret", e.web.ID, "", nil, oauth.ErrBadClientSecret},
		{"confidential client with a wrong secret", e.web.ID, "wrong", nil, oauth.ErrBadClientSecret},
		{"public client sending a secret", e.native.ID, "x", nil, oauth.ErrInvalidClient},
		{"client that did not turn device sign-in on", e.off.ID, "", nil, oauth.ErrDeviceNotAllowed},
		{"machine client", e.machine.ID, e.machSec, nil, oauth.ErrUnauthorizedClient},
		{"suspended client", suspended.ID, "", nil, oauth.ErrClientDisabled},
		{"scope not in the catalog", e.native.ID, "", []string{"NOPE.READ"}, oauth.ErrUnknownScope},
		{"scope the client did not register", e.native.ID, "", []string{"EWALLET.READ"}, oauth.ErrScopeNotAllowed},
		{"malformed scope token", e.native.ID, "", []string{"a\"b"}, oauth.ErrInvalidScope},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.srv.DeviceAuthorization(ctx, oauth.DeviceRequest{ClientID: tc.clientID, ClientSecret: tc.secret, Scope: tc.scope, VerificationURI: deviceURI})
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// RFC 8628 §6.1: the user code is typed by a person; case, spaces and dashes are ignored.
func TestNormalizeUserCode(t *testing.T) {
	for _, tc := range []struct {
		typed, want string
		ok          bool
	}{
		{"WDJB-MJHT", "WDJBMJHT", true},
		{"wdjb-mjht", "WDJBMJHT", true},
		{"WDJBMJHT", "WDJBMJHT", true},
		{" wdjb mjht ", "WDJBMJHT", true},
		{"WD-JB-MJ-HT", "WDJBMJHT", true},
		{"WDJB-MJH", "", false},
		{"WDJB-MJHTX", "", false},
		{"WDJB-MJHA", "", false}, // a vowel is never in a code
		{"WDJB-MJH1", "", false},
		{"", "", false},
	} {
		got, ok := oauth.NormalizeUserCode(tc.typed)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("NormalizeUserCode(%q) = %q, %v; want %q, %v", tc.typed, got, ok, tc.want, tc.ok)
		}
	}
}

// RFC 8628 §3.4–3.5: the answers of the device access token request, step by step.
func TestDevicePolling(t *testing.T) {
	ctx := context.Background()
	t.Run("pending, then slow_down for polling too fast, with the interval growing by 5 s", func(t *testing.T) {
		e := newDeviceEnv(t, storetest.SQLite(t))
		resp := e.mustStart(t, e.native, "")
		if _, err := e.poll(e.native, "", resp.DeviceCode); !errors.Is(err, oauth.ErrAuthorizationPending) {
			t.Fatalf("first poll: %v, want authorization_pending", err)
		}
		e.clock.Advance(time.Second)
		if _, err := e.poll(e.native, "", resp.DeviceCode); !errors.Is(err, oauth.ErrSlowDown) {
			t.Fatalf("poll 1 s later: %v, want slow_down", err)
		}
		// The interval is now 10 s: 6 s later is still too soon, though 5 s would have done before.
		e.clock.Advance(6 * time.Second)
		if _, err := e.poll(e.native, "", resp.DeviceCode); !errors.Is(err, oauth.ErrSlowDown) {
			t.Fatalf("poll 6 s after a slow_down: %v, want slow_down (interval 10 s)", err)
		}
		d, err := e.store.DeviceAuthorizationByDeviceCode(ctx, models.HashToken(resp.DeviceCode))
		if err != nil || d.IntervalSeconds != 15 {
			t.Fatalf("interval = %d (%v), want 15 after two slow_downs", d.IntervalSeconds, err)
		}
		e.clock.Advance(15 * time.Second)
		if _, err := e.poll(e.native, "", resp.DeviceCode); !errors.Is(err, oauth.ErrAuthorizationPending) {
			t.Fatalf("poll after the interval: %v, want authorization_pending", err)
		}
	})
	t.Run("the interval is kept in the database, so another instance agrees", func(t *testing.T) {
		e := newDeviceEnv(t, storetest.SQLite(t))
		other := mustServer(t, e.store, oauth.Config{Issuer: issuer, Now: e.clock.Now})
		resp := e.mustStart(t, e.native, "")
		if _, err := e.poll(e.native, "", resp.DeviceCode); !errors.Is(err, oauth.ErrAuthorizationPending) {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Second)
		_, err := other.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, ClientID: e.native.ID, DeviceCode: resp.DeviceCode})
		if !errors.Is(err, oauth.ErrSlowDown) {
			t.Fatalf("poll on another instance 2 s later: %v, want slow_down", err)
		}
	})
	t.Run("expired_token once the code has expired", func(t *testing.T) {
		e := newDeviceEnv(t, storetest.SQLite(t))
		resp := e.mustStart(t, e.native, "")
		e.clock.Advance(oauth.DeviceCodeTTL)
		if _, err := e.poll(e.native, "", resp.DeviceCode); !errors.Is(err, oauth.ErrExpiredToken) {
			t.Fatalf("err = %v, want expired_token", err)
		}
	})
	t.Run("invalid_grant for an unknown code, or another client's", func(t *testing.T) {
		e := newDeviceEnv(t, storetest.SQLite(t))
		resp := e.mustStart(t, e.native, "")
		if _, err := e.poll(e.native, "", "dpd_unknown"); !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Errorf("unknown: %v, want invalid_grant", err)
		}
		if _, err := e.poll(e.web, e.webSec, resp.DeviceCode); !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Errorf("another client's: %v, want invalid_grant", err)
		}
		if _, err := e.poll(e.native, "", ""); !errors.Is(err, oauth.ErrInvalidRequest) {
			t.Errorf("missing: %v, want invalid_request", err)
		}
	})
	t.Run("access_denied when the user pressed Deny", func(t *testing.T) {
		e := newDeviceEnv(t, storetest.SQLite(t))
		resp := e.mustStart(t, e.native, "")
		e.mustDecide(t, resp.UserCode, false)
		if _, err := e.poll(e.native, "", resp.DeviceCode); !errors.Is(err, oauth.ErrAccessDenied) {
			t.Fatalf("err = %v, want access_denied", err)
		}
	})
	t.Run("approved: tokens as the code grant issues them, once", func(t *testing.T) {
		e := newDeviceEnv(t, storetest.SQLite(t))
		resp := e.mustStart(t, e.native, "", "INVOICE.READ", "openid", "offline_access")
		e.mustDecide(t, strings.ToLower(resp.UserCode), true)
		tok, err := e.poll(e.native, "", resp.DeviceCode)
		if err != nil {
			t.Fatalf("poll after approval: %v", err)
		}
		if tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" {
			t.Fatalf("token response %+v: want access, refresh and ID tokens (openid offline_access)", tok)
		}
		claims, err := e.srv.ValidateAccessToken(ctx, tok.AccessToken)
		if err != nil || claims.Subject != e.user.Subject || claims.ClientID != e.native.ID || claims.GrantID == "" {
			t.Fatalf("access token claims %+v, %v", claims, err)
		}
		ok, err := e.store.ConsentCovers(ctx, e.user.ID, e.native.ID, []string{"INVOICE.READ"})
		if err != nil || !ok {
			t.Fatalf("consent saved = %v, %v; want the approval recorded like the code grant's", ok, err)
		}
		if _, err := e.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, ClientID: e.native.ID, RefreshToken: tok.RefreshToken}); err != nil {
			t.Fatalf("refresh: %v", err)
		}
		e.clock.Advance(time.Minute)
		if _, err := e.poll(e.native, "", resp.DeviceCode); !errors.Is(err, oauth.ErrDeviceCodeUsed) {
			t.Fatalf("second poll: %v, want invalid_grant (used)", err)
		}
	})
	t.Run("a sign-in without offline_access gets no refresh token", func(t *testing.T) {
		e := newDeviceEnv(t, storetest.SQLite(t))
		resp := e.mustStart(t, e.native, "", "openid")
		e.mustDecide(t, resp.UserCode, true)
		tok, err := e.poll(e.native, "", resp.DeviceCode)
		if err != nil || tok.RefreshToken != "" || tok.IDToken == "" {
			t.Fatalf("tokens %+v, %v; want an ID token and no refresh token", tok, err)
		}
	})
	t.Run("invalid_grant when the user revoked the application after approving", func(t *testing.T) {
		e := newDeviceEnv(t, storetest.SQLite(t))
		resp := e.mustStart(t, e.web, e.webSec)
		e.mustDecide(t, resp.UserCode, true)
		if err := e.store.RevokeConsent(ctx, e.user.ID, e.web.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.poll(e.web, e.webSec, resp.DeviceCode); !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Fatalf("err = %v, want invalid_grant", err)
		}
	})
	t.Run("unauthorized_client once the developer turns device sign-in off", func(t *testing.T) {
		e := newDeviceEnv(t, storetest.SQLite(t))
		resp := e.mustStart(t, e.web, e.webSec)
		if err := e.store.UpdateClient(ctx, e.web.ID, models.ClientProfile{Name: e.web.Name, RedirectURIs: e.web.RedirectURIs, Scopes: e.web.Scopes}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.poll(e.web, e.webSec, resp.DeviceCode); !errors.Is(err, oauth.ErrDeviceNotAllowed) {
			t.Fatalf("err = %v, want unauthorized_client", err)
		}
	})
	t.Run("a machine client cannot poll", func(t *testing.T) {
		e := newDeviceEnv(t, storetest.SQLite(t))
		if _, err := e.poll(e.machine, e.machSec, "dpd_x"); !errors.Is(err, oauth.ErrUnauthorizedClient) {
			t.Fatalf("err = %v, want unauthorized_client", err)
		}
	})
}

// RFC 8628 §3.5 and RFC 6749 §10.5: an approved device code gives tokens once, however many
// polls race for it, on however many instances. On PostgreSQL the polls really run at once.
func TestDeviceCodeSingleUseUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		e := newDeviceEnv(t, store)
		resp := e.mustStart(t, e.native, "")
		e.mustDecide(t, resp.UserCode, true)
		const polls = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		var tokens int
		var other []error
		start := make(chan struct{})
		for range polls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := e.poll(e.native, "", resp.DeviceCode)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					tokens++
				case errors.Is(err, oauth.ErrSlowDown), errors.Is(err, oauth.ErrDeviceCodeUsed), models.Unavailable(err):
				default:
					other = append(other, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if tokens != 1 || len(other) > 0 {
			t.Fatalf("%d of %d racing polls got tokens (other errors: %v); want exactly 1", tokens, polls, other)
		}
	})
}

// RFC 8628 §5.1: wrong user codes are limited per account and per IP address, so the 34 bits of
// a code cannot be searched from /device.
func TestUserCodeAttemptLimit(t *testing.T) {
	ctx := context.Background()
	e := newDeviceEnv(t, storetest.SQLite(t))
	resp := e.mustStart(t, e.native, "")
	wrong := "BBBB-BBBB"
	if resp.UserCode == wrong {
		wrong = "CCCC-CCCC"
	}
	look := func(code string, userID int64, ip string) error {
		_, err := e.srv.FindDevice(ctx, oauth.DeviceLookup{UserCode: code, UserID: userID, IP: ip})
		return err
	}
	// A code of the wrong shape is refused without counting: a typo is no guess.
	for range models.DeviceCodeAccountMax + 1 {
		if err := look("hello", e.user.ID, "198.51.100.1"); !errors.Is(err, oauth.ErrUserCodeInvalid) {
			t.Fatalf("malformed code: %v", err)
		}
	}
	for i := range models.DeviceCodeAccountMax {
		if err := look(wrong, e.user.ID, "198.51.100.1"); !errors.Is(err, oauth.ErrUserCodeInvalid) {
			t.Fatalf("wrong code %d: %v, want ErrUserCodeInvalid", i+1, err)
		}
	}
	var te *models.ThrottleError
	if err := look(resp.UserCode, e.user.ID, "198.51.100.2"); !errors.As(err, &te) || te.Rule != models.ThrottleDeviceAccount {
		t.Fatalf("the right code after %d wrong ones: %v, want the account throttle", models.DeviceCodeAccountMax, err)
	}

	// Per address: many accounts from one IP share its limit.
	ip := "203.0.113.9"
	for i := range models.DeviceCodeIPMax {
		u, err := e.store.CreateUser(ctx, "guesser"+string(rune('a'+i))+"@example.test", password, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := look(wrong, u.ID, ip); !errors.Is(err, oauth.ErrUserCodeInvalid) {
			t.Fatalf("wrong code %d from one address: %v", i+1, err)
		}
	}
	fresh, err := e.store.CreateUser(ctx, "fresh@example.test", password, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := look(resp.UserCode, fresh.ID, ip); !errors.As(err, &te) || te.Rule != models.ThrottleDeviceIP {
		t.Fatalf("a new account from the same address: %v, want the address throttle", err)
	}
	// Elsewhere the right code still works, and finding it costs no attempt.
	if err := look(resp.UserCode, fresh.ID, "192.0.2.77"); err != nil {
		t.Fatalf("right code from another address: %v", err)
	}
}

// RFC 8628 §3.3: a code is good for one decision, and only until it expires.
func TestDeviceUserCodeLifetime(t *testing.T) {
	ctx := context.Background()
	e := newDeviceEnv(t, storetest.SQLite(t))
	resp := e.mustStart(t, e.native, "")
	p, err := e.srv.FindDevice(ctx, oauth.DeviceLookup{UserCode: resp.UserCode, UserID: e.user.ID, IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Client.ID != e.native.ID || len(p.Scopes) == 0 {
		t.Fatalf("pending device %+v", p)
	}
	a := signIn(t, e.store, e.user)
	if err := e.srv.DecideDevice(ctx, p, a, true); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.DecideDevice(ctx, p, a, false); !errors.Is(err, oauth.ErrUserCodeInvalid) {
		t.Fatalf("second decision: %v, want ErrUserCodeInvalid", err)
	}
	if _, err := e.srv.FindDevice(ctx, oauth.DeviceLookup{UserCode: resp.UserCode, UserID: e.user.ID, IP: "192.0.2.1"}); !errors.Is(err, oauth.ErrUserCodeInvalid) {
		t.Fatalf("decided code typed again: %v, want ErrUserCodeInvalid", err)
	}
	late := e.mustStart(t, e.native, "")
	e.clock.Advance(oauth.DeviceCodeTTL)
	if _, err := e.srv.FindDevice(ctx, oauth.DeviceLookup{UserCode: late.UserCode, UserID: e.user.ID, IP: "192.0.2.1"}); !errors.Is(err, oauth.ErrUserCodeInvalid) {
		t.Fatalf("expired code: %v, want ErrUserCodeInvalid", err)
	}
}
