package models_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

var totpKey = models.DeriveKey([]byte(strings.Repeat("s", 32)), "totp")

// totpAt is the code an authenticator app shows for secret at t.
func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// mustTOTP sets up and turns on an authenticator for u at now; it returns the secret and the
// recovery codes.
func mustTOTP(t *testing.T, s *models.Store, u *models.User, now time.Time) (string, []string) {
	t.Helper()
	ctx := context.Background()
	setup, err := s.BeginTOTP(ctx, totpKey, u)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := s.EnableTOTP(ctx, totpKey, u.ID, totpAt(t, setup.Secret, now), now)
	if err != nil {
		t.Fatalf("EnableTOTP: %v", err)
	}
	return setup.Secret, codes
}

func mustBadCode(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, models.ErrBadCode) {
		t.Fatalf("err = %v, want a wrong-code refusal", err)
	}
}

func TestTOTPSetup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "ada@example.test")
		now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

		setup, err := s.BeginTOTP(ctx, totpKey, u)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(setup.URI, "otpauth://totp/devportal:ada@example.test?") || !strings.Contains(setup.URI, "secret="+setup.Secret) || !strings.Contains(setup.URI, "issuer=devportal") {
			t.Fatalf("URI = %s", setup.URI)
		}
		// The pending set-up is read back from the database, not from the browser.
		pending, err := s.PendingTOTP(ctx, totpKey, u)
		if err != nil || pending.Secret != setup.Secret || pending.URI != setup.URI {
			t.Fatalf("PendingTOTP = %+v, %v; want %+v", pending, err, setup)
		}
		if st, _ := s.TOTPStatus(ctx, u.ID); st.Enabled || !st.Pending {
			t.Fatalf("status before the first code = %+v, want pending", st)
		}
		// A set-up is not a second factor until its first code turns it on.
		if _, err := s.VerifySecondFactor(ctx, totpKey, models.OTPAttempt{UserID: u.ID, Pending: "p"}, totpAt(t, setup.Secret, now), now); err == nil {
			t.Fatal("a code of a set-up that was never turned on was accepted at login")
		}

		wrong := "000000"
		if totpAt(t, setup.Secret, now) == wrong || totpAt(t, setup.Secret, now.Add(-30*time.Second)) == wrong || totpAt(t, setup.Secret, now.Add(30*time.Second)) == wrong {
			wrong = "111111"
		}
		_, err = s.EnableTOTP(ctx, totpKey, u.ID, wrong, now)
		mustBadCode(t, err)
		if st, _ := s.TOTPStatus(ctx, u.ID); st.Enabled {
			t.Fatal("a wrong code turned two-factor on")
		}
		codes, err := s.EnableTOTP(ctx, totpKey, u.ID, totpAt(t, setup.Secret, now.Add(time.Minute)), now.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != models.RecoveryCodeCount {
			t.Fatalf("%d recovery codes, want %d", len(codes), models.RecoveryCodeCount)
		}
		st, err := s.TOTPStatus(ctx, u.ID)
		if err != nil || !st.Enabled || st.Pending || st.RecoveryCodes != models.RecoveryCodeCount {
			t.Fatalf("status = %+v, %v", st, err)
		}
		if _, err := s.BeginTOTP(ctx, totpKey, u); !errors.Is(err, models.ErrTOTPEnabled) {
			t.Fatalf("BeginTOTP while on: %v, want ErrTOTPEnabled (a set-up must not replace a working authenticator)", err)
		}
		if on, err := s.TOTPEnabledUsers(ctx, []int64{u.ID, u.ID + 1000}); err != nil || !on[u.ID] || len(on) != 1 {
			t.Fatalf("TOTPEnabledUsers = %v, %v", on, err)
		}
	})
}

// Encryption at rest: the stored secret is sealed under the server's key, and bound to its row.
func TestTOTPSecretSealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "ada@example.test")
		other := mustUser(t, s, "eve@example.test")
		setup, err := s.BeginTOTP(ctx, totpKey, u)
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := models.SealedTOTPSecret(s, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(sealed, []byte(setup.Secret)) {
			t.Fatal("the TOTP secret is stored in the clear")
		}
		if _, err := s.PendingTOTP(ctx, models.DeriveKey([]byte(strings.Repeat("x", 32)), "totp"), u); err == nil {
			t.Fatal("a secret sealed under one server secret opened under another")
		}
		if err := models.MoveTOTPCredential(s, u.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PendingTOTP(ctx, totpKey, other); err == nil {
			t.Fatal("a sealed secret moved to another account's row was accepted")
		}
	})
}

