package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document-02): the clients
// row of a URL client and the blocked hosts, on every backend.
func TestMetadataClientRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		id := "https://app.example.com/client.json"
		now := time.Now().UTC().Truncate(time.Second)
		m := models.MetadataClient{ID: id, Name: "Agent", RedirectURIs: []string{"http://127.0.0.1/cb"}, Scopes: []string{"INVOICE.READ"},
			FetchedAt: now, ExpiresAt: now.Add(time.Hour)}
		created, err := s.SaveMetadataClient(ctx, m)
		if err != nil || !created {
			t.Fatalf("first save: created %v, %v", created, err)
		}
		if err := s.SetClientStatus(ctx, id, models.ClientSuspended); err != nil {
			t.Fatal(err)
		}
		m.Name, m.ExpiresAt = "Agent 2", now.Add(2*time.Hour)
		created, err = s.SaveMetadataClient(ctx, m)
		if err != nil || created {
			t.Fatalf("refresh: created %v, %v", created, err)
		}
		c, err := s.ClientByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "Agent 2" || c.Status != models.ClientSuspended || !c.MetadataDocument || c.Type != models.ClientNative ||
			c.MetadataExpiresAt == nil || !c.MetadataExpiresAt.Equal(now.Add(2*time.Hour)) {
			t.Fatalf("client = %+v: a refresh rewrites the document, never the status", c)
		}
		events, err := s.AuditEvents(ctx, models.AuditFilter{Type: models.AuditMetadataClientSeen})
		if err != nil || len(events) != 1 {
			t.Fatalf("first-seen audit: %v %v (exactly one, for the first save)", events, err)
		}
		// A registered client's id cannot be taken over by a document.
		reg, _, err := s.CreateClient(ctx, models.NewClient{Name: "Portal app", Type: models.ClientNative, RedirectURIs: []string{"http://127.0.0.1/cb"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveMetadataClient(ctx, models.MetadataClient{ID: reg.ID, Name: "x", FetchedAt: now, ExpiresAt: now}); !errors.Is(err, models.ErrDuplicate) {
			t.Fatalf("save over a registered client: %v", err)
		}
	})
}

func TestBlockedHosts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := models.WithAuditActor(context.Background(), models.AuditActor{Name: "admin@example.com"})
		if err := s.BlockHost(ctx, " App.Example.COM:443 ", "spam"); err != nil {
			t.Fatal(err)
		}
		if err := s.BlockHost(ctx, "app.example.com", ""); !errors.Is(err, models.ErrDuplicate) {
			t.Fatalf("second block: %v", err)
		}
		for host, want := range map[string]bool{"app.example.com": true, "APP.example.com.": true, "other.example.com": false} {
			if got, err := s.HostBlocked(ctx, host); err != nil || got != want {
				t.Errorf("HostBlocked(%s) = %v, %v", host, got, err)
			}
		}
		hosts, err := s.BlockedHosts(ctx)
		if err != nil || len(hosts) != 1 || hosts[0].Host != "app.example.com" || hosts[0].BlockedBy != "admin@example.com" || hosts[0].Reason != "spam" {
			t.Fatalf("BlockedHosts = %+v, %v", hosts, err)
		}
		if err := s.UnblockHost(ctx, "app.example.com", "ok now"); err != nil {
			t.Fatal(err)
		}
		if err := s.UnblockHost(ctx, "app.example.com", ""); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("second unblock: %v", err)
		}
		for _, typ := range []string{models.AuditHostBlocked, models.AuditHostUnblocked} {
			events, err := s.AuditEvents(ctx, models.AuditFilter{Type: typ})
			if err != nil || len(events) != 1 || events[0].Target != "app.example.com" || events[0].Actor != "admin@example.com" {
				t.Errorf("audit %s: %+v %v", typ, events, err)
			}
		}
	})
}

func TestValidHost(t *testing.T) {
	for host, want := range map[string]bool{
		"app.example.com": true, "localhost": true, "127.0.0.1": true, "::1": true, "xn--bcher-kva.example": true,
		"": false, "a b": false, "-bad.example": false, "a..b": false, "https://x": false,
	} {
		if got := models.ValidHost(models.NormalizeHost(host)); got != want {
			t.Errorf("ValidHost(%q) = %v", host, got)
		}
	}
}

// Issue 15: anyone can serve valid metadata documents at as many URLs as they like, and each
// makes a clients row. `devportal purge` deletes an active one nobody authorized within
// UnusedMetadataClientTTL of its last fetch, and keeps one with a grant, a recent one, and a
// suspended one (deleting it would forget the suspension).
func TestPurgeDeletesUnusedMetadataClients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		past := now.Add(-models.UnusedMetadataClientTTL - time.Hour)
		save := func(id string, fetched time.Time) {
			if _, err := s.SaveMetadataClient(ctx, models.MetadataClient{ID: id, Name: id, RedirectURIs: []string{"http://127.0.0.1/cb"},
				Scopes: []string{"INVOICE.READ"}, FetchedAt: fetched, ExpiresAt: fetched.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		old, used, recent, suspended := "https://old.example/c.json", "https://used.example/c.json", "https://recent.example/c.json", "https://suspended.example/c.json"
		save(old, past)
		save(used, past)
		save(recent, now)
		save(suspended, past)
		if err := s.SetClientStatus(ctx, suspended, models.ClientSuspended); err != nil {
			t.Fatal(err)
		}
		u, err := s.CreateUser(ctx, "purge-cimd@example.com", "a long enough password", false)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CreateGrant(ctx, &models.Grant{ID: models.NewID(8), ClientID: used, UserID: &u.ID, Scope: models.Words{"INVOICE.READ"}, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		report, err := s.PurgeExpired(ctx, models.PurgePolicy{UnusedMetadataClients: models.UnusedMetadataClientTTL, BatchSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := report[len(report)-1]; got.Kind != "unused metadata-document clients" || got.Deleted != 1 {
			t.Fatalf("report %+v, want 1 unused metadata-document client", report)
		}
		if _, err := s.ClientByID(ctx, old); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unused old metadata-document client kept: %v", err)
		}
		for _, id := range []string{used, recent, suspended} {
			if _, err := s.ClientByID(ctx, id); err != nil {
				t.Errorf("client %s deleted: %v", id, err)
			}
		}
		events, err := s.AuditEvents(ctx, models.AuditFilter{Type: models.AuditClientExpiredUnused})
		if err != nil || len(events) != 1 || events[0].Target != old {
			t.Fatalf("audit %+v %v", events, err)
		}
	})
}
