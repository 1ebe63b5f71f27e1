package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
)

// mustStore opens the CLI's database for a test to look at.
func (c *cli) mustStore() *models.Store {
	c.t.Helper()
	s, err := models.Open(c.env["DEVPORTAL_DATABASE_URL"])
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { s.Close() })
	return s
}

// mustAudit returns the audit entries of type typ, newest first.
func (c *cli) mustAudit(typ string) []models.AuditEvent {
	c.t.Helper()
	evs, err := c.mustStore().AuditEvents(context.Background(), models.AuditFilter{Type: typ})
	if err != nil {
		c.t.Fatal(err)
	}
	return evs
}

// mustOne checks that evs is exactly one entry by actor about target whose detail has every part.
func mustOne(t *testing.T, what string, evs []models.AuditEvent, actor, target string, parts ...string) {
	t.Helper()
	if len(evs) != 1 {
		t.Fatalf("%s: %d audit entries, want 1: %+v", what, len(evs), evs)
	}
	e := evs[0]
	if e.Actor != actor || e.Target != target {
		t.Errorf("%s: entry by %q about %q, want by %q about %q", what, e.Actor, e.Target, actor, target)
	}
	for _, p := range parts {
		if !strings.Contains(e.Detail, p) {
			t.Errorf("%s: detail %q lacks %q", what, e.Detail, p)
		}
	}
}

var (
	addedKeys   = regexp.MustCompile(`added (ES256|RS256) signing key (\S+)`)
	createdJSON = regexp.MustCompile(`"client_id": "(dp_[^"]+)"`)
)

// Issue 13 (the audit log records CLI actions): every command that changes state writes an
// audit entry by "cli:<OS user>" naming what it changed: the migrations it applied, the user
// (and an administrator's role) it created, the client with its owner and its sensitive-scope
// request, each key it added or retired, and what a purge deleted, with counts.
func TestCLIActionsAudited(t *testing.T) {
	c := newCLI(t)
	c.env["USER"] = "alice"
	const actor = "cli:alice"
	ctx := context.Background()

	out, err := c.run("", "migrate")
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	applied := regexp.MustCompile(`applied migration (\S+)`).FindAllStringSubmatch(out, -1)
	if len(applied) < 2 {
		t.Fatalf("migrate printed %q", out)
	}
	newest := applied[len(applied)-1][1]
	mustOne(t, "migrate", c.mustAudit(models.AuditMigrated), actor, newest, "applied 0001_initial, ", ", "+newest)
	if out, err := c.run("", "migrate"); err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate again: %v\n%s", err, out)
	}
	if n := len(c.mustAudit(models.AuditMigrated)); n != 1 {
		t.Fatalf("a migrate that applied nothing was recorded: %d entries", n)
	}

	if out, err := c.run("", "users", "create", "--email", "Owner@Example.com", "--admin", "--password", "correct horse battery staple"); err != nil {
		t.Fatalf("users create: %v\n%s", err, out)
	}
	mustOne(t, "users create", c.mustAudit(models.AuditUserCreated), actor, "owner@example.com", "admin")
	mustOne(t, "users create --admin", c.mustAudit(models.AuditAdminGranted), actor, "owner@example.com", "at creation")

	if err := c.mustStore().UpdateScope(ctx, "EWALLET.WRITE", "Pay from your e-wallet", true); err != nil {
		t.Fatal(err)
	}
	out, err = c.run("", "clients", "create", "--name", "Sync", "--scope", "INVOICE.READ EWALLET.WRITE", "--owner", "owner@example.com")
	if err != nil {
		t.Fatalf("clients create: %v\n%s", err, out)
	}
	m := createdJSON.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("clients create printed %q", out)
	}
	secret := regexp.MustCompile(`"client_secret": "([^"]+)"`).FindStringSubmatch(out)
	mustOne(t, "clients create", c.mustAudit(models.AuditAppCreated), actor, m[1], `"Sync"`, "machine", "scopes INVOICE.READ", "owner owner@example.com")
	if secret == nil || strings.Contains(c.mustAudit(models.AuditAppCreated)[0].Detail, secret[1]) {
		t.Errorf("the machine client's secret %v is missing from the output or present in the audit log", secret)
	}
	mustOne(t, "clients create, sensitive scope", c.mustAudit(models.AuditScopeRequested), actor, m[1], "EWALLET.WRITE")

	old, _ := c.signingState()
	for _, tc := range []struct {
		args []string
		says string
	}{{[]string{"keys", "rotate"}, "activation delay"}, {[]string{"keys", "rotate", "--now"}, "at once (--now)"}} {
		before := len(c.mustAudit(models.AuditKeyRotated))
		out, err := c.run("", tc.args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, out)
		}
		evs := c.mustAudit(models.AuditKeyRotated)
		added := addedKeys.FindAllStringSubmatch(out, -1)
		if len(added) != 2 || len(evs)-before != 2 {
			t.Fatalf("%v added %d keys, wrote %d entries; want 2 and 2\n%s", tc.args, len(added), len(evs)-before, out)
		}
		for i, k := range added { // newest first: the entries come in the order of the lines, reversed
			e := evs[len(added)-1-i]
			if e.Actor != actor || e.Target != k[2] || !strings.HasPrefix(e.Detail, k[1]+"; ") || !strings.Contains(e.Detail, tc.says) {
				t.Errorf("%v: entry %+v for %s key %s, want by %s saying %q", tc.args, e, k[1], k[2], actor, tc.says)
			}
		}
	}
	if out, err := c.run("", "keys", "retire", old); err != nil {
		t.Fatalf("keys retire: %v\n%s", err, out)
	}
	mustOne(t, "keys retire", c.mustAudit(models.AuditKeyRetired), actor, old, "JWKS")
	if _, err := c.run("", "keys", "retire", "no-such-kid"); err == nil {
		t.Fatal("retiring an unknown key succeeded")
	}
	if n := len(c.mustAudit(models.AuditKeyRetired)); n != 1 {
		t.Fatalf("a refused retire was recorded: %d entries", n)
	}

	s := c.mustStore()
	for _, jti := range []string{"dead-1", "dead-2"} {
		if err := s.RevokeAccessToken(ctx, jti, time.Now().UTC().Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := c.run("", "purge"); err != nil {
		t.Fatalf("purge: %v\n%s", err, out)
	}
	mustOne(t, "purge", c.mustAudit(models.AuditPurged), actor, "expired data", "deleted 2: revoked access tokens: 2")
	if out, err := c.run("", "purge"); err != nil {
		t.Fatalf("purge again: %v\n%s", err, out)
	}
	if evs := c.mustAudit(models.AuditPurged); len(evs) != 2 || evs[0].Detail != "deleted nothing" {
		t.Fatalf("a purge that deleted nothing: %+v, want a second entry saying so", evs)
	}
}

// Without USER or LOGNAME the actor is plain "cli".
func TestCLIActorWithoutOSUser(t *testing.T) {
	c := newCLI(t)
	if out, err := c.run("", "keys", "rotate"); err != nil {
		t.Fatalf("keys rotate: %v\n%s", err, out)
	}
	for _, e := range c.mustAudit(models.AuditKeyRotated) {
		if e.Actor != "cli" {
			t.Errorf("actor %q, want cli", e.Actor)
		}
	}
	if got := cliActor(func(k string) string { return map[string]string{"LOGNAME": "bob"}[k] }); got != "cli:bob" {
		t.Errorf("with LOGNAME=bob: %q", got)
	}
}
