package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// Issue #13, "Forms and words": every bad redirect URI is reported at once, one message per bad
// line naming the line, each matching its rule (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §4.1)
// with errors.Is. Blank lines count (the developer counts the lines they see) and repeats are
// reported once.
func TestCheckURILines(t *testing.T) {
	type bad struct {
		line int
		rule error
	}
	for _, tc := range []struct {
		name  string
		typ   models.ClientType
		lines []string
		want  []bad
	}{
		{"all good", models.ClientWeb, []string{"https://a.example/cb", "http://127.0.0.1:8000/cb"}, nil},
		{"every bad line, in order", models.ClientWeb,
			[]string{"http://a.example/cb", "https://a.example/ok", "", "https://a.example/cb#x", "com.example.app:/cb", "https://u:p@a.example/cb", "ftp://a.example/cb"},
			[]bad{{1, oauth.ErrURIInsecure}, {4, oauth.ErrURIFragment}, {5, oauth.ErrURIPrivateScheme}, {6, oauth.ErrURIUserInfo}, {7, oauth.ErrURIScheme}}},
		{"a repeat is reported once", models.ClientWeb, []string{"http://a.example/cb", "http://a.example/cb"}, []bad{{1, oauth.ErrURIInsecure}}},
		{"spaces, relative, port", models.ClientNative, []string{"https://a.example/c b", "/cb", "https://a.example:0/cb", "https:///cb"},
			[]bad{{1, oauth.ErrURISpaces}, {2, oauth.ErrURINotAbsolute}, {3, oauth.ErrURIPort}, {4, oauth.ErrURINoHost}}},
		{"native may use a private-use scheme", models.ClientNative, []string{"com.example.app:/cb"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := oauth.CheckURILines(tc.typ, tc.lines)
			if len(got) != len(tc.want) {
				t.Fatalf("%d errors %v, want %d", len(got), got, len(tc.want))
			}
			for i, w := range tc.want {
				if got[i].Line != w.line || !errors.Is(got[i], w.rule) || got[i].URI != strings.TrimSpace(tc.lines[w.line-1]) {
					t.Errorf("error %d: %v (line %d), want line %d: %v", i, got[i], got[i].Line, w.line, w.rule)
				}
				if !strings.HasSuffix(got[i].Error(), fmt.Sprintf("(line %d).", w.line)) {
					t.Errorf("error %d, %q, does not name its line", i, got[i].Error())
				}
			}
		})
	}
}

