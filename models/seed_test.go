package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// The seed writes rows the product then reads as its own: more than one batch and one
// transaction of them (a shorter last batch included), found by the product's own queries,
// and sign-ups after a seed get IDs past the seeded ones (PostgreSQL's sequence is moved).
func TestSeedRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		owner, err := s.CreateUser(ctx, "owner@example.com", "a long enough password", false)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		n := models.SeedTxRows + models.SeedBatch + 7
		users := make([]models.User, n)
		for i := range users {
			users[i] = models.User{ID: owner.ID + 1 + int64(i), Email: fmt.Sprintf("u%d@seed.example", i), Subject: models.NewID(16),
				PasswordHash: owner.PasswordHash, CreatedAt: now, UpdatedAt: now}
		}
		if err := s.SeedUsers(ctx, users); err != nil {
			t.Fatal(err)
		}
		if got, err := s.CountUsers(ctx); err != nil || got != int64(n+1) {
			t.Fatalf("CountUsers = %d, %v; want %d", got, err, n+1)
		}
		last := users[n-1]
		if u, err := s.UserByEmail(ctx, last.Email); err != nil || u.ID != last.ID || u.Subject != last.Subject {
			t.Fatalf("UserByEmail(%s) = %+v, %v", last.Email, u, err)
		}
		after, err := s.CreateUser(ctx, "after@example.com", "a long enough password", false)
		if err != nil {
			t.Fatalf("sign-up after the seed: %v", err)
		}
		if after.ID <= last.ID {
			t.Fatalf("sign-up after the seed got ID %d, want one after %d", after.ID, last.ID)
		}

		secret := models.NewToken("dps_")
		c := models.Client{ID: "dp_" + models.NewID(12), OwnerID: &owner.ID, Name: "Seeded", Type: models.ClientMachine, Scopes: models.Words{"INVOICE.READ"},
			Status: models.ClientActive, CreatedAt: now, UpdatedAt: now,
			Secrets: []models.ClientSecret{{Hash: models.HashToken(secret), Hint: secret[len(secret)-4:], CreatedAt: now}}}
		if err := s.SeedClients(ctx, []models.Client{c}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ClientByID(ctx, c.ID)
		if err != nil || len(got.Secrets) != 1 || got.Secrets[0].Hash != models.HashToken(secret) {
			t.Fatalf("ClientByID(%s) = %+v, %v; want it with its secret", c.ID, got, err)
		}
	})
}
