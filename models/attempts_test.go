package models_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

const wrongPassword = "not the right password"

// mustThrottle asserts err is a refusal by rule.
func mustThrottle(t *testing.T, err error, rule string) *models.ThrottleError {
	t.Helper()
	var te *models.ThrottleError
	if !errors.As(err, &te) || !errors.Is(err, models.ErrThrottled) || te.Rule != rule {
		t.Fatalf("err = %v, want a %s refusal", err, rule)
	}
	if te.RetryAfter < time.Second || te.RetryAfter > te.Window {
		t.Fatalf("RetryAfter = %s, want between 1s and the window %s", te.RetryAfter, te.Window)
	}
	return te
}

func mustRows(t *testing.T, s *models.Store, table string) int64 {
	t.Helper()
	n, err := models.CountRows(s, table)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Issue #8 finding 3: the throttle counted failures before the password check finished, so 40
// simultaneous guesses were all verified against a limit of 10. Reserving the attempt first
// and counting it with the others makes the limit hold however many guesses race.
func TestLoginThrottleHoldsUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		mustUser(t, s, "target@example.test")
		s.LimitHashing(runtime.NumCPU(), time.Minute) // the race is about the throttle, not the hashing bound
		const guesses = 40
		startBucket := time.Now().UTC().Truncate(models.LoginEmailWindow)
		errs := race(guesses, func(i int) error {
			_, err := s.Login(ctx, "Target@example.test", wrongPassword, fmt.Sprintf("198.51.100.%d", i))
			return err
		})
		verified, firsts := 0, 0
		for _, err := range errs {
			var te *models.ThrottleError
			switch {
			case errors.Is(err, models.ErrBadCredential):
				verified++
			case errors.As(err, &te) && te.Rule == models.ThrottleLoginEmail:
				if te.First {
					firsts++
				}
			default:
				t.Fatalf("Login err = %v, want a wrong password or a login_email refusal", err)
			}
		}
		if verified > models.LoginEmailMax {
			t.Fatalf("%d of %d concurrent guesses were checked, want at most %d", verified, guesses, models.LoginEmailMax)
		}
		// Whatever the race left unused can be spent one by one, never more.
		for ; verified < models.LoginEmailMax; verified++ {
			if _, err := s.Login(ctx, "target@example.test", wrongPassword, "198.51.100.1"); !errors.Is(err, models.ErrBadCredential) {
				t.Fatalf("guess %d after the race: %v, want a checked wrong password", verified+1, err)
			}
		}
		_, err := s.Login(ctx, "target@example.test", password, "192.0.2.1")
		if te := mustThrottle(t, err, models.ThrottleLoginEmail); te.Subject != "target@example.test" {
			t.Fatalf("refusal subject %q, want the normalised email", te.Subject)
		}
		if got := mustRows(t, s, "login_attempts"); got != models.LoginEmailMax {
			t.Fatalf("%d attempts stored, want the %d failures only (refusals leave none)", got, models.LoginEmailMax)
		}
		// One refusal per window is marked First (the audit event); a fixed window may have turned.
		if time.Now().UTC().Truncate(models.LoginEmailWindow).Equal(startBucket) && firsts != 1 {
			t.Fatalf("%d of the refusals marked First in one window, want exactly 1", firsts)
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		mustUser(t, s, "ada@example.test")
		now := time.Now().UTC()

		t.Run("a successful login is not a failure", func(t *testing.T) {
			for i := range models.LoginEmailMax - 1 {
				if _, err := s.Login(ctx, "ada@example.test", wrongPassword, "192.0.2.10"); !errors.Is(err, models.ErrBadCredential) {
					t.Fatalf("guess %d: %v", i, err)
				}
			}
			if u, err := s.Login(ctx, "ada@example.test", password, "192.0.2.10"); err != nil || u.Email != "ada@example.test" {
				t.Fatalf("right password with one failure to spare = %v, %v", u, err)
			}
			if n := mustRows(t, s, "login_attempts"); n != models.LoginEmailMax-1 {
				t.Fatalf("%d attempts stored, want only the %d failures", n, models.LoginEmailMax-1)
			}
			if _, err := s.Login(ctx, "ada@example.test", wrongPassword, "192.0.2.10"); !errors.Is(err, models.ErrBadCredential) {
				t.Fatalf("10th failure: %v", err)
			}
			first := mustThrottle(t, func() error { _, err := s.Login(ctx, "ada@example.test", password, "192.0.2.11"); return err }(), models.ThrottleLoginEmail)
			again := mustThrottle(t, func() error { _, err := s.Login(ctx, "ADA@example.test", password, "192.0.2.12"); return err }(), models.ThrottleLoginEmail)
			if !first.First || again.First {
				t.Fatalf("First = %v then %v, want the first refusal of the window only", first.First, again.First)
			}
			if n := mustRows(t, s, "throttle_refusals"); n != 1 {
				t.Fatalf("%d refusal marks, want 1", n)
			}
		})

		t.Run("attempts outside the window do not count", func(t *testing.T) {
			for range models.LoginEmailMax {
				if err := models.AddLoginAttempt(s, "login", "old@example.test", "192.0.2.20", now.Add(-models.LoginEmailWindow-time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Login(ctx, "old@example.test", wrongPassword, "192.0.2.20"); !errors.Is(err, models.ErrBadCredential) {
				t.Fatalf("after old failures only: %v, want the password checked", err)
			}
		})

		t.Run("Retry-After is when the oldest counted failure leaves the window", func(t *testing.T) {
			at := time.Now().UTC().Add(-10 * time.Minute)
			for range models.LoginEmailMax {
				if err := models.AddLoginAttempt(s, "login", "wait@example.test", "192.0.2.30", at); err != nil {
					t.Fatal(err)
				}
			}
			_, err := s.Login(ctx, "wait@example.test", wrongPassword, "192.0.2.31")
			te := mustThrottle(t, err, models.ThrottleLoginEmail)
			if te.RetryAfter > 5*time.Minute || te.RetryAfter < 4*time.Minute {
				t.Fatalf("RetryAfter = %s, want about 5m (15m window, failures 10m old)", te.RetryAfter)
			}
		})

		t.Run("per IP, whatever the emails", func(t *testing.T) {
			ip := "203.0.113.50"
			for i := range models.LoginIPMax {
				if err := models.AddLoginAttempt(s, "login", fmt.Sprintf("user%d@example.test", i), ip, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			_, err := s.Login(ctx, "someone-new@example.test", wrongPassword, ip)
			if te := mustThrottle(t, err, models.ThrottleLoginIP); te.Subject != ip || !te.First {
				t.Fatalf("refusal %+v, want the IP as subject, first of its window", te)
			}
			mustUser(t, s, "bob@example.test")
			_, err = s.Login(ctx, "bob@example.test", password, ip) // even the right password: unchecked
			if te := mustThrottle(t, err, models.ThrottleLoginIP); te.First {
				t.Fatal("second refusal marked First")
			}
			if _, err := s.Login(ctx, "someone-new@example.test", wrongPassword, "203.0.113.51"); !errors.Is(err, models.ErrBadCredential) {
				t.Fatalf("another IP: %v, want the password checked", err)
			}
		})

		t.Run("input no account can match writes nothing", func(t *testing.T) {
			before := mustRows(t, s, "login_attempts")
			for _, tc := range []struct{ email, password string }{
				{strings.Repeat("a", 250) + "@example.test", password},
				{"nul\x00@example.test", password},
				{"ada@example.test", strings.Repeat("p", models.MaxPasswordLength+1)},
			} {
				if _, err := s.Login(ctx, tc.email, tc.password, "192.0.2.40"); !errors.Is(err, models.ErrBadCredential) {
					t.Fatalf("Login(%.20q) = %v, want ErrBadCredential", tc.email, err)
				}
			}
			if after := mustRows(t, s, "login_attempts"); after != before {
				t.Fatalf("attempts %d → %d, want nothing stored", before, after)
			}
		})
	})
}

// Issue #8 finding 4: sign-ups are limited per IP address.
func TestSignupThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		ip := "203.0.113.60"
		if _, err := s.Signup(ctx, "invalid@example.test", "short", "", ip); err == nil || errors.Is(err, models.ErrThrottled) {
			t.Fatalf("invalid sign-up: %v, want a validation error", err)
		}
		for i := range models.SignupIPMax - 1 {
			if _, err := s.Signup(ctx, fmt.Sprintf("new%d@example.test", i), password, "", ip); err != nil {
				t.Fatalf("sign-up %d: %v", i, err)
			}
		}
		if _, err := s.Signup(ctx, "new0@example.test", password, "", ip); !errors.Is(err, models.ErrDuplicate) {
			t.Fatalf("taken email: %v, want ErrDuplicate (counted)", err)
		}
		_, err := s.Signup(ctx, "one-more@example.test", password, "", ip)
		if te := mustThrottle(t, err, models.ThrottleSignupIP); !te.First || te.Subject != ip {
			t.Fatalf("refusal %+v, want the first for %s", te, ip)
		}
		if _, err := s.Signup(ctx, "one-more@example.test", password, "", "203.0.113.61"); err != nil {
			t.Fatalf("another IP: %v", err)
		}
	})
}

func TestPurgeDeletesOldAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		now := time.Now().UTC()
		for _, at := range []time.Time{now.Add(-2 * time.Hour), now.Add(-61 * time.Minute), now.Add(-59 * time.Minute), now} {
			if err := models.AddLoginAttempt(s, "signup", "", "192.0.2.70", at); err != nil {
				t.Fatal(err)
			}
		}
		for _, at := range []time.Time{now.Add(-3 * time.Hour), now.Truncate(time.Hour)} {
			if err := models.AddThrottleRefusal(s, models.ThrottleSignupIP, "192.0.2.70", at); err != nil {
				t.Fatal(err)
			}
		}
		// Purge's before keeps codes and tokens a day for replay detection; attempts need no grace.
		if _, err := s.Purge(context.Background(), now.Add(-24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n := mustRows(t, s, "login_attempts"); n != 2 {
			t.Fatalf("%d attempts left, want the 2 within the longest window (1h)", n)
		}
		if n := mustRows(t, s, "throttle_refusals"); n != 1 {
			t.Fatalf("%d refusal marks left, want the current one", n)
		}
	})
}

