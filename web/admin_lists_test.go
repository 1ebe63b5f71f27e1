package web_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
)

var adminClientRowID = regexp.MustCompile(`<td><code>(dp_[0-9a-f]+)</code></td>`)

// pageLink finds the link with text in a page and returns its address.
func pageLink(body, text string) string {
	m := regexp.MustCompile(`<a href="([^"]+)"[^>]*>` + regexp.QuoteMeta(text) + `</a>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return htmlUnescape(m[1])
}

// Issue 14 (growth): the clients list pages by keyset (no 200-row cap, no OFFSET): "Older
// clients" walks to the end, "Newer clients" walks back, a search pages in its own order with
// "Next clients" and keeps its query, and the first page is one link away.
func TestAdminClientsPages(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *testEnv) {
		env.mustUser(t, "admin@example.com", true)
		dev := env.mustUser(t, "dev@example.com", false)
		const n = 120
		for i := range n {
			in := models.NewClient{Name: fmt.Sprintf("Pager %03d", i), Type: models.ClientMachine, OwnerID: &dev.ID}
			if _, _, err := env.Store.CreateClient(context.Background(), in); err != nil {
				t.Fatal(err)
			}
		}
		ab := newBrowser(t, env.URL)
		ab.mustLogin("admin@example.com")
		walk := func(start, next, prev string) (forward, back []string) {
			var pages []string
			for url := start; url != ""; {
				if len(pages) > 5 {
					t.Fatalf("%s: the pages do not end", start)
				}
				_, body := ab.get(url)
				pages = append(pages, body)
				for _, m := range adminClientRowID.FindAllStringSubmatch(body, -1) {
					forward = append(forward, m[1])
				}
				url = pageLink(body, next)
				if len(pages) > 1 && pageLink(body, prev) == "" {
					t.Errorf("%s: page %d has no %q link", start, len(pages), prev)
				}
			}
			for body := pages[len(pages)-1]; ; {
				var ids []string
				for _, m := range adminClientRowID.FindAllStringSubmatch(body, -1) {
					ids = append(ids, m[1])
				}
				back = append(ids, back...)
				url := pageLink(body, prev)
				if url == "" {
					break
				}
				_, body = ab.get(url)
			}
			if len(pages) != 3 {
				t.Errorf("%s: %d pages, want 3 of 50, 50 and 20", start, len(pages))
			}
			return forward, back
		}

		forward, back := walk("/admin/clients", "Older clients", "Newer clients")
		if len(forward) != n || !slices.Equal(forward, back) {
			t.Errorf("newest first: %d clients forward, %d back, equal %v", len(forward), len(back), slices.Equal(forward, back))
		}
		if got := slices.Compact(slices.Sorted(slices.Values(forward))); len(got) != n {
			t.Errorf("%d distinct clients, want %d", len(got), n)
		}
		forward, back = walk("/admin/clients?q=pager", "Next clients", "Previous clients")
		if len(forward) != n || !slices.Equal(forward, back) {
			t.Errorf("search: %d clients forward, %d back", len(forward), len(back))
		}
		_, body := ab.get("/admin/clients?q=pager")
		if next := pageLink(body, "Next clients"); !strings.Contains(next, "q=pager") || !strings.Contains(next, "after=") {
			t.Errorf("the next page %q drops the search or the cursor", next)
		} else if _, body := ab.get(next); pageLink(body, "First matches") != "/admin/clients?q=pager" {
			t.Error("a later page of a search has no way back to the first")
		}
		if resp, _ := ab.get("/admin/clients?q=pager&after=not-a-cursor"); resp.StatusCode != 400 {
			t.Errorf("a mangled cursor: %d, want 400", resp.StatusCode)
		}
	})
}
