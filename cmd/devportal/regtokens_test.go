package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
)

// Issue 15 (RFC 7591 §3): `devportal registration-tokens create --expires 24h --uses 10`
// prints the initial access token as JSON; the token registers clients, is stored only as a
// hash, and `revoke` stops it. Creation and revocation are audited as the command line.
func TestRegistrationTokensCommand(t *testing.T) {
	c := newCLI(t)
	out, err := c.run("", "registration-tokens", "create", "--expires", "24h", "--uses", "10")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	var parsed map[string]any
	if err := json.Unmarshal([]byte(out), &parsed); err != nil || parsed["uses"] != float64(10) || parsed["expires_at"] == nil {
		t.Fatalf("output %q: %v", out, err)
	}
	var got struct{ ID, Token string }
	got.ID, _ = parsed["id"].(string)
	got.Token, _ = parsed["token"].(string)
	if got.ID == "" || !strings.HasPrefix(got.Token, "dpi_") {
		t.Fatalf("output %q", out)
	}

	s, err := models.Open(c.env["DEVPORTAL_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	tok, err := s.RegistrationTokenByID(ctx, got.ID)
	if err != nil || tok.Hash != models.HashToken(got.Token) || tok.UsesLeft != 10 || time.Until(tok.ExpiresAt) < 23*time.Hour {
		t.Fatalf("stored %+v %v", tok, err)
	}
	reg := models.DynamicRegistration{Client: models.NewClient{Name: "cli", Type: models.ClientNative, RedirectURIs: []string{"http://127.0.0.1/cb"}, Scopes: []string{"INVOICE.READ"}},
		TokenEndpointAuthMethod: "none", Policy: models.DCRToken, InitialAccessToken: got.Token, RegistrationToken: models.NewToken("dpr_")}
	if _, _, err := s.RegisterDynamicClient(ctx, reg, time.Now()); err != nil {
		t.Fatalf("register with the token: %v", err)
	}
	if out, err := c.run("", "registration-tokens", "revoke", got.ID); err != nil {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	if _, _, err := s.RegisterDynamicClient(ctx, reg, time.Now()); !errors.Is(err, models.ErrRegistrationTokenInvalid) {
		t.Fatalf("register with a revoked token: %v", err)
	}
	for _, typ := range []string{models.AuditRegTokenCreated, models.AuditRegTokenRevoked} {
		evs, err := s.AuditEvents(ctx, models.AuditFilter{Type: typ})
		if err != nil || len(evs) != 1 || !strings.HasPrefix(evs[0].Actor, "cli") {
			t.Errorf("%s: %+v %v", typ, evs, err)
		}
	}
	if out, err := c.run("", "registration-tokens", "create", "--uses", "0"); err == nil {
		t.Fatalf("0 uses accepted:\n%s", out)
	}
	if out, err := c.run("", "registration-tokens", "--help"); err != nil || !strings.Contains(out, "registration-tokens create") {
		t.Fatalf("help: %v\n%s", err, out)
	}
}

// Issue 15: `devportal purge` deletes a dynamic client that never obtained a token within
// models.UnusedDynamicClientTTL, prints the count and audits it.
func TestPurgeCommandDeletesUnusedDynamicClients(t *testing.T) {
	c := newCLI(t)
	if _, err := c.run("", "migrate"); err != nil {
		t.Fatal(err)
	}
	s, err := models.Open(c.env["DEVPORTAL_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	reg := models.DynamicRegistration{Client: models.NewClient{Name: "idle agent", Type: models.ClientNative, RedirectURIs: []string{"http://127.0.0.1/cb"}, Scopes: []string{"INVOICE.READ"}},
		TokenEndpointAuthMethod: "none", Policy: models.DCROpen, RegistrationToken: models.NewToken("dpr_")}
	cl, _, err := s.RegisterDynamicClient(ctx, reg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", c.env["DEVPORTAL_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE clients SET created_at = ? WHERE id = ?", time.Now().UTC().Add(-models.UnusedDynamicClientTTL-time.Hour), cl.ID); err != nil {
		t.Fatal(err)
	}
	out, err := c.run("", "purge")
	if err != nil || !strings.Contains(out, "unused dynamic clients: 1 deleted\n") {
		t.Fatalf("purge: %v\n%s", err, out)
	}
	if _, err := s.ClientByID(ctx, cl.ID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("the unused dynamic client is still there: %v", err)
	}
	if evs, err := s.AuditEvents(ctx, models.AuditFilter{Type: models.AuditClientExpiredUnused, Target: cl.ID}); err != nil || len(evs) != 1 {
		t.Fatalf("audit: %+v %v", evs, err)
	}
}
