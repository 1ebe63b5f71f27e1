package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

func mustIssue(t *testing.T, s *models.Store, userID int64, purpose, email string, now time.Time) string {
	t.Helper()
	tok, err := s.IssueAccountToken(context.Background(), userID, purpose, email, now)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Issue #11 (email verification): a link is single use, stored only as a hash, and proves the
// address it was sent to only while the account still has it.
func TestVerifyEmailLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u, err := s.CreateUser(ctx, "verify@example.com", "a long enough password", false)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		tok := mustIssue(t, s, u.ID, models.PurposeVerifyEmail, u.Email, now)
		if !strings.HasPrefix(tok, "dpe_") {
			t.Fatalf("token %q: want the dpe_ prefix", tok)
		}
		if n, _ := models.CountRows(s, "account_tokens"); n != 1 {
			t.Fatalf("%d rows", n)
		}
		if _, err := s.CheckAccountToken(ctx, tok, models.PurposeResetPassword, now); !errors.Is(err, models.ErrLinkInvalid) {
			t.Fatalf("a verification link used as a reset link: %v", err)
		}
		got, err := s.VerifyEmail(ctx, tok, now)
		if err != nil || got.EmailVerifiedAt == nil {
			t.Fatalf("VerifyEmail = %+v, %v", got, err)
		}
		if _, err := s.VerifyEmail(ctx, tok, now); !errors.Is(err, models.ErrLinkInvalid) {
			t.Fatalf("second use: %v, want ErrLinkInvalid", err)
		}
		// Expired: 24 hours after it was issued.
		old := mustIssue(t, s, u.ID, models.PurposeVerifyEmail, u.Email, now.Add(-models.VerifyEmailTTL))
		if _, err := s.VerifyEmail(ctx, old, now); !errors.Is(err, models.ErrLinkInvalid) {
			t.Fatalf("expired link: %v", err)
		}
		// A link to an address the account no longer has proves nothing.
		v, _ := s.CreateUser(ctx, "other@example.com", "a long enough password", false)
		stale := mustIssue(t, s, v.ID, models.PurposeVerifyEmail, "previous@example.com", now)
		if _, err := s.VerifyEmail(ctx, stale, now); !errors.Is(err, models.ErrLinkInvalid) {
			t.Fatalf("link for an old address: %v", err)
		}
		if v, _ = s.UserByID(ctx, v.ID); v.EmailVerifiedAt != nil {
			t.Fatal("verified by a link to another address")
		}
	})
}

// Issue #11: at most AccountMailMax links of one purpose per account and hour.
func TestAccountMailLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u, _ := s.CreateUser(ctx, "limit@example.com", "a long enough password", false)
		now := time.Now().UTC()
		for range models.AccountMailMax {
			mustIssue(t, s, u.ID, models.PurposeVerifyEmail, u.Email, now)
		}
		if _, err := s.IssueAccountToken(ctx, u.ID, models.PurposeVerifyEmail, u.Email, now); !errors.Is(err, models.ErrTooManyMails) {
			t.Fatalf("one more: %v, want ErrTooManyMails", err)
		}
		if _, err := s.IssueAccountToken(ctx, u.ID, models.PurposeVerifyEmail, u.Email, now.Add(models.AccountMailWindow)); err != nil {
			t.Fatalf("an hour later: %v", err)
		}
	})
}

// Issue #11 (password reset): valid 30 minutes, single use, and a newer request retires the
// older link; the reset ends every session, clears the login throttle and proves the address.
func TestResetPasswordLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u, _ := s.CreateUser(ctx, "reset@example.com", "a long enough password", false)
		if _, _, err := s.CreateSession(ctx, u.ID, time.Hour, "127.0.0.1", "test"); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := s.Login(ctx, u.Email, "a wrong password!", "10.0.0.1"); !errors.Is(err, models.ErrBadCredential) {
				t.Fatal(err)
			}
		}
		now := time.Now().UTC()
		expired := mustIssue(t, s, u.ID, models.PurposeResetPassword, u.Email, now.Add(-models.ResetPasswordTTL))
		if _, err := s.ResetPassword(ctx, expired, "a brand new password", now); !errors.Is(err, models.ErrLinkInvalid) {
			t.Fatalf("30-minute-old link: %v, want ErrLinkInvalid", err)
		}
		older := mustIssue(t, s, u.ID, models.PurposeResetPassword, u.Email, now.Add(-time.Minute))
		tok := mustIssue(t, s, u.ID, models.PurposeResetPassword, u.Email, now)
		if !strings.HasPrefix(tok, "dpp_") {
			t.Fatalf("token %q: want the dpp_ prefix", tok)
		}
		if _, err := s.ResetPassword(ctx, older, "a brand new password", now); !errors.Is(err, models.ErrLinkInvalid) {
			t.Fatalf("older link after a newer request: %v, want ErrLinkInvalid", err)
		}
		if _, err := s.ResetPassword(ctx, tok, "short", now); !errors.Is(err, models.ErrInvalid) {
			t.Fatalf("short password: %v", err)
		}
		got, err := s.ResetPassword(ctx, tok, "a brand new password", now.Add(models.ResetPasswordTTL-time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if got.EmailVerifiedAt == nil {
			t.Error("a reset proves the address: want email_verified_at set")
		}
		if _, err := s.Authenticate(ctx, u.Email, "a brand new password"); err != nil {
			t.Fatalf("new password: %v", err)
		}
		if sessions, _ := s.UserSessions(ctx, u.ID, now); len(sessions) != 0 {
			t.Fatalf("%d sessions survived the reset", len(sessions))
		}
		var n int64
		if n, _ = models.CountRows(s, "login_attempts"); n != 0 {
			t.Fatalf("%d failed logins left after the reset", n)
		}
		if _, err := s.ResetPassword(ctx, tok, "yet another password", now); !errors.Is(err, models.ErrLinkInvalid) {
			t.Fatalf("second use: %v", err)
		}
	})
}

