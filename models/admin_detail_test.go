package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

func mustAudit(t *testing.T, s *models.Store, e models.AuditEvent) models.AuditEvent {
	t.Helper()
	if err := s.Audit(context.Background(), &e); err != nil {
		t.Fatalf("Audit(%s): %v", e.Type, err)
	}
	return e
}

func auditIDs(events []models.AuditEvent) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Issue 13 (admin console): the detail pages and the overview read bounded, newest-first lists
// of the audit log by target, by actor or target, by status type and by security type.
func TestAdminDetailAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		admin := mustUser(t, s, "admin@example.com")
		user := mustUser(t, s, "user@example.com")
		c, _ := mustClient(t, s, user, models.ClientMachine, "INVOICE.READ")
		other, _ := mustClient(t, s, nil, models.ClientMachine, "INVOICE.READ")

		suspended := mustAudit(t, s, models.AuditEvent{Type: models.AuditClientSuspended, ActorID: &admin.ID, Actor: admin.Email, Target: c.ID, Detail: "reason: abuse"})
		mustAudit(t, s, models.AuditEvent{Type: models.AuditClientSuspended, Target: other.ID})
		updated := mustAudit(t, s, models.AuditEvent{Type: models.AuditAppUpdated, ActorID: &user.ID, Actor: user.Email, Target: c.ID})
		reinstated := mustAudit(t, s, models.AuditEvent{Type: models.AuditClientReinstated, ActorID: &admin.ID, Actor: admin.Email, Target: c.ID})
		failed := mustAudit(t, s, models.AuditEvent{Type: models.AuditLoginFailed, Target: user.Email})
		throttled := mustAudit(t, s, models.AuditEvent{Type: models.AuditLoginThrottled, Target: user.Email})
		reused := mustAudit(t, s, models.AuditEvent{Type: models.AuditRefreshReused, Target: c.ID})
		// Both by and about the user: listed once.
		changed := mustAudit(t, s, models.AuditEvent{Type: models.AuditPasswordChanged, ActorID: &user.ID, Actor: user.Email, Target: user.Email})

		about, err := s.AuditAbout(ctx, c.ID, 20)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{reused.ID, reinstated.ID, updated.ID, suspended.ID}; !equalIDs(auditIDs(about), want) {
			t.Errorf("AuditAbout = %v, want %v", auditIDs(about), want)
		}
		if about, _ := s.AuditAbout(ctx, c.ID, 2); len(about) != 2 || about[0].ID != reused.ID {
			t.Errorf("AuditAbout with limit 2 = %v", auditIDs(about))
		}

		history, err := s.ClientStatusHistory(ctx, c.ID, 20)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{reinstated.ID, suspended.ID}; !equalIDs(auditIDs(history), want) || history[1].Detail != "reason: abuse" {
			t.Errorf("ClientStatusHistory = %+v, want ids %v with the reason", history, want)
		}

		// The user acted (app.updated) and was acted on (login events on their email).
		of, err := s.AuditOfUser(ctx, user.ID, user.Email, 20)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{changed.ID, throttled.ID, failed.ID, updated.ID}; !equalIDs(auditIDs(of), want) {
			t.Errorf("AuditOfUser = %v, want %v", auditIDs(of), want)
		}
		if of, _ := s.AuditOfUser(ctx, user.ID, user.Email, 2); !equalIDs(auditIDs(of), []int64{changed.ID, throttled.ID}) {
			t.Errorf("AuditOfUser with limit 2 = %v", auditIDs(of))
		}

		sec, err := s.SecurityEvents(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{reused.ID, throttled.ID, suspended.ID + 1}; !equalIDs(auditIDs(sec), want) {
			t.Errorf("SecurityEvents(3) = %v, want %v (newest security events only)", auditIDs(sec), want)
		}

		names, err := s.ClientNames(ctx, []string{c.ID, user.Email, "INVOICE.READ", c.ID, ""})
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 1 || names[c.ID] != c.Name {
			t.Errorf("ClientNames = %v, want only %s → %s", names, c.ID, c.Name)
		}
	})
}

