package main

import (
	"context"
	"strings"
	"testing"
)

// Issue #8 finding 14: configuration footguns stop every command that opens the database before
// it connects: PostgreSQL without DEVPORTAL_SECRET (each instance would make its own, and CSRF
// tokens and sealed signing keys would disagree between them), and a plain-http issuer on a host
// other than loopback unless DEVPORTAL_ALLOW_INSECURE_ISSUER=true.
func TestStartRefusesFootguns(t *testing.T) {
	// Nothing listens on port 1: reaching the database would fail with a connection error
	// instead of the configuration error the test wants.
	const unreachablePG = "postgres://devportal@127.0.0.1:1/devportal?sslmode=disable&connect_timeout=1"
	for _, tc := range []struct {
		name   string
		env    map[string]string
		errHas string
	}{
		{"PostgreSQL without DEVPORTAL_SECRET", map[string]string{"DEVPORTAL_DATABASE_URL": unreachablePG, "DEVPORTAL_SECRET": ""}, "DEVPORTAL_SECRET must be set"},
		{"plain http on a public host", map[string]string{"DEVPORTAL_ISSUER": "http://auth.example.com"}, "DEVPORTAL_ALLOW_INSECURE_ISSUER=true"},
	} {
		for _, args := range [][]string{{"serve", "--addr", "127.0.0.1:0"}, {"users", "create", "--email", "a@example.com", "--password", "a long enough pass phrase"}} {
			t.Run(tc.name+"/"+args[0], func(t *testing.T) {
				c := newCLI(t)
				for k, v := range tc.env {
					c.env[k] = v
				}
				// Cancelled already: a command that got past the checks fails at once instead of
				// serving until the test times out.
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				_, err := c.runCtx(ctx, "", args...)
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.errHas)
				}
			})
		}
	}
}
