package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
)

// Issue #12, item 8: `devportal purge` deletes what has expired, keeps what has not, prints one
// line per kind of what it deleted and exits 0; `purge --help` exits 0 too.
func TestPurgeCommand(t *testing.T) {
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
	now := time.Now().UTC()
	for _, jti := range []string{"dead-1", "dead-2"} {
		if err := s.RevokeAccessToken(ctx, jti, now.Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeAccessToken(ctx, "live", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	out, err := c.run("", "purge")
	if err != nil {
		t.Fatalf("purge: %v\n%s", err, out)
	}
	for _, want := range []string{"revoked access tokens: 2 deleted\n", "refresh tokens: 0 deleted\n", "sessions: 0 deleted\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("purge output lacks %q:\n%s", want, out)
		}
	}
	if n, err := s.Purge(ctx, now); err != nil || n != 0 {
		t.Fatalf("a second purge at now deleted %d (%v); the live revocation must have been kept and the dead ones gone", n, err)
	}
	if out, err := c.run("", "purge", "--help"); err != nil || !strings.Contains(out, "Usage: devportal purge") {
		t.Fatalf("purge --help: %v\n%s", err, out)
	}
	if out, _ := c.run("", "help"); !strings.Contains(out, "purge ") {
		t.Fatalf("devportal help does not list purge:\n%s", out)
	}
}
