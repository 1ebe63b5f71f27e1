package account_test

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/devportal/devportal/templates/layout"
	"github.com/devportal/devportal/templates/pages/account"
	"github.com/devportal/devportal/templates/pages/pagetest"
	"github.com/devportal/devportal/templates/pages/shared"
)

// Issue 13 (phones and assistive technology): under ~640 px the table of authorized apps
// becomes stacked rows, each cell labelled by its column (data-label, the convention the
// stacked-table CSS reads), so "Revoke access" stays on screen; the headers keep scope="col"
// for screen readers, and dates are <time> elements with the exact time in their title.
func TestAuthorizedAppsTableStacks(t *testing.T) {
	doc := pagetest.MustRender(t, account.AuthorizedApps(account.AuthorizedAppsView{
		Base: layout.Base{Title: "Authorized applications", CSRF: "tok"},
		Apps: []account.AuthorizedAppRow{
			{ClientID: "dp_1", Name: "Shop", Scopes: []shared.ScopeOption{{Name: "INVOICE.READ", Description: "See your invoices"}},
				GrantedISO: "2026-11-01T10:00:00Z", Granted: "1 Nov 2026 10:00 UTC", LastUsedISO: "2026-11-30T09:15:00Z", LastUsed: "30 Nov 2026 09:15 UTC",
				RevokeURL: "/account/apps/dp_1/revoke"},
			{ClientID: "dp_2", Name: "Books", GrantedISO: "2026-10-01T10:00:00Z", Granted: "1 Oct 2026 10:00 UTC", RevokeURL: "/account/apps/dp_2/revoke"},
		},
	}))
	pagetest.AssertAccessible(t, doc)
	var headers []string
	doc.Find("table thead th").Each(func(_ int, th *goquery.Selection) {
		if scope, _ := th.Attr("scope"); scope != "col" {
			t.Errorf("header %q without scope=col", th.Text())
		}
		headers = append(headers, strings.TrimSpace(th.Text()))
	})
	rows := doc.Find("table tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("%d rows, want one per application", rows.Length())
	}
	rows.Each(func(i int, tr *goquery.Selection) {
		cells := tr.Find("td")
		if cells.Length() != len(headers) {
			t.Fatalf("row %d: %d cells for %d headers", i, cells.Length(), len(headers))
		}
		cells.Each(func(j int, td *goquery.Selection) {
			if label, ok := td.Attr("data-label"); !ok || label != headers[j] {
				t.Errorf("row %d cell %d: data-label %q, want its column header %q", i, j, label, headers[j])
			}
		})
		if tr.Find(`button:contains("Revoke access")`).Length() != 1 {
			t.Errorf("row %d has no Revoke access button", i)
		}
	})
	first := rows.First()
	for _, iso := range []string{"2026-11-01T10:00:00Z", "2026-11-30T09:15:00Z"} {
		tm := first.Find(`time[datetime="` + iso + `"]`)
		if title, _ := tm.Attr("title"); tm.Length() != 1 || !strings.Contains(title, "UTC") {
			t.Errorf("no <time datetime=%s> with the exact time in its title", iso)
		}
	}
	if got := strings.TrimSpace(rows.Eq(1).Find(`td[data-label="Last used"]`).Text()); got != "never" {
		t.Errorf("an application never used shows %q", got)
	}
}
