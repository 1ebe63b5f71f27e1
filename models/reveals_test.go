package models_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

var revealKey = models.DeriveKey([]byte("reveal test secret"), "reveal")

// Issue #13, "Reload repeats the action": a secret is shown exactly once, from a sealed reveal
// bound to one session. Taking it deletes it; another session, purpose or subject finds nothing;
// an expired one is not shown, and the purge deletes it; the stored payload is not the secret.
func TestRevealTakenOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		secret := []byte("dps_the-secret")
		if err := s.PutReveal(ctx, revealKey, "sid-a", models.RevealClientSecret, "dp_1", secret, now); err != nil {
			t.Fatal(err)
		}
		var rows []models.Reveal
		if err := models.RawDB(s).Find(&rows).Error; err != nil || len(rows) != 1 || string(rows[0].Payload) == string(secret) ||
			bytes.Contains(rows[0].Payload, secret) {
			t.Fatalf("stored reveals %+v, %v: want one, sealed", rows, err)
		}
		for _, other := range []struct{ sid, purpose, subject string }{
			{"sid-b", models.RevealClientSecret, "dp_1"},
			{"sid-a", models.RevealRecoveryCodes, "dp_1"},
			{"sid-a", models.RevealClientSecret, "dp_2"},
		} {
			if _, err := s.TakeReveal(ctx, revealKey, other.sid, other.purpose, other.subject, now); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("take %+v: %v, want ErrNotFound", other, err)
			}
		}
		got, err := s.TakeReveal(ctx, revealKey, "sid-a", models.RevealClientSecret, "dp_1", now)
		if err != nil || string(got) != string(secret) {
			t.Fatalf("take: %q, %v", got, err)
		}
		if _, err := s.TakeReveal(ctx, revealKey, "sid-a", models.RevealClientSecret, "dp_1", now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("second take: %v, want ErrNotFound", err)
		}

		// A newer reveal of the same thing replaces the older one.
		s.PutReveal(ctx, revealKey, "sid-a", models.RevealClientSecret, "dp_1", []byte("old"), now)
		s.PutReveal(ctx, revealKey, "sid-a", models.RevealClientSecret, "dp_1", []byte("new"), now)
		if got, err := s.TakeReveal(ctx, revealKey, "sid-a", models.RevealClientSecret, "dp_1", now); err != nil || string(got) != "new" {
			t.Fatalf("take after replace: %q, %v", got, err)
		}
		if _, err := s.TakeReveal(ctx, revealKey, "sid-a", models.RevealClientSecret, "dp_1", now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("the replaced reveal is still there: %v", err)
		}

		// Expired: not shown, and purged.
		if err := s.PutReveal(ctx, revealKey, "sid-a", models.RevealClientSecret, "dp_3", secret, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakeReveal(ctx, revealKey, "sid-a", models.RevealClientSecret, "dp_3", now); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("expired take: %v, want ErrNotFound", err)
		}
		s.PutReveal(ctx, revealKey, "sid-a", models.RevealClientSecret, "dp_4", secret, now) // live: the purge keeps it
		report, err := s.PurgeExpired(ctx, models.PurgePolicy{Before: now})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range report {
			if c.Kind == "one-time reveals" && c.Deleted != 1 {
				t.Errorf("purge deleted %d reveals, want 1", c.Deleted)
			}
		}
		var left int64
		models.RawDB(s).Model(&models.Reveal{}).Count(&left)
		if left != 1 {
			t.Errorf("%d reveals left after the purge, want the live one", left)
		}

		// Sealed under another key, it does not open.
		s.PutReveal(ctx, revealKey, "sid-c", models.RevealClientSecret, "dp_5", secret, now)
		if _, err := s.TakeReveal(ctx, models.DeriveKey([]byte("other"), "reveal"), "sid-c", models.RevealClientSecret, "dp_5", now); err == nil {
			t.Error("a reveal opened under another key")
		}
	})
}

// Issue #13: two page loads at once (a double reload) must not both show the secret. Each
// goroutine takes the same reveal; exactly one may get it, on SQLite and PostgreSQL.
func TestRevealConcurrentTake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		for round := range 5 {
			if err := s.PutReveal(ctx, revealKey, "sid", models.RevealClientSecret, "dp_x", []byte("s"), now); err != nil {
				t.Fatal(err)
			}
			const n = 8
			var wg sync.WaitGroup
			var mu sync.Mutex
			shown := 0
			start := make(chan struct{})
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, err := s.TakeReveal(ctx, revealKey, "sid", models.RevealClientSecret, "dp_x", now)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						shown++
					case !errors.Is(err, models.ErrNotFound):
						t.Errorf("take: %v", err)
					}
				}()
			}
			close(start)
			wg.Wait()
			if shown != 1 {
				t.Fatalf("round %d: the reveal was shown %d times, want once", round, shown)
			}
		}
	})
}
