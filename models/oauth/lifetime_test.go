package oauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// Issue 9 item 5 and staticcheck ST1005: the lifetime rule lives in oauth.LifetimeRange, its
// errors are lower case, and the application form still shows them as the same sentences.
func TestProfileLifetimeMessages(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	for _, tc := range []struct {
		field, access, refresh, want string
	}{
		{"access_ttl", "soon", "", "Write a duration such as 1m or 24h, or leave it empty for the default."},
		{"access_ttl", "30s", "", "Choose between 1m and 24h."},
		{"access_ttl", "90500ms", "", "Use whole seconds."},
		{"refresh_ttl", "", "8761h", "Choose between 1h and 8760h."},
		{"refresh_ttl", "", "later", "Write a duration such as 1h or 8760h, or leave it empty for the default."},
	} {
		t.Run(tc.field+"="+tc.access+tc.refresh, func(t *testing.T) {
			p := oauth.Profile{Name: "Billing", RedirectURIs: []string{webRedirect}, Scopes: []string{"INVOICE.READ"},
				AccessTTL: tc.access, RefreshTTL: tc.refresh}
			_, _, errs, err := f.srv.ValidateProfile(ctx, f.web, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := errs[tc.field]; got != tc.want || len(errs) != 1 {
				t.Fatalf("errors %v, want %s: %q", errs, tc.field, tc.want)
			}
		})
	}
}

// The ranges the form, the CLI and the configuration share (docs/oauth.md names them).
func TestLifetimeRanges(t *testing.T) {
	for _, tc := range []struct {
		r    oauth.LifetimeRange
		d    time.Duration
		want bool
	}{
		{oauth.AccessLifetime, time.Minute, true},
		{oauth.AccessLifetime, 24 * time.Hour, true},
		{oauth.AccessLifetime, time.Minute - time.Second, false},
		{oauth.AccessLifetime, 24*time.Hour + time.Second, false},
		{oauth.RefreshLifetime, time.Hour, true},
		{oauth.RefreshLifetime, 8760 * time.Hour, true},
		{oauth.RefreshLifetime, 8761 * time.Hour, false},
	} {
		if got := tc.r.Contains(tc.d); got != tc.want {
			t.Errorf("%v contains %s = %v, want %v", tc.r, tc.d, got, tc.want)
		}
	}
	if got := oauth.AccessLifetime.String(); got != "1m and 24h" {
		t.Errorf("AccessLifetime = %q", got)
	}
	if got := oauth.RefreshLifetime.String(); got != "1h and 8760h" {
		t.Errorf("RefreshLifetime = %q", got)
	}
}