// Issue #8 finding 4: 64 concurrent logins ran 64 argon2id hashes of 64 MiB at once. Hashing
// holds a slot of a bounded pool: callers beyond it wait, then get ErrBusy.
func TestHashingIsBounded(t *testing.T) {
	s := storetest.SQLite(t)
	ctx := context.Background()
	mustUser(t, s, "ada@example.test")
	const slots, callers = 2, 6
	s.LimitHashing(slots, 10*time.Millisecond)
	entered := make(chan struct{}, callers)
	release := make(chan struct{})
	models.SetHashHook(s, func() {
		entered <- struct{}{}
		<-release
	})
	results := make(chan error, callers)
	for i := range callers {
		go func() {
			_, err := s.Authenticate(ctx, fmt.Sprintf("user%d@example.test", i), wrongPassword)
			results <- err
		}()
	}
	// While the first slots are held, everyone else must give up: nobody may enter beyond them.
	inside, busy := 0, 0
	for busy < callers-slots {
		select {
		case <-entered:
			if inside++; inside > slots {
				close(release)
				t.Fatalf("%d hashes running at once, want at most %d", inside, slots)
			}
		case err := <-results:
			if !errors.Is(err, models.ErrBusy) {
				close(release)
				t.Fatalf("a caller finished with %v while every slot was held, want ErrBusy", err)
			}
			busy++
		}
	}
	close(release)
	for range slots {
		if err := <-results; !errors.Is(err, models.ErrBadCredential) {
			t.Fatalf("a caller holding a slot: %v, want its password checked", err)
		}
	}
}

