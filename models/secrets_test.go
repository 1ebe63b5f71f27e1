package models_test

import (
	"slices"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// TestUsableSecretSQL: ClientSecret.Usable and the SQL condition AddSecret counts and rotates
// with are one rule (issue 9 item 2: it was written three times, in Go in handlers and models and
// twice in SQL). Each row is checked against the expected answer and the two against each other,
// on both databases; the expiry instant itself is no longer usable in either.
func TestUsableSecretSQL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		owner := mustUser(t, s, "secrets@example.test")
		c, _ := mustClient(t, s, owner, models.ClientMachine, "INVOICE.READ")
		// Microseconds: what both databases keep of a timestamp.
		now := time.Now().UTC().Truncate(time.Microsecond)
		at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
		tests := []struct {
			name             string
			expires, retired *time.Time
			wantUsable       bool
		}{
			{"no expiry", nil, nil, true},
			{"expires later", at(time.Hour), nil, true},
			{"expires a microsecond later", at(time.Microsecond), nil, true},
			{"expires now", at(0), nil, false},
			{"expired", at(-time.Hour), nil, false},
			{"retired", nil, at(-time.Minute), false},
			{"retired, would expire later", at(time.Hour), at(-time.Minute), false},
			{"retired later", nil, at(time.Hour), false}, // a retirement is never scheduled
		}
		rows := make([]models.ClientSecret, len(tests))
		for i, tt := range tests {
			rows[i] = models.ClientSecret{ClientID: c.ID, Hash: models.HashToken(models.NewToken("dps_")), Hint: tt.name[:4], ExpiresAt: tt.expires, RetiredAt: tt.retired}
			if err := models.AddSecretRow(s, &rows[i]); err != nil {
				t.Fatal(err)
			}
		}
		sqlUsable, err := models.UsableSecretIDs(s, c.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				goSays, sqlSays := rows[i].Usable(now), slices.Contains(sqlUsable, rows[i].ID)
				if goSays != tt.wantUsable || sqlSays != tt.wantUsable {
					t.Fatalf("usable at now: Go %v, SQL %v; want %v", goSays, sqlSays, tt.wantUsable)
				}
			})
		}
	})
}

// TestSecretLimit: the rotate page's "at the limit" and the retire page's "last working secret"
// count the secrets AddSecret counts (issue 9 item 2: once handlers.usableSecrets).
func TestSecretLimit(t *testing.T) {
	now := time.Now().UTC()
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	working := models.ClientSecret{ID: 1}
	expiring := models.ClientSecret{ID: 2, ExpiresAt: &future}
	expired := models.ClientSecret{ID: 3, ExpiresAt: &past}
	tests := []struct {
		name     string
		secrets  []models.ClientSecret
		atLimit  bool
		lastOf   *models.ClientSecret // the secret asked about, or nil
		wantLast bool
	}{
		{"none", nil, false, nil, false},
		{"one working", []models.ClientSecret{working}, false, &working, true},
		{"one working, one expired", []models.ClientSecret{working, expired}, false, &working, true},
		{"expired is never the last working one", []models.ClientSecret{working, expired}, false, &expired, false},
		{"two working", []models.ClientSecret{working, expiring}, true, &working, false},
		{"only an expired one", []models.ClientSecret{expired}, false, &expired, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &models.Client{Secrets: tt.secrets}
			if got := c.AtSecretLimit(now); got != tt.atLimit {
				t.Errorf("AtSecretLimit = %v, want %v", got, tt.atLimit)
			}
			if tt.lastOf != nil {
				if got := c.LastUsableSecret(tt.lastOf, now); got != tt.wantLast {
					t.Errorf("LastUsableSecret(%d) = %v, want %v", tt.lastOf.ID, got, tt.wantLast)
				}
			}
		})
	}
}

// TestSecretKeep: each choice of the rotate form becomes the oldUntil AddSecret documents (nil:
// until retired by hand; zero: now; else now plus the choice), and no other name is accepted.
func TestSecretKeep(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		ok      bool
		wantNil bool
		want    time.Time
	}{
		{"now", true, false, time.Time{}},
		{"1h", true, false, now.Add(time.Hour)},
		{"1d", true, false, now.Add(24 * time.Hour)},
		{"7d", true, false, now.Add(7 * 24 * time.Hour)},
		{"forever", true, true, time.Time{}},
		{"", false, false, time.Time{}},
		{"30d", false, false, time.Time{}},
		{"NOW", false, false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, ok := models.SecretKeepNamed(tt.name)
			if ok != tt.ok {
				t.Fatalf("SecretKeepNamed(%q) ok = %v, want %v", tt.name, ok, tt.ok)
			}
			if !ok {
				return
			}
			got := k.OldUntil(now)
			switch {
			case tt.wantNil && got != nil:
				t.Fatalf("OldUntil = %v, want nil (until retired by hand)", *got)
			case !tt.wantNil && (got == nil || !got.Equal(tt.want)):
				t.Fatalf("OldUntil = %v, want %v", got, tt.want)
			}
		})
	}
	if _, ok := models.SecretKeepNamed(models.DefaultSecretKeep); !ok {
		t.Fatalf("the default choice %q is not among the choices", models.DefaultSecretKeep)
	}
}
