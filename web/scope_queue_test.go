package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
)

// Issue 14, growth ("/admin/scopes, /apps: every /apps view loads the global pending-scope
// queue"): /admin/scopes shows the queue a page at a time, oldest first, with a "Later
// requests" link to the next page and "Oldest requests" back; a cursor it did not make is a
// friendly 400; /apps marks the developer's own applications that wait for an admin.
func TestScopeRequestQueuePages(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		dev := env.mustUser(t, "queue-dev@example.com", false)
		env.mustUser(t, "queue-admin@example.com", true)
		const apps = 30 // two requests each: 60, more than one page of 50
		for i := range apps {
			if _, _, err := env.Store.CreateClient(ctx, models.NewClient{Name: fmt.Sprintf("Queued %02d", i), Type: models.ClientMachine, OwnerID: &dev.ID,
				Scopes: []string{"INVOICE.READ"}, PendingScopes: []string{"EWALLET.WRITE", "VIRTUAL_ACCOUNT.WRITE"}}); err != nil {
				t.Fatal(err)
			}
		}
		admin := newBrowser(t, env.URL)
		admin.mustLogin("queue-admin@example.com")
		rows := regexp.MustCompile(`>Approve</button>`)
		later := regexp.MustCompile(`<a href="([^"]+)" rel="next">Later requests</a>`)
		resp, body := admin.get("/admin/scopes")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/admin/scopes: %d", resp.StatusCode)
		}
		m := later.FindStringSubmatch(body)
		if n := len(rows.FindAllString(body, -1)); n != 50 || m == nil || strings.Contains(body, "Oldest requests") {
			t.Fatalf("first page: %d requests, later link %v, want 50 and a link", n, m)
		}
		resp, body = admin.get(html.UnescapeString(m[1]))
		if n := len(rows.FindAllString(body, -1)); resp.StatusCode != http.StatusOK || n != 2*apps-50 || later.MatchString(body) || !strings.Contains(body, ">Oldest requests</a>") {
			t.Fatalf("second page: %d, %d requests, want %d, no later link and a link to the oldest", resp.StatusCode, n, 2*apps-50)
		}
		if resp, body := admin.get("/admin/scopes?after=nonsense"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "start again from the first page") {
			t.Errorf("a bad cursor: %d\n%s", resp.StatusCode, body)
		}

		// One application decided (both requests), another developer's still waiting.
		first, err := env.Store.ClientsByOwner(ctx, dev.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range []string{"EWALLET.WRITE", "VIRTUAL_ACCOUNT.WRITE"} {
			if err := env.Store.DecideScopeRequest(ctx, first[0].ID, sc, true, dev.ID); err != nil {
				t.Fatal(err)
			}
		}
		other := env.mustUser(t, "queue-other@example.com", false)
		if _, _, err := env.Store.CreateClient(ctx, models.NewClient{Name: "Elsewhere", Type: models.ClientMachine, OwnerID: &other.ID,
			Scopes: []string{"INVOICE.READ"}, PendingScopes: []string{"EWALLET.WRITE"}}); err != nil {
			t.Fatal(err)
		}
		badge := regexp.MustCompile(`>pending approval</span>`)
		for _, tc := range []struct {
			email string
			want  int
		}{{"queue-dev@example.com", apps - 1}, {"queue-other@example.com", 1}} {
			b := newBrowser(t, env.URL)
			b.mustLogin(tc.email)
			if _, body := b.get("/apps"); len(badge.FindAllString(body, -1)) != tc.want {
				t.Errorf("%s: /apps marks %d applications pending, want %d", tc.email, len(badge.FindAllString(body, -1)), tc.want)
			}
		}
	})
}