// Issue #11: two uses of one link at once — only one may win (the conditional UPDATE ... WHERE
// used_at IS NULL), on PostgreSQL as on SQLite.
func TestAccountTokenConcurrentUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u, _ := s.CreateUser(ctx, "race@example.com", "a long enough password", false)
		now := time.Now().UTC()
		tok := mustIssue(t, s, u.ID, models.PurposeChangeEmail, "race-new@example.com", now)
		const n = 8
		wins := 0
		for i, err := range together(n, func(int) error { _, _, err := s.ChangeEmail(ctx, tok, now); return err }) {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, models.ErrLinkInvalid):
				t.Errorf("use %d: %v", i, err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d uses won, want exactly 1", wins)
		}
		reset := mustIssue(t, s, u.ID, models.PurposeResetPassword, "race-new@example.com", now)
		wins = 0
		for i, err := range together(4, func(int) error { _, err := s.ResetPassword(ctx, reset, "a brand new password", now); return err }) {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, models.ErrLinkInvalid):
				t.Errorf("reset %d: %v", i, err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d resets won, want exactly 1", wins)
		}
	})
}

// Issue #11 (email change): the address changes only when the link is opened, and a link to an
// address another account took meanwhile fails clearly and stays unused.
func TestChangeEmailLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u, _ := s.CreateUser(ctx, "old@example.com", "a long enough password", false)
		now := time.Now().UTC()
		tok := mustIssue(t, s, u.ID, models.PurposeChangeEmail, "New@Example.com", now)
		if got, _ := s.UserByID(ctx, u.ID); got.Email != "old@example.com" {
			t.Fatalf("email changed before the link was opened: %s", got.Email)
		}
		taken, _ := s.CreateUser(ctx, "new@example.com", "a long enough password", false)
		if _, _, err := s.ChangeEmail(ctx, tok, now); !errors.Is(err, models.ErrDuplicate) {
			t.Fatalf("taken meanwhile: %v, want ErrDuplicate", err)
		}
		if err := s.SetUserDisabled(ctx, taken.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CheckAccountToken(ctx, tok, models.PurposeChangeEmail, now); err != nil {
			t.Fatalf("the failed change spent the link: %v", err)
		}
		other := mustIssue(t, s, u.ID, models.PurposeChangeEmail, "newer@example.com", now)
		got, old, err := s.ChangeEmail(ctx, other, now)
		if err != nil || got.Email != "newer@example.com" || old != "old@example.com" || got.EmailVerifiedAt == nil {
			t.Fatalf("ChangeEmail = %+v, %q, %v", got, old, err)
		}
	})
}

// Issue #11: an admin's Unlock forgets the account's failed logins, and only its own.
func TestUnlockLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u, _ := s.CreateUser(ctx, "locked@example.com", "a long enough password", false)
		for range models.LoginEmailMax {
			s.Login(ctx, u.Email, "a wrong password!", "10.0.0.2")
		}
		s.Login(ctx, "someone@example.com", "a wrong password!", "10.0.0.3")
		if _, err := s.Login(ctx, u.Email, "a long enough password", "10.0.0.4"); !errors.Is(err, models.ErrThrottled) {
			t.Fatalf("locked: %v", err)
		}
		if err := s.UnlockLogin(ctx, "LOCKED@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, u.Email, "a long enough password", "10.0.0.4"); err != nil {
			t.Fatalf("after unlock: %v", err)
		}
		if n := mustRows(t, s, "login_attempts"); n != 1 {
			t.Fatalf("%d attempts left, want the other account's 1", n)
		}
	})
}
