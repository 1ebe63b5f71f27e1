package models_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// RFC 6454 §6.2: an origin is serialised as lowercase scheme://host, with the port only when it
// is not the scheme's default; only https and loopback http pages may call the token endpoint.
func TestWebOrigin(t *testing.T) {
	for _, tc := range []struct {
		uri, want string
		ok        bool
	}{
		{"https://app.example.com/callback", "https://app.example.com", true},
		{"https://App.Example.COM/cb?x=1", "https://app.example.com", true},
		{"HTTPS://app.example.com/cb", "https://app.example.com", true},
		{"https://app.example.com:443/cb", "https://app.example.com", true},
		{"https://app.example.com:8443/cb", "https://app.example.com:8443", true},
		{"http://127.0.0.1:5173/callback", "http://127.0.0.1:5173", true},
		{"http://localhost/cb", "http://localhost", true},
		{"http://localhost:80/cb", "http://localhost", true},
		{"http://[::1]:8080/cb", "http://[::1]:8080", true},
		{"http://app.example.com/cb", "", false}, // plain http off loopback is not allowed
		{"com.example.app:/callback", "", false}, // a private-use scheme has no web origin
		{"com.example.app://callback", "", false},
		{"https://bücher.example/cb", "", false}, // browsers send the xn-- form; we do not guess it
		{"https:///cb", "", false},
		{"", "", false},
	} {
		t.Run(tc.uri, func(t *testing.T) {
			got, ok := models.WebOrigin(tc.uri)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("WebOrigin(%q) = %q, %v; want %q, %v", tc.uri, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestEffectiveOrigins(t *testing.T) {
	redirects := []string{"https://a.example/cb", "https://a.example/other", "com.example.app:/cb", "http://127.0.0.1:3000/cb"}
	if got, want := models.EffectiveOrigins(nil, redirects), []string{"https://a.example", "http://127.0.0.1:3000"}; !slices.Equal(got, want) {
		t.Errorf("default origins = %v, want %v (distinct, in order, no private-use scheme)", got, want)
	}
	if got, want := models.EffectiveOrigins([]string{"https://spa.example"}, redirects), []string{"https://spa.example"}; !slices.Equal(got, want) {
		t.Errorf("with an explicit list = %v, want only %v", got, want)
	}
}

// The origin index answers preflights: it must follow every write of a client, in the same
// transaction, and count active clients only.
func TestClientOriginIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		allows := func(origin string) bool {
			t.Helper()
			ok, err := s.AnyActiveClientAllowsOrigin(ctx, origin)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		c, _, err := s.CreateClient(ctx, models.NewClient{Name: "SPA", Type: models.ClientNative,
			RedirectURIs: []string{"https://spa.example/cb", "com.example.spa:/cb"}, Scopes: []string{"INVOICE.READ"}})
		if err != nil {
			t.Fatal(err)
		}
		if !allows("https://spa.example") {
			t.Fatal("a new client's redirect-URI origin is not in the index")
		}
		if allows("https://other.example") || allows("https://spa.example/cb") {
			t.Fatal("the index allows an origin no client lists")
		}

		explicit := models.ClientProfile{Name: "SPA", RedirectURIs: c.RedirectURIs, AllowedOrigins: []string{"https://app.example", "http://localhost:5173"}, Scopes: c.Scopes}
		if err := s.UpdateClient(ctx, c.ID, explicit); err != nil {
			t.Fatal(err)
		}
		if !allows("https://app.example") || !allows("http://localhost:5173") || allows("https://spa.example") {
			t.Fatal("after listing origins the index does not hold exactly them")
		}
		got, err := s.ClientByID(ctx, c.ID)
		if err != nil || !slices.Equal(got.AllowedOrigins, explicit.AllowedOrigins) {
			t.Fatalf("ClientByID allowed origins = %v, %v; want %v", got.AllowedOrigins, err, explicit.AllowedOrigins)
		}

		back := explicit
		back.AllowedOrigins, back.RedirectURIs = nil, []string{"https://moved.example/cb"}
		if err := s.UpdateClient(ctx, c.ID, back); err != nil {
			t.Fatal(err)
		}
		if !allows("https://moved.example") || allows("https://app.example") {
			t.Fatal("emptying the list does not bring back the redirect URIs' origins")
		}

		if err := s.SetClientStatus(ctx, c.ID, models.ClientSuspended); err != nil {
			t.Fatal(err)
		}
		if allows("https://moved.example") {
			t.Fatal("a suspended client's origin still answers preflights")
		}
		if err := s.SetClientStatus(ctx, c.ID, models.ClientActive); err != nil {
			t.Fatal(err)
		}
		// Finding 2: a disabled owner's client works nowhere, preflights included.
		owner, err := s.CreateUser(ctx, "owner@example.test", "correct horse battery staple", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateClient(ctx, models.NewClient{OwnerID: &owner.ID, Name: "Owned", Type: models.ClientNative,
			RedirectURIs: []string{"https://owned.example/cb"}, Scopes: []string{"INVOICE.READ"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetUserDisabled(ctx, owner.ID, true); err != nil {
			t.Fatal(err)
		}
		if allows("https://owned.example") {
			t.Fatal("a disabled owner's client still answers preflights")
		}
		if err := s.SetUserDisabled(ctx, owner.ID, false); err != nil || !allows("https://owned.example") {
			t.Fatalf("re-enabled owner's client does not answer preflights (%v)", err)
		}
		if err := s.DeleteClient(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if allows("https://moved.example") {
			t.Fatal("a deleted client's origin still answers preflights")
		}

		// A failed edit leaves the index as it was: it is written in the client's transaction.
		c2, _, err := s.CreateClient(ctx, models.NewClient{Name: "Other", Type: models.ClientWeb, RedirectURIs: []string{"https://two.example/cb"}, Scopes: []string{"INVOICE.READ"}})
		if err != nil {
			t.Fatal(err)
		}
		err = s.InTx(ctx, func(tx *models.Store) error {
			if err := tx.UpdateClient(ctx, c2.ID, models.ClientProfile{Name: "Other", RedirectURIs: []string{"https://three.example/cb"}, Scopes: c2.Scopes}); err != nil {
				return err
			}
			return fmt.Errorf("rolled back")
		})
		if err == nil || !allows("https://two.example") || allows("https://three.example") {
			t.Fatalf("after a rolled-back edit (%v) the index changed", err)
		}
	})
}

// Migration 7 fills the index for clients registered before it, page by page.
func TestMigrationBackfillsClientOrigins(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.mustMigrated(t)
		// Put the database back to before migration 7, with more clients than one page holds.
		for _, stmt := range []string{
			"DROP TABLE client_origins",
			"ALTER TABLE clients DROP COLUMN allowed_origins",
			"DELETE FROM schema_migrations WHERE version = 7",
		} {
			if err := b.raw.Exec(stmt).Error; err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		const n = 1203
		now := time.Now().UTC()
		var values []string
		var args []any
		for i := range n {
			redirects := fmt.Sprintf("https://app%d.example/cb\ncom.example.app%d:/cb", i, i)
			typ := "native"
			if i%100 == 99 {
				redirects, typ = "", "machine"
			}
			values = append(values, "(?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, fmt.Sprintf("dp_%05d", i), "App", typ, redirects, "INVOICE.READ", models.ClientActive, now, now)
		}
		for start := 0; start < n; start += 100 { // stay under SQLite's bound-variable limit
			end := min(start+100, n)
			err := b.raw.Exec("INSERT INTO clients (id, name, type, redirect_uris, scopes, status, created_at, updated_at) VALUES "+
				strings.Join(values[start:end], ", "), args[start*8:end*8]...).Error
			if err != nil {
				t.Fatal(err)
			}
		}
		applied, err := s.Migrate(ctx)
		if err != nil || !slices.Contains(applied, "0007_client_origins") {
			t.Fatalf("Migrate = %v, %v; want 0007_client_origins applied again", applied, err)
		}
		var rows int64
		if err := b.raw.Table("client_origins").Count(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if want := int64(n - n/100); rows != want {
			t.Fatalf("%d index rows after the backfill, want %d (one per non-machine client)", rows, want)
		}
		for _, i := range []int{0, 498, 500, 1202} {
			if ok, err := s.AnyActiveClientAllowsOrigin(ctx, fmt.Sprintf("https://app%d.example", i)); err != nil || !ok {
				t.Errorf("client %d's origin is not in the index: %v", i, err)
			}
		}
	})
}
