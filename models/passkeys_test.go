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

func mustPasskey(t *testing.T, s *models.Store, userID int64, credID, name string) *models.Passkey {
	t.Helper()
	p := &models.Passkey{UserID: userID, CredentialID: []byte(credID), PublicKey: []byte("pk-" + credID), Name: name, Transports: "internal"}
	if err := s.AddPasskey(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// Issue #11 (passkeys): a passkey belongs to one account; the other account can neither see,
// rename nor remove it (ErrNotFound), and a credential id is registered once across accounts.
func TestPasskeysBelongToTheirAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		alice, _ := s.CreateUser(ctx, "alice@example.com", "correct horse battery staple", false)
		bob, _ := s.CreateUser(ctx, "bob@example.com", "correct horse battery staple", false)
		p := mustPasskey(t, s, alice.ID, "cred-1", "  Laptop  ")
		if p.Name != "Laptop" {
			t.Fatalf("name %q, want it trimmed", p.Name)
		}
		if err := s.AddPasskey(ctx, &models.Passkey{UserID: bob.ID, CredentialID: []byte("cred-1"), PublicKey: []byte("x"), Name: "Mine"}); !errors.Is(err, models.ErrDuplicate) {
			t.Fatalf("same credential id on another account: %v, want ErrDuplicate", err)
		}
		if err := s.RenamePasskey(ctx, bob.ID, p.ID, "Stolen"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("rename by another account: %v, want ErrNotFound", err)
		}
		if err := s.RemovePasskey(ctx, bob.ID, p.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("remove by another account: %v, want ErrNotFound", err)
		}
		if _, err := s.PasskeyOf(ctx, bob.ID, p.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("load by another account: %v, want ErrNotFound", err)
		}
		if err := s.RenamePasskey(ctx, alice.ID, p.ID, "Work laptop"); err != nil {
			t.Fatal(err)
		}
		list, err := s.UserPasskeys(ctx, alice.ID)
		if err != nil || len(list) != 1 || list[0].Name != "Work laptop" || string(list[0].CredentialID) != "cred-1" {
			t.Fatalf("alice's passkeys: %+v, %v", list, err)
		}
		if list, _ := s.UserPasskeys(ctx, bob.ID); len(list) != 0 {
			t.Fatalf("bob sees %d passkeys", len(list))
		}
		if err := s.RemovePasskey(ctx, alice.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.UserPasskeys(ctx, alice.ID); len(list) != 0 {
			t.Fatalf("removed passkey still listed: %+v", list)
		}
	})
}

// Issue #11: names are 1 to 64 characters, without control characters.
func TestPasskeyNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		u, _ := s.CreateUser(ctx, "alice@example.com", "correct horse battery staple", false)
		p := mustPasskey(t, s, u.ID, "cred-1", "Phone")
		for _, bad := range []string{"", "   ", strings.Repeat("é", models.MaxPasskeyName+1), "a\x00b", "a\nb", "\xff"} {
			if err := s.RenamePasskey(ctx, u.ID, p.ID, bad); !errors.Is(err, models.ErrInvalid) {
				t.Errorf("rename to %q: %v, want ErrInvalid", bad, err)
			}
		}
		if err := s.RenamePasskey(ctx, u.ID, p.ID, strings.Repeat("é", models.MaxPasskeyName)); err != nil {
			t.Errorf("64 characters: %v", err)
		}
	})
}

// WebAuthn §6.1.1 (signature counter) and §7.2 step 21: an assertion whose counter does not
// grow is refused, unless the authenticator keeps no counter (always 0).
func TestUsePasskeySignCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		u, _ := s.CreateUser(ctx, "alice@example.com", "correct horse battery staple", false)
		zero := mustPasskey(t, s, u.ID, "no-counter", "A")
		for range 2 {
			if err := s.UsePasskey(ctx, zero.ID, 0, now); err != nil {
				t.Fatalf("counterless authenticator refused: %v", err)
			}
		}
		p := mustPasskey(t, s, u.ID, "counter", "B")
		if err := s.UsePasskey(ctx, p.ID, 5, now); err != nil {
			t.Fatal(err)
		}
		for _, c := range []uint32{5, 4, 0} {
			if err := s.UsePasskey(ctx, p.ID, c, now); !errors.Is(err, models.ErrSignCount) {
				t.Errorf("counter %d after 5: %v, want ErrSignCount", c, err)
			}
		}
		if err := s.UsePasskey(ctx, p.ID, 6, now); err != nil {
			t.Fatal(err)
		}
		got, _ := s.PasskeyOf(ctx, u.ID, p.ID)
		if got.SignCount != 6 || got.LastUsedAt == nil {
			t.Fatalf("after use: count %d, last used %v", got.SignCount, got.LastUsedAt)
		}
	})
}

// Issue #11: ceremony state lives in the database, so any instance finishes it; it is single
// use, expires, and a token of one kind does not finish another.
func TestWebAuthnSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		u, _ := s.CreateUser(ctx, "alice@example.com", "correct horse battery staple", false)
		tok, err := s.BeginWebAuthn(ctx, "register", u.ID, `{"challenge":"c"}`, 5*time.Minute, now)
		if err != nil {
			t.Fatal(err)
		}
		id, data, err := s.TakeWebAuthn(ctx, tok, "register", now.Add(time.Minute))
		if err != nil || id != u.ID || data != `{"challenge":"c"}` {
			t.Fatalf("take: %d %q %v", id, data, err)
		}
		if _, _, err := s.TakeWebAuthn(ctx, tok, "register", now.Add(time.Minute)); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("second take: %v, want ErrNotFound", err)
		}
		login, _ := s.BeginWebAuthn(ctx, "login", 0, "{}", 5*time.Minute, now)
		if _, _, err := s.TakeWebAuthn(ctx, login, "register", now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("login token taken as register: %v", err)
		}
		if _, _, err := s.TakeWebAuthn(ctx, login, "login", now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("a token tried as the wrong kind must be spent: %v", err)
		}
		late, _ := s.BeginWebAuthn(ctx, "login", 0, "{}", 5*time.Minute, now)
		if _, _, err := s.TakeWebAuthn(ctx, late, "login", now.Add(5*time.Minute)); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("expired take: %v, want ErrNotFound", err)
		}
		anon, _ := s.BeginWebAuthn(ctx, "login", 0, "{}", 5*time.Minute, now)
		if id, _, err := s.TakeWebAuthn(ctx, anon, "login", now); err != nil || id != 0 {
			t.Fatalf("anonymous ceremony: %d %v", id, err)
		}
		stale, _ := s.BeginWebAuthn(ctx, "login", 0, "{}", time.Minute, now.Add(-time.Hour))
		if _, err := s.Purge(ctx, now); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.TakeWebAuthn(ctx, stale, "login", now.Add(-time.Hour)); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("purged ceremony still there: %v", err)
		}
	})
}
