package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
)

// RFC 9700 §4.14.2, issue 13 (the audit log records refresh-token reuse): through the token
// endpoint, a replayed refresh token revokes the grant and leaves exactly one audit entry, from
// the caller's address and without the token; replaying it again adds none.
func TestReplayedRefreshTokenAuditedOnce(t *testing.T) {
	env := newTestEnv(t)
	client, secret, redirect, user := env.mustShopAndUser(t)
	first := mustTokens(t, env, user, client, secret, redirect, "INVOICE.READ")
	refresh := first["refresh_token"].(string)
	rotate := func(token string) (*http.Response, map[string]any) {
		return postForm(t, env.URL+"/oauth/token", client.ID, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}})
	}
	resp, second := rotate(refresh)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d %v", resp.StatusCode, second)
	}
	// The successor is used, so the first token coming back is a replay, not a lost answer.
	if resp, out := rotate(second["refresh_token"].(string)); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh with the successor: %d %v", resp.StatusCode, out)
	}
	mustAuditCount(t, env, models.AuditRefreshReused, client.ID, 0)

	for i := range 3 {
		resp, out := rotate(refresh)
		if resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_grant" {
			t.Fatalf("replay %d: %d %v, want 400 invalid_grant", i+1, resp.StatusCode, out)
		}
	}
	evs, err := env.Store.AuditEvents(context.Background(), models.AuditFilter{Type: models.AuditRefreshReused})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("three replays left %d audit entries, want exactly 1: %+v", len(evs), evs)
	}
	e := evs[0]
	if e.Target != client.ID || e.Actor != client.ID || e.IP != "127.0.0.1" || !strings.Contains(e.Detail, "user@example.com") {
		t.Errorf("entry %+v: want by and about %s from 127.0.0.1, naming user@example.com", e, client.ID)
	}
	if strings.Contains(e.Detail, refresh) || strings.Contains(e.Detail, models.HashToken(refresh)) {
		t.Errorf("the entry carries the refresh token: %q", e.Detail)
	}
}
