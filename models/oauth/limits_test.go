package oauth_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// uriOfLength is a valid https redirect URI exactly n bytes long.
func uriOfLength(n int) string {
	const prefix = "https://app.example.test/"
	return prefix + strings.Repeat("a", n-len(prefix))
}

// Issue #8 finding 7: every field of an application has a documented maximum (models/limits.go),
// enforced by the one set of rules registration (portal, CLI) and settings edits share. Error
// messages never quote more of an input than a valid one could be.
func TestApplicationInputLimits(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	many := make([]string, 100000) // a whole 1 MB form of redirect URIs
	for i := range many {
		many[i] = "https://app.example.test/" + strconv.Itoa(i)
	}
	longScope := strings.Repeat("S", 10000)
	reg := func(uris []string, scopes ...string) oauth.Registration {
		if scopes == nil {
			scopes = []string{"INVOICE.READ"}
		}
		return oauth.Registration{Name: "X", Type: models.ClientWeb, RedirectURIs: uris, Scopes: scopes}
	}
	for _, tc := range []struct {
		name      string
		reg       oauth.Registration
		wantField string // "": valid
	}{
		{"redirect URI of MaxURLLength", reg([]string{uriOfLength(models.MaxURLLength)}), ""},
		{"redirect URI one longer", reg([]string{uriOfLength(models.MaxURLLength + 1)}), "redirect_uris"},
		{"MaxRedirectURIs redirect URIs", reg(many[:models.MaxRedirectURIs]), ""},
		{"a million bytes of redirect URIs", reg(many), "redirect_uris"},
		{"name of MaxAppNameLength characters", oauth.Registration{Name: strings.Repeat("é", models.MaxAppNameLength), Type: models.ClientMachine, Scopes: []string{"INVOICE.READ"}}, ""},
		{"unknown scope longer than any name", reg([]string{"https://app.example.test/cb"}, longScope), "scopes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, err := f.srv.ValidateRegistration(ctx, tc.reg)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantField == "" {
				if len(errs) != 0 {
					t.Fatalf("errors %v, want none", errs)
				}
				return
			}
			msg := errs[tc.wantField]
			if msg == "" || len(errs) != 1 {
				t.Fatalf("errors %.300v, want one on %s", errs, tc.wantField)
			}
			if len(msg) > 300 {
				t.Fatalf("message of %d bytes quotes the input: %.100s…", len(msg), msg)
			}
		})
	}

	for _, tc := range []struct {
		name, field string
		edit        func(p *oauth.Profile)
	}{
		{"logo URL", "logo_url", func(p *oauth.Profile) { p.LogoURL = uriOfLength(models.MaxURLLength + 1) }},
		{"privacy URL", "privacy_url", func(p *oauth.Profile) { p.PrivacyURL = uriOfLength(models.MaxURLLength + 1) }},
		{"redirect URI", "redirect_uris", func(p *oauth.Profile) { p.RedirectURIs = []string{uriOfLength(models.MaxURLLength + 1)} }},
		{"redirect URIs", "redirect_uris", func(p *oauth.Profile) { p.RedirectURIs = many }},
		{"scope", "scopes", func(p *oauth.Profile) { p.Scopes = []string{longScope} }},
	} {
		t.Run("edit: "+tc.name, func(t *testing.T) {
			p := oauth.Profile{Name: "Billing", RedirectURIs: []string{webRedirect}, Scopes: []string{"INVOICE.READ"}}
			tc.edit(&p)
			_, _, errs, err := f.srv.ValidateProfile(ctx, f.web, p)
			if err != nil {
				t.Fatal(err)
			}
			if msg := errs[tc.field]; msg == "" || len(errs) != 1 || len(msg) > 300 {
				t.Fatalf("errors %.300v, want one short message on %s", errs, tc.field)
			}
		})
	}
}

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
