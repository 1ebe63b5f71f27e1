package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
)

// Issue 9 item 5: `clients create --access-ttl/--refresh-ttl` follow the same rule as the
// application form (oauth.LifetimeRange.Check): within the bounds and in whole seconds, since the
// override is stored in seconds. The flags used to check the bounds only and cut a fraction off.
func TestClientsCreateLifetimeFlags(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		errHas string // "" : the command must succeed
	}{
		{"default lifetimes", nil, ""},
		{"access within bounds", []string{"--access-ttl", "5m"}, ""},
		{"refresh within bounds", []string{"--refresh-ttl", "24h"}, ""},
		{"access below 1m", []string{"--access-ttl", "30s"}, "--access-ttl: choose between 1m and 24h"},
		{"access above 24h", []string{"--access-ttl", "25h"}, "--access-ttl: choose between 1m and 24h"},
		{"refresh above 8760h", []string{"--refresh-ttl", "8761h"}, "--refresh-ttl: choose between 1h and 8760h"},
		{"access with a fraction of a second", []string{"--access-ttl", "90500ms"}, "--access-ttl: use whole seconds"},
		{"refresh with a fraction of a second", []string{"--refresh-ttl", "3600.5s"}, "--refresh-ttl: use whole seconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLI(t)
			out, err := c.run("", append([]string{"clients", "create", "--name", "Billing", "--type", "web",
				"--redirect-uri", "https://app.example.com/callback", "--scope", "INVOICE.READ"}, tc.args...)...)
			if tc.errHas == "" {
				if err != nil {
					t.Fatalf("clients create: %v\n%s", err, out)
				}
				if !strings.Contains(out, `"client_id"`) {
					t.Errorf("output %q", out)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("err = %v, want one containing %q (output %q)", err, tc.errHas, out)
			}
		})
	}
}

// CONTRACT.md: `clients create --owner EMAIL` makes an existing account the owner; an unknown
// email is refused with a clear message and creates nothing.
func TestClientsCreateOwner(t *testing.T) {
	c := newCLI(t)
	if out, err := c.run("", "users", "create", "--email", "owner@example.com", "--password", "correct horse battery staple"); err != nil {
		t.Fatalf("users create: %v\n%s", err, out)
	}
	out, err := c.run("", "clients", "create", "--name", "Sync", "--scope", "INVOICE.READ", "--owner", "Owner@Example.com")
	if err != nil {
		t.Fatalf("clients create --owner: %v\n%s", err, out)
	}
	var got struct{ ClientID, Owner string }
	if err := json.Unmarshal([]byte(out), &struct {
		ClientID *string `json:"client_id"`
		Owner    *string `json:"owner"`
	}{&got.ClientID, &got.Owner}); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	s, err := models.Open(c.env["DEVPORTAL_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	client, err := s.ClientByID(context.Background(), got.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.UserByEmail(context.Background(), "owner@example.com")
	if err != nil || client.OwnerID == nil || *client.OwnerID != u.ID || got.Owner != "owner@example.com" {
		t.Fatalf("owner = %v (%v), output owner %q; want the account %v", client.OwnerID, err, got.Owner, u)
	}
	out, err = c.run("", "clients", "create", "--name", "Sync", "--scope", "INVOICE.READ", "--owner", "nobody@example.com")
	if err == nil || !strings.Contains(err.Error(), `--owner: no account has the email "nobody@example.com"`) {
		t.Fatalf("unknown owner: %v\n%s", err, out)
	}
}

// `clients create --allow-device` turns on the device authorization grant (RFC 8628), as the
// "Allow device sign-in" setting does; a machine client is refused, since no user approves.
func TestClientsCreateAllowDevice(t *testing.T) {
	c := newCLI(t)
	out, err := c.run("", "clients", "create", "--name", "TV", "--type", "native", "--redirect-uri", "http://127.0.0.1/cb",
		"--scope", "INVOICE.READ", "--allow-device")
	if err != nil {
		t.Fatalf("clients create --allow-device: %v\n%s", err, out)
	}
	var got struct {
		ClientID string `json:"client_id"`
		Endpoint string `json:"device_authorization_endpoint"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || !strings.HasSuffix(got.Endpoint, "/oauth/device_authorization") {
		t.Fatalf("output %q (%v)", out, err)
	}
	client, err := c.mustStore().ClientByID(context.Background(), got.ClientID)
	if err != nil || !client.AllowDeviceGrant {
		t.Fatalf("stored %+v, %v; want device sign-in allowed", client, err)
	}
	if evs := c.mustAudit(models.AuditAppCreated); len(evs) != 1 || !strings.Contains(evs[0].Detail, "device sign-in allowed") {
		t.Errorf("audit %+v", evs)
	}
	out, err = c.run("", "clients", "create", "--name", "Sync", "--scope", "INVOICE.READ", "--allow-device")
	if err == nil || !strings.Contains(err.Error(), "--allow-device: machine applications") {
		t.Fatalf("machine with --allow-device: %v\n%s", err, out)
	}
}