// Issue 13 (admin console): counts stop at a cap, so the overview costs the same with a
// million rows; the detail pages count grants and list consents and owned apps.
func TestAdminCountsAndUserDetail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		user := mustUser(t, s, "user@example.com")
		mustUser(t, s, "other@example.com")
		active, _ := mustClient(t, s, user, models.ClientMachine, "INVOICE.READ")
		suspended, _ := mustClient(t, s, nil, models.ClientMachine, "INVOICE.READ")
		if err := s.ChangeClientStatus(ctx, suspended.ID, models.ClientActive, models.ClientSuspended); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateClient(ctx, models.NewClient{Name: "Asker", Type: models.ClientMachine, Scopes: []string{"INVOICE.READ"},
			PendingScopes: []string{"EWALLET.WRITE", "VIRTUAL_ACCOUNT.WRITE"}}); err != nil {
			t.Fatal(err)
		}

		got, err := s.AdminCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := models.AdminCounts{Users: models.Count{N: 2}, Active: models.Count{N: 2}, Suspended: models.Count{N: 1}, PendingScopeRequests: models.Count{N: 2}}
		if got != want {
			t.Errorf("AdminCounts = %+v, want %+v", got, want)
		}
		first, err := s.FirstPendingScopeRequests(ctx, 1)
		if err != nil || len(first) != 1 || first[0].ClientName != "Asker" {
			t.Errorf("FirstPendingScopeRequests(1) = %+v, %v", first, err)
		}

		for i := 0; i < 4; i++ {
			mustAudit(t, s, models.AuditEvent{Type: models.AuditLoginFailed, Target: user.Email})
		}
		if n, err := models.CountAuditCapped(ctx, s, models.AuditLoginFailed, 3); err != nil || n != (models.Count{N: 3, More: true}) {
			t.Errorf("capped count of 4 rows at 3 = %+v, %v; want 3 and more", n, err)
		}
		if n, err := models.CountAuditCapped(ctx, s, models.AuditLoginFailed, 4); err != nil || n != (models.Count{N: 4}) {
			t.Errorf("capped count of 4 rows at 4 = %+v, %v; want exactly 4", n, err)
		}

		live := mustGrant(t, s, active.ID, &user.ID, "INVOICE.READ")
		mustGrant(t, s, active.ID, &user.ID, "INVOICE.READ")
		dead := mustGrant(t, s, active.ID, &user.ID, "INVOICE.READ")
		if err := s.RevokeGrant(ctx, dead.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if n, err := s.ActiveGrantCount(ctx, active.ID); err != nil || n != (models.Count{N: 2}) {
			t.Errorf("ActiveGrantCount = %+v, %v; want 2 (one of three is revoked)", n, err)
		}
		_ = live

		if err := s.SaveConsent(ctx, user.ID, active.ID, []string{"INVOICE.READ"}); err != nil {
			t.Fatal(err)
		}
		consents, err := s.UserConsents(ctx, user.ID, 10)
		if err != nil || len(consents) != 1 || consents[0].ClientName != active.Name || !strings.Contains(strings.Join(consents[0].Scope, " "), "INVOICE.READ") {
			t.Errorf("UserConsents = %+v, %v", consents, err)
		}
		owned, err := s.OwnedClients(ctx, user.ID, 10)
		if err != nil || len(owned) != 1 || owned[0].ID != active.ID {
			t.Errorf("OwnedClients = %+v, %v", owned, err)
		}
		if n, err := s.PasskeyCount(ctx, user.ID); err != nil || n != 0 {
			t.Errorf("PasskeyCount = %d, %v", n, err)
		}
	})
}

// Issue 13: the reason an admin gives is bounded, so the audit detail stays a line.
func TestValidateReason(t *testing.T) {
	if err := models.ValidateReason(strings.Repeat("é", models.MaxAuditReason)); err != nil {
		t.Errorf("a reason of exactly the maximum: %v", err)
	}
	if err := models.ValidateReason(strings.Repeat("é", models.MaxAuditReason+1)); !errors.Is(err, models.ErrTooLong) {
		t.Errorf("a reason over the maximum: %v, want ErrTooLong", err)
	}
}
