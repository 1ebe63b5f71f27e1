package main

import (
	"strings"
	"testing"
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
