package models_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// TestEditClient: the settings form's edit and its sensitive-scope requests are one transaction
// (issue 9 item 2: the composition once lived in handlers.UpdateApp). A request that cannot be
// filed (here: a scope outside the catalog, refused by the foreign key) leaves the edit unsaved.
func TestEditClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		owner := mustUser(t, s, "edit@example.test")
		c, _ := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ")
		p := models.ClientProfile{Name: "Renamed", RedirectURIs: c.RedirectURIs, Scopes: c.Scopes}

		tests := []struct {
			name      string
			requested []string
			wantErr   bool
			wantName  string
			wantAsked []string
		}{
			{"unfileable request: nothing saved", []string{"NO_SUCH.SCOPE"}, true, c.Name, nil},
			{"edit with a request", []string{"INVOICE.WRITE"}, false, "Renamed", []string{"INVOICE.WRITE"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.EditClient(ctx, c.ID, p, tt.requested)
				if (err != nil) != tt.wantErr {
					t.Fatalf("EditClient: %v, want error %v", err, tt.wantErr)
				}
				got, err := s.ClientByID(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				reqs, err := s.ScopeRequestsFor(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				var asked []string
				for _, r := range reqs {
					asked = append(asked, r.Scope)
				}
				if got.Name != tt.wantName || !slices.Equal(asked, tt.wantAsked) {
					t.Fatalf("after EditClient: name %q, requests %v; want %q, %v", got.Name, asked, tt.wantName, tt.wantAsked)
				}
			})
		}
		if err := s.EditClient(ctx, "dp_missing", p, nil); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("EditClient of a missing client: %v, want ErrNotFound", err)
		}
	})
}
