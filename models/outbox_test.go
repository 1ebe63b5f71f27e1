package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// Purge removes mailed links past their expiry and mail given up on, and nothing still live.
func TestPurgeMailAndAccountTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		u, err := s.CreateUser(ctx, "purge@example.test", "correct horse battery staple", false)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []struct {
			hash    string
			expires time.Time
		}{{"expired", now.Add(-48 * time.Hour)}, {"live", now.Add(time.Hour)}} {
			if err := models.RawDB(s).Exec("INSERT INTO account_tokens (hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, 'verify_email', ?, ?)",
				tok.hash, u.ID, now, tok.expires).Error; err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if err := s.EnqueueMail(ctx, []byte("sealed"), now, 10); err != nil {
				t.Fatal(err)
			}
		}
		due, err := s.DueMail(ctx, now, 10)
		if err != nil || len(due) != 2 {
			t.Fatalf("due %v %v", due, err)
		}
		if err := s.MailFailed(ctx, due[0].ID, time.Time{}, "refused", now.Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Purge(ctx, now.Add(-24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		var tokens []string
		models.RawDB(s).Raw("SELECT hash FROM account_tokens").Scan(&tokens)
		waiting, failed, err := s.MailCounts(ctx)
		if err != nil || len(tokens) != 1 || tokens[0] != "live" || waiting != 1 || failed != 0 {
			t.Fatalf("after purge: tokens %v, mail %d waiting %d failed, %v", tokens, waiting, failed, err)
		}
	})
}
