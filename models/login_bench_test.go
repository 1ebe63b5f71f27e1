package models_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// BenchmarkLogin is what a login costs the store: the password (throttle bookkeeping and
// argon2id), and the second factor of an account with an authenticator app (its throttle, the
// sealed secret, the replay guard). Each iteration's code is for its own 30-second step, so the
// replay guard accepts it.
func BenchmarkLogin(b *testing.B) {
	ctx := context.Background()
	s := storetest.SQLite(b)
	u, err := s.CreateUser(ctx, "bench@example.test", "correct horse battery staple", false)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now().UTC().Truncate(30 * time.Second)
	setup, err := s.BeginTOTP(ctx, totpKey, u)
	if err != nil {
		b.Fatal(err)
	}
	code, _ := totp.GenerateCode(setup.Secret, start)
	if _, err := s.EnableTOTP(ctx, totpKey, u.ID, code, start); err != nil {
		b.Fatal(err)
	}
	b.Run("password", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Login(ctx, u.Email, "correct horse battery staple", "192.0.2."+strconv.Itoa(i%200)); err != nil {
				b.Fatal(err)
			}
		}
	})
	step := 0 // across the benchmark's runs: a step once used is refused for good
	b.Run("second-factor", func(b *testing.B) {
		codes := make([]string, b.N)
		at := make([]time.Time, b.N)
		for i := range codes {
			step++
			at[i] = start.Add(time.Duration(step) * 30 * time.Second)
			codes[i], _ = totp.GenerateCode(setup.Secret, at[i])
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.VerifySecondFactor(ctx, totpKey, models.OTPAttempt{UserID: u.ID, Pending: strconv.Itoa(i)}, codes[i], at[i]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
