package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

func TestChangeClientStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c, _ := mustClient(t, s, nil, models.ClientMachine, "INVOICE.READ")
		status := func() string {
			t.Helper()
			got, err := s.ClientByID(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.Status
		}
		for _, step := range []struct {
			from, to string
			wantErr  error
			want     string
		}{
			{models.ClientSuspended, models.ClientActive, models.ErrClientStatus, models.ClientActive}, // not suspended yet
			{models.ClientActive, models.ClientSuspended, nil, models.ClientSuspended},
			{models.ClientActive, models.ClientSuspended, models.ErrClientStatus, models.ClientSuspended},
			{models.ClientSuspended, models.ClientActive, nil, models.ClientActive},
		} {
			if err := s.ChangeClientStatus(ctx, c.ID, step.from, step.to); !errors.Is(err, step.wantErr) {
				t.Fatalf("%s → %s: %v, want %v", step.from, step.to, err, step.wantErr)
			}
			if got := status(); got != step.want {
				t.Fatalf("%s → %s: status %s, want %s", step.from, step.to, got, step.want)
			}
		}
		if err := s.RevokeClient(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.ChangeClientStatus(ctx, c.ID, models.ClientSuspended, models.ClientActive); !errors.Is(err, models.ErrClientStatus) {
			t.Fatalf("reinstating a revoked client: %v, want ErrClientStatus", err)
		}
		if got := status(); got != models.ClientRevoked {
			t.Fatalf("revoked client is now %s", got)
		}
		if err := s.ChangeClientStatus(ctx, "dp_nope", models.ClientActive, models.ClientSuspended); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown client: %v, want ErrNotFound", err)
		}
	})
}
