package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
)

// signingState opens the database as a starting server would and reports the kid that signs
// access tokens and the kids the JWKS publishes.
func (c *cli) signingState() (signing string, published []string) {
	c.t.Helper()
	env, err := open(context.Background(), func(k string) string { return c.env[k] }, io.Discard)
	if err != nil {
		c.t.Fatal(err)
	}
	defer env.store.Close()
	for _, k := range env.oauth.JWKS().Keys {
		published = append(published, k.KeyID)
	}
	return env.oauth.SigningKeyID(), published
}

var addedES256 = regexp.MustCompile(`added ES256 signing key (\S+)`)

// Issue 12, the command line: `keys rotate --now` is the emergency rotation, whose new keys
// sign at once (a plain rotate waits out the activation delay), and `keys retire KID` takes a
// key out of signing and out of the JWKS, refusing to retire the last key of an algorithm and
// naming a key that does not exist.
func TestKeysRotateNowAndRetire(t *testing.T) {
	c := newCLI(t)
	old, _ := c.signingState()

	out, err := c.run("", "keys", "rotate")
	if err != nil {
		t.Fatalf("keys rotate: %v\n%s", err, out)
	}
	if kid, _ := c.signingState(); kid != old {
		t.Fatalf("after a plain rotate %s signs, want %s until the activation delay passed", kid, old)
	}

	out, err = c.run("", "keys", "rotate", "--now")
	if err != nil {
		t.Fatalf("keys rotate --now: %v\n%s", err, out)
	}
	m := addedES256.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("keys rotate --now printed %q", out)
	}
	fresh := m[1]
	if kid, _ := c.signingState(); kid != fresh {
		t.Fatalf("after rotate --now %s signs, want the new key %s", kid, fresh)
	}

	if out, err := c.run("", "keys", "retire", old); err != nil {
		t.Fatalf("keys retire %s: %v\n%s", old, err, out)
	}
	if _, published := c.signingState(); strings.Contains(strings.Join(published, " "), old) {
		t.Fatalf("retired key %s still in the JWKS %v", old, published)
	}
	if _, err := c.run("", "keys", "retire", old); err == nil || !strings.Contains(err.Error(), "no signing key "+old) {
		t.Fatalf("retiring it again: %v, want no signing key", err)
	}
	if _, err := c.run("", "keys", "retire"); err == nil {
		t.Fatal("keys retire without a kid succeeded")
	}

	// Two ES256 keys are left (the plain rotate's and fresh): one may go, not the last.
	if out, err := c.run("", "keys", "retire", fresh); err != nil {
		t.Fatalf("retiring %s with another ES256 key left: %v\n%s", fresh, err, out)
	}
	last, _ := c.signingState()
	if _, err := c.run("", "keys", "retire", last); err == nil || !strings.Contains(err.Error(), "only ES256 signing key") {
		t.Fatalf("retiring the last ES256 key %s: %v, want it refused", last, err)
	}
	if kid, _ := c.signingState(); kid != last {
		t.Fatalf("after the refused retire %s signs, want %s", kid, last)
	}
}