// Issue #13: the registration and the settings form show every bad line at once (one message a
// line in the field's error), not just the first.
func TestRegistrationReportsEveryBadRedirectURI(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	uris := []string{"http://a.example/cb", webRedirect, "https://a.example/cb#x"}
	_, errs, err := f.srv.ValidateRegistration(ctx, oauth.Registration{Name: "Shop", Type: models.ClientWeb, RedirectURIs: uris, Scopes: []string{"INVOICE.READ"}})
	if err != nil {
		t.Fatal(err)
	}
	lines := oauth.FieldErrorLines(errs["redirect_uris"])
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "http://a.example/cb http is allowed") || !strings.HasSuffix(lines[0], "(line 1).") ||
		!strings.HasPrefix(lines[1], "https://a.example/cb#x must not contain a fragment") || !strings.HasSuffix(lines[1], "(line 3).") {
		t.Fatalf("redirect_uris error lines %q, want lines 1 and 3", lines)
	}
	_, _, perrs, err := f.srv.ValidateProfile(ctx, f.web, oauth.Profile{Name: "Shop", RedirectURIs: uris, Scopes: []string{"INVOICE.READ"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := oauth.FieldErrorLines(perrs["redirect_uris"]); len(got) != 2 {
		t.Fatalf("settings: redirect_uris error lines %q, want 2", got)
	}
}

// Issue #13: a machine-to-machine application has no redirect URIs; any sent are ignored, not
// validated nor stored (client credentials, RFC 6749 §4.4, redirect nowhere).
func TestMachineRegistrationIgnoresRedirectURIs(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	in, errs, err := f.srv.ValidateRegistration(context.Background(), oauth.Registration{Name: "Batch", Type: models.ClientMachine,
		RedirectURIs: []string{"http://not-loopback.example/cb", "https://a.example/cb"}, Scopes: []string{"INVOICE.READ"}})
	if err != nil || len(errs) > 0 || len(in.RedirectURIs) != 0 {
		t.Fatalf("client %+v, errors %v, %v: want it accepted without redirect URIs", in, errs, err)
	}
}

// Issue #13: the lifetimes are a number with a unit (minutes, hours, days) instead of "8760h";
// the pair is checked against the same ranges, with the error in words.
func TestProfileLifetimeWithUnit(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	for _, tc := range []struct {
		name                    string
		access, accessUnit      string
		refresh, refreshUnit    string
		wantAccess, wantRefresh int // seconds; 0: the default (nil)
		field, want             string
	}{
		{"minutes and days", "15", "minutes", "30", "days", 900, 30 * 86400, "", ""},
		{"hours", "2", "hours", "12", "hours", 7200, 12 * 3600, "", ""},
		{"a year of refresh", "1", "days", "365", "days", 86400, 8760 * 3600, "", ""},
		{"empty is the default", " ", "minutes", "", "days", 0, 0, "", ""},
		{"too long", "2", "days", "", "days", 0, 0, "access_ttl", "Choose between 1 minute and 1 day."},
		{"too short", "", "minutes", "30", "minutes", 0, 0, "refresh_ttl", "Choose between 1 hour and 365 days."},
		{"not a number", "soon", "minutes", "", "days", 0, 0, "access_ttl", "Enter a whole number of minutes, such as 1, or leave it empty for the default."},
		{"a fraction", "1.5", "hours", "", "days", 0, 0, "access_ttl", "Enter a whole number of hours, such as 1, or leave it empty for the default."},
		{"negative", "", "minutes", "-3", "days", 0, 0, "refresh_ttl", "Enter a whole number of days, such as 1, or leave it empty for the default."},
		{"huge", "99999999999999999999", "minutes", "", "days", 0, 0, "access_ttl", "Enter a whole number of minutes, such as 1, or leave it empty for the default."},
		{"unknown unit", "3", "weeks", "", "days", 0, 0, "access_ttl", "Choose minutes, hours or days."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := oauth.Profile{Name: "Billing", RedirectURIs: []string{webRedirect}, Scopes: []string{"INVOICE.READ"},
				AccessTTL: tc.access, AccessTTLUnit: tc.accessUnit, RefreshTTL: tc.refresh, RefreshTTLUnit: tc.refreshUnit}
			out, _, errs, err := f.srv.ValidateProfile(ctx, f.web, p)
			if err != nil {
				t.Fatal(err)
			}
			if tc.field != "" {
				if got := errs[tc.field]; got != tc.want || len(errs) != 1 {
					t.Fatalf("errors %v, want %s: %q", errs, tc.field, tc.want)
				}
				return
			}
			if len(errs) > 0 || seconds(out.AccessTTLSeconds) != tc.wantAccess || seconds(out.RefreshTTLSeconds) != tc.wantRefresh {
				t.Fatalf("errors %v, lifetimes %d %d; want %d %d", errs, seconds(out.AccessTTLSeconds), seconds(out.RefreshTTLSeconds), tc.wantAccess, tc.wantRefresh)
			}
		})
	}
}

func seconds(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// Issue #13: a stored lifetime is shown in the largest unit that divides it exactly, so the
// field reads 365 days, not 8760 hours.
func TestSplitLifetime(t *testing.T) {
	for _, tc := range []struct {
		d                  time.Duration
		count, unit, human string
	}{
		{8760 * time.Hour, "365", "days", "365 days"},
		{24 * time.Hour, "1", "days", "1 day"},
		{36 * time.Hour, "36", "hours", "36 hours"},
		{90 * time.Minute, "90", "minutes", "90 minutes"},
		{time.Minute, "1", "minutes", "1 minute"},
		{61 * time.Second, "61", "seconds", "61 seconds"},
		{0, "", "", ""},
	} {
		count, unit := oauth.SplitLifetime(tc.d)
		if count != tc.count || unit != tc.unit || oauth.HumanLifetime(tc.d) != tc.human {
			t.Errorf("%v: %q %q %q, want %q %q %q", tc.d, count, unit, oauth.HumanLifetime(tc.d), tc.count, tc.unit, tc.human)
		}
	}
}
