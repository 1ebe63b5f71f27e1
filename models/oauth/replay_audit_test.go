package oauth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// mustAuditOf returns the audit entries of type typ about clientID.
func mustAuditOf(t *testing.T, store *models.Store, typ, clientID string) []models.AuditEvent {
	t.Helper()
	evs, err := store.AuditEvents(context.Background(), models.AuditFilter{Type: typ, Target: clientID})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// checkReplayEntry checks the one entry a replay wrote: by and about the client, from the
// caller's address, naming the grant and its user, and never the credential replayed.
func checkReplayEntry(t *testing.T, evs []models.AuditEvent, f *fixture, grantID, credential string) {
	t.Helper()
	if len(evs) != 1 {
		t.Fatalf("%d audit entries, want exactly 1: %+v", len(evs), evs)
	}
	e := evs[0]
	if e.Actor != f.web.ID || e.Target != f.web.ID || e.IP != "203.0.113.9" {
		t.Errorf("entry by %q about %q from %q, want the client %s from 203.0.113.9", e.Actor, e.Target, e.IP, f.web.ID)
	}
	for _, want := range []string{"grant " + grantID, f.user.Email, f.user.Subject} {
		if !strings.Contains(e.Detail, want) {
			t.Errorf("detail %q does not name %q", e.Detail, want)
		}
	}
	if strings.Contains(e.Detail, credential) || strings.Contains(e.Detail, models.HashToken(credential)) {
		t.Errorf("detail %q carries the replayed credential", e.Detail)
	}
}

// RFC 9700 §4.14.2 and RFC 6749 §4.1.2, issue 13 (the audit log records what it misses): a
// replay that revokes a grant writes one audit entry with the revocation. Replaying again, once
// the grant is revoked, adds none; an ordinary refresh writes none.
func TestReplayRevocationIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		f := mustFixture(t, store)
		ctx := context.Background()
		from := func(r oauth.TokenRequest) oauth.TokenRequest { r.IP = "203.0.113.9"; return r }

		t.Run("RFC 9700 §4.14.2: refresh-token reuse", func(t *testing.T) {
			first := f.mustWebTokens(t)
			claims, _ := mustAccessClaims(t, f.srv, first.AccessToken, jose.ES256)
			second, err := f.srv.Token(ctx, from(f.webRefresh(first.RefreshToken)))
			checkErr(t, err, nil)
			if evs := mustAuditOf(t, store, models.AuditRefreshReused, f.web.ID); len(evs) != 0 {
				t.Fatalf("an ordinary refresh was audited as reuse: %+v", evs)
			}
			_, err = f.srv.Token(ctx, from(f.webRefresh(first.RefreshToken)))
			checkErr(t, err, oauth.ErrRefreshTokenReused)
			checkReplayEntry(t, mustAuditOf(t, store, models.AuditRefreshReused, f.web.ID), f, claims.GrantID, first.RefreshToken)

			_, err = f.srv.Token(ctx, from(f.webRefresh(first.RefreshToken)))
			checkErr(t, err, oauth.ErrInvalidGrant)
			_, err = f.srv.Token(ctx, from(f.webRefresh(second.RefreshToken)))
			checkErr(t, err, oauth.ErrInvalidGrant)
			if evs := mustAuditOf(t, store, models.AuditRefreshReused, f.web.ID); len(evs) != 1 {
				t.Fatalf("replays after the revocation: %d entries, want still 1", len(evs))
			}
		})

		t.Run("RFC 6749 §4.1.2: authorization-code replay", func(t *testing.T) {
			code := f.mustCode(t, oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect, State: "s"})
			first, err := f.srv.Token(ctx, from(f.webCodeRequest(code)))
			checkErr(t, err, nil)
			claims, _ := mustAccessClaims(t, f.srv, first.AccessToken, jose.ES256)
			if evs := mustAuditOf(t, store, models.AuditCodeReplayed, f.web.ID); len(evs) != 0 {
				t.Fatalf("an ordinary exchange was audited as a replay: %+v", evs)
			}
			for range 2 {
				_, err = f.srv.Token(ctx, from(f.webCodeRequest(code)))
				checkErr(t, err, oauth.ErrCodeReused)
			}
			checkReplayEntry(t, mustAuditOf(t, store, models.AuditCodeReplayed, f.web.ID), f, claims.GrantID, code)
		})

		t.Run("RFC 9700 §4.14.2: racing replays of one token record one revocation", func(t *testing.T) {
			before := len(mustAuditOf(t, store, models.AuditRefreshReused, f.web.ID))
			first := f.mustWebTokens(t)
			if _, err := f.srv.Token(ctx, f.webRefresh(first.RefreshToken)); err != nil {
				t.Fatal(err)
			}
			errs := race(4, func() error {
				_, err := f.srv.Token(ctx, from(f.webRefresh(first.RefreshToken)))
				return err
			})
			for _, err := range errs {
				checkErr(t, err, oauth.ErrInvalidGrant)
			}
			if got := len(mustAuditOf(t, store, models.AuditRefreshReused, f.web.ID)) - before; got != 1 {
				t.Fatalf("4 racing replays wrote %d entries, want exactly 1 (errors %v)", got, errs)
			}
		})
	})
}
