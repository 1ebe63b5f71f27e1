package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// Issue #8 finding 12: a portal session also ends after an idle timeout. Activity moves
// last_seen_at, but at most once per min(idle/10, 5m), so page views do not each write; the
// absolute expiry still holds however active the session is.
func TestSessionIdleTimeout(t *testing.T) {
	type look struct {
		at   time.Duration // since the session was created
		live bool
	}
	for _, tc := range []struct {
		name  string
		ttl   time.Duration
		idle  time.Duration
		looks []look
	}{
		{"activity keeps a session alive past one idle period", 24 * time.Hour, time.Hour,
			[]look{{59 * time.Minute, true}, {time.Hour + 58*time.Minute, true}, {2*time.Hour + 57*time.Minute, true}}},
		{"idle for exactly the timeout is over", 24 * time.Hour, time.Hour,
			[]look{{time.Hour, false}}},
		{"an idle session stays over", 24 * time.Hour, time.Hour,
			[]look{{2 * time.Hour, false}, {2*time.Hour + time.Minute, false}}},
		// Seen at +4m, inside the 5-minute write interval: not recorded, so +61m is 61 minutes idle.
		{"activity inside the write interval is not written", 24 * time.Hour, time.Hour,
			[]look{{4 * time.Minute, true}, {time.Hour + time.Minute, false}}},
		{"activity past the write interval is written", 24 * time.Hour, time.Hour,
			[]look{{5 * time.Minute, true}, {time.Hour + time.Minute, true}}},
		// A 10-minute timeout writes every minute (a tenth of it).
		{"short timeouts write more often", 24 * time.Hour, 10 * time.Minute,
			[]look{{time.Minute, true}, {10*time.Minute + 30*time.Second, true}}},
		{"the absolute lifetime holds however active", 2 * time.Hour, time.Hour,
			[]look{{50 * time.Minute, true}, {100 * time.Minute, true}, {2*time.Hour + time.Minute, false}}},
		{"no idle limit", 24 * time.Hour, 0,
			[]look{{20 * time.Hour, true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, s *models.Store) {
				ctx := context.Background()
				u, err := s.CreateUser(ctx, "idle@example.com", "a long enough password", false)
				if err != nil {
					t.Fatal(err)
				}
				token, _, err := s.CreateSession(ctx, u.ID, tc.ttl, "192.0.2.1", "test agent")
				if err != nil {
					t.Fatal(err)
				}
				// CreateSession reads the system clock; start no earlier than it did.
				start := time.Now().UTC()
				for _, l := range tc.looks {
					got, _, err := s.SessionUser(ctx, token, start.Add(l.at), tc.idle)
					switch {
					case l.live && (err != nil || got.ID != u.ID || got.Email != u.Email):
						t.Fatalf("at +%v: SessionUser = %+v, %v; want %s", l.at, got, err, u.Email)
					case !l.live && !errors.Is(err, models.ErrNotFound):
						t.Fatalf("at +%v: SessionUser = %+v, %v; want ErrNotFound (idle or expired)", l.at, got, err)
					}
				}
			})
		})
	}
}