// Every argon2id use goes through the bound: a saturated pool refuses with ErrBusy, and a login
// that could not be checked is not counted as a failure.
func TestSaturatedHashingRefusesEverywhere(t *testing.T) {
	s := storetest.SQLite(t)
	ctx := context.Background()
	u := mustUser(t, s, "ada@example.test")
	s.LimitHashing(0, time.Millisecond)
	for name, call := range map[string]func() error{
		"Authenticate, known email":   func() error { _, err := s.Authenticate(ctx, "ada@example.test", password); return err },
		"Authenticate, unknown email": func() error { _, err := s.Authenticate(ctx, "nobody@example.test", password); return err },
		"Login":                       func() error { _, err := s.Login(ctx, "ada@example.test", password, "192.0.2.80"); return err },
		"Signup":                      func() error { _, err := s.Signup(ctx, "new@example.test", password, "", "192.0.2.80"); return err },
		"CreateUser":                  func() error { _, err := s.CreateUser(ctx, "new@example.test", password, false); return err },
		"ChangePassword":              func() error { return s.ChangePassword(ctx, u.ID, password, password+"!", "") },
	} {
		if err := call(); !errors.Is(err, models.ErrBusy) {
			t.Errorf("%s: %v, want ErrBusy", name, err)
		}
	}
	if n := mustRows(t, s, "login_attempts"); n != 0 {
		t.Fatalf("%d attempts stored, want none: a check that never ran is not a failure", n)
	}
}
