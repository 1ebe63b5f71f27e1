package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// Issue #8 finding 7: emails were never length-checked and passwords of spaces were accepted.
// Every way an account gets a password (sign-up, the CLI's users create, both through
// CreateUser; and ChangePassword) applies the same rules.
func TestAccountInputLimits(t *testing.T) {
	s := storetest.SQLite(t)
	ctx := context.Background()
	local := strings.Repeat("a", models.MaxEmailLength-len("@example.test"))
	for _, tc := range []struct {
		name, email, password string
		ok                    bool
	}{
		{"RFC 5321 §4.5.3.1.3: 254 characters", local + "@example.test", password, true},
		{"255 characters", "b" + local + "@example.test", password, false},
		{"NUL", "nul\x00@example.test", password, false},
		{"tab", "tab\t@example.test", password, false},
		{"DEL", "del\x7f@example.test", password, false},
		{"C1 control (NEL)", "nel\u0085@example.test", password, false},
		{"invalid UTF-8", "bad\xff@example.test", password, false},
		{"password of spaces", "spaces@example.test", strings.Repeat(" ", 16), false},
		{"password of mixed whitespace", "ws@example.test", " \t\n\u00a0\u2003           ", false},
		{"password with spaces around words", "words@example.test", "  correct horse  ", true},
		{"1024-byte password", "long@example.test", strings.Repeat("p", models.MaxPasswordLength), true},
		{"1025-byte password", "longer@example.test", strings.Repeat("p", models.MaxPasswordLength+1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateUser(ctx, tc.email, tc.password, false)
			if tc.ok != (err == nil) {
				t.Fatalf("CreateUser(%.30q, %d-byte password) err = %v, want ok=%v", tc.email, len(tc.password), err, tc.ok)
			}
			if _, err := s.Signup(ctx, tc.email, tc.password, "", "192.0.2.1"); tc.ok != errors.Is(err, models.ErrDuplicate) {
				t.Fatalf("Signup err = %v, want the same verdict as CreateUser", err)
			}
		})
	}
	u := mustUser(t, s, "changer@example.test")
	for _, tc := range []struct {
		name, current, next string
		want                error // nil: a validation error
	}{
		{"new password of spaces", password, strings.Repeat(" ", 20), nil},
		{"new password too long", password, strings.Repeat("x", models.MaxPasswordLength+1), nil},
		{"current password longer than any", strings.Repeat("x", models.MaxPasswordLength+1), password + "!", models.ErrBadCredential},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.ChangePassword(ctx, u.ID, tc.current, tc.next, "")
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || (tc.want == nil && errors.Is(err, models.ErrBadCredential)) {
				t.Fatalf("ChangePassword err = %v, want %v", err, tc.want)
			}
		})
	}
}

// Issue #8 finding 11: a 60,000-character admin search returned 500 (SQLite's LIKE pattern
// limit is 50,000 bytes). Searches and audit filters are bounded before any query.
func TestSearchLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		for _, q := range []string{strings.Repeat("é", models.MaxSearchLength), "%_\\"} {
			if _, err := s.ListUsers(ctx, q, models.ListPage{Limit: 10}); err != nil {
				t.Fatalf("ListUsers(%d characters): %v", len([]rune(q)), err)
			}
			if _, err := s.ListClients(ctx, q, "", models.ListPage{Limit: 10}); err != nil {
				t.Fatalf("ListClients(%d characters): %v", len([]rune(q)), err)
			}
		}
		for _, q := range []string{strings.Repeat("x", models.MaxSearchLength+1), strings.Repeat("%", 60000)} {
			if _, err := s.ListUsers(ctx, q, models.ListPage{Limit: 10}); !errors.Is(err, models.ErrTooLong) {
				t.Fatalf("ListUsers(%d characters) err = %v, want ErrTooLong", len(q), err)
			}
			if _, err := s.ListClients(ctx, q, "", models.ListPage{Limit: 10}); !errors.Is(err, models.ErrTooLong) {
				t.Fatalf("ListClients(%d characters) err = %v, want ErrTooLong", len(q), err)
			}
		}
		long := strings.Repeat("a", models.MaxAuditFilterLength+1)
		for _, f := range []models.AuditFilter{{Actor: long}, {Target: long}, {Type: long}} {
			if _, err := s.AuditEvents(ctx, f); !errors.Is(err, models.ErrTooLong) {
				t.Fatalf("AuditEvents(%+.20v) err = %v, want ErrTooLong", f, err)
			}
		}
		if _, err := s.AuditEvents(ctx, models.AuditFilter{Actor: long[1:]}); err != nil {
			t.Fatalf("AuditEvents at the limit: %v", err)
		}
	})
}