// RFC 6238 §5.2: codes within one step of drift are accepted, and a code is accepted once.
func TestTOTPVerify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "ada@example.test")
		now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		secret, _ := mustTOTP(t, s, u, now)
		a := models.OTPAttempt{UserID: u.ID, Pending: "login-1"}
		later := now.Add(10 * time.Minute)

		// The code that turned it on cannot sign in.
		_, err := s.VerifySecondFactor(ctx, totpKey, a, totpAt(t, secret, now), now)
		mustBadCode(t, err)

		code := totpAt(t, secret, later)
		factor, err := s.VerifySecondFactor(ctx, totpKey, a, code, later)
		if err != nil || factor != models.FactorTOTP {
			t.Fatalf("VerifySecondFactor = %q, %v; want totp", factor, err)
		}
		// Replay within the same 30-second window.
		_, err = s.VerifySecondFactor(ctx, totpKey, models.OTPAttempt{UserID: u.ID, Pending: "login-2"}, code, later.Add(5*time.Second))
		mustBadCode(t, err)
		// An older step than the last one used is refused too, even within the drift.
		_, err = s.VerifySecondFactor(ctx, totpKey, a, totpAt(t, secret, later.Add(-30*time.Second)), later)
		mustBadCode(t, err)
		// The next step, one step early (clock drift), is accepted.
		if _, err := s.VerifySecondFactor(ctx, totpKey, a, totpAt(t, secret, later.Add(30*time.Second)), later); err != nil {
			t.Fatalf("code of the next step: %v", err)
		}
		// Far outside the drift.
		_, err = s.VerifySecondFactor(ctx, totpKey, a, totpAt(t, secret, later.Add(10*time.Minute)), later)
		mustBadCode(t, err)
		// Another account's codes are not this one's.
		eve := mustUser(t, s, "eve@example.test")
		_, err = s.VerifySecondFactor(ctx, totpKey, models.OTPAttempt{UserID: eve.ID, Pending: "x"}, totpAt(t, secret, later.Add(time.Hour)), later.Add(time.Hour))
		mustBadCode(t, err)
	})
}

func TestRecoveryCodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "ada@example.test")
		now := time.Now().UTC()
		_, codes := mustTOTP(t, s, u, now)
		seen := map[string]bool{}
		for _, c := range codes {
			if seen[c] || len(c) != 11 {
				t.Fatalf("recovery codes %v: duplicate or malformed %q", codes, c)
			}
			seen[c] = true
		}
		a := models.OTPAttempt{UserID: u.ID, Pending: "p"}
		// Typed in capitals without the hyphen: still the code.
		typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", ""))
		factor, err := s.VerifySecondFactor(ctx, totpKey, a, typed, now)
		if err != nil || factor != models.FactorRecovery {
			t.Fatalf("VerifySecondFactor(recovery) = %q, %v", factor, err)
		}
		// Single use.
		_, err = s.VerifySecondFactor(ctx, totpKey, a, codes[3], now)
		mustBadCode(t, err)
		if st, _ := s.TOTPStatus(ctx, u.ID); st.RecoveryCodes != models.RecoveryCodeCount-1 {
			t.Fatalf("%d recovery codes left, want %d", st.RecoveryCodes, models.RecoveryCodeCount-1)
		}
		// Only the hashes are stored.
		hashes, err := models.RecoveryCodeHashes(s, u.ID)
		if err != nil || len(hashes) != len(codes) {
			t.Fatalf("hashes = %v, %v", hashes, err)
		}
		want := map[string]bool{}
		for _, c := range codes {
			want[models.HashToken(strings.ReplaceAll(c, "-", ""))] = true
		}
		for _, h := range hashes {
			if !want[h] {
				t.Fatalf("stored %q is not the SHA-256 of a recovery code", h)
			}
		}
		// Another account cannot use them.
		eve := mustUser(t, s, "eve@example.test")
		mustTOTP(t, s, eve, now)
		_, err = s.VerifySecondFactor(ctx, totpKey, models.OTPAttempt{UserID: eve.ID, Pending: "q"}, codes[4], now)
		mustBadCode(t, err)
	})
}

func TestDisableTOTPNeedsCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "ada@example.test")
		now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		secret, _ := mustTOTP(t, s, u, now)
		later := now.Add(time.Hour)
		wrong := "123456"
		if wrong == totpAt(t, secret, later) {
			wrong = "654321"
		}
		mustBadCode(t, s.DisableTOTP(ctx, totpKey, u.ID, wrong, later))
		if st, _ := s.TOTPStatus(ctx, u.ID); !st.Enabled {
			t.Fatal("a wrong code turned two-factor off")
		}
		if err := s.DisableTOTP(ctx, totpKey, u.ID, totpAt(t, secret, later), later); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.TOTPStatus(ctx, u.ID); st.Enabled || st.Pending || mustRows(t, s, "recovery_codes") != 0 {
			t.Fatalf("after turning off: %+v, %d recovery codes", st, mustRows(t, s, "recovery_codes"))
		}
		if err := s.ResetTOTP(ctx, u.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("ResetTOTP with nothing to reset: %v, want ErrNotFound", err)
		}
	})
}

func TestRegenerateRecoveryCodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "ada@example.test")
		now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		secret, old := mustTOTP(t, s, u, now)
		later := now.Add(time.Hour)
		if _, err := s.RegenerateRecoveryCodes(ctx, totpKey, u.ID, old[0], later); !errors.Is(err, models.ErrBadCode) {
			t.Fatalf("regenerate with a recovery code: %v, want a refusal (it takes the app's code)", err)
		}
		fresh, err := s.RegenerateRecoveryCodes(ctx, totpKey, u.ID, totpAt(t, secret, later), later)
		if err != nil || len(fresh) != models.RecoveryCodeCount {
			t.Fatalf("RegenerateRecoveryCodes = %v, %v", fresh, err)
		}
		_, err = s.VerifySecondFactor(ctx, totpKey, models.OTPAttempt{UserID: u.ID, Pending: "p"}, old[1], later)
		mustBadCode(t, err)
		if _, err := s.VerifySecondFactor(ctx, totpKey, models.OTPAttempt{UserID: u.ID, Pending: "p"}, fresh[1], later); err != nil {
			t.Fatal(err)
		}
	})
}

// The second factor has throttles of its own: OTPPendingMax wrong codes per pending login and
// OTPAccountMax per account, after which even the right code is refused unchecked.
func TestOTPThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u := mustUser(t, s, "ada@example.test")
		now := time.Now().UTC()
		secret, _ := mustTOTP(t, s, u, now.Add(-time.Hour))
		wrong := "000000"
		for totpAt(t, secret, now) == wrong || totpAt(t, secret, now.Add(-30*time.Second)) == wrong || totpAt(t, secret, now.Add(30*time.Second)) == wrong {
			wrong = "111111"
		}
		first := models.OTPAttempt{UserID: u.ID, Pending: "first"}
		for range models.OTPPendingMax {
			_, err := s.VerifySecondFactor(ctx, totpKey, first, wrong, now)
			mustBadCode(t, err)
		}
		_, err := s.VerifySecondFactor(ctx, totpKey, first, totpAt(t, secret, now), now)
		mustThrottle(t, err, models.ThrottleOTPPending)

		// A new pending login (the password given again) may try, until the account's limit.
		second := models.OTPAttempt{UserID: u.ID, Pending: "second"}
		for range models.OTPAccountMax - models.OTPPendingMax {
			_, err := s.VerifySecondFactor(ctx, totpKey, second, wrong, now)
			mustBadCode(t, err)
		}
		_, err = s.VerifySecondFactor(ctx, totpKey, models.OTPAttempt{UserID: u.ID, Pending: "third"}, totpAt(t, secret, now), now)
		mustThrottle(t, err, models.ThrottleOTPAccount)
		// Turning it off from a signed-in session counts against the account too.
		mustThrottle(t, s.DisableTOTP(ctx, totpKey, u.ID, totpAt(t, secret, now), now), models.ThrottleOTPAccount)

		// Another account is not affected.
		eve := mustUser(t, s, "eve@example.test")
		eveSecret, _ := mustTOTP(t, s, eve, now.Add(-time.Hour))
		if _, err := s.VerifySecondFactor(ctx, totpKey, models.OTPAttempt{UserID: eve.ID, Pending: "eve-first"}, totpAt(t, eveSecret, now), now); err != nil {
			t.Fatalf("another account's login: %v", err)
		}
	})
}
