package handlers

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/devportal/devportal/models"
)

// Issue 13 (settings changes with before and after, bounded in length): profileChanges writes
// "field: before → after", lists as what was added and removed, quotes values so a typed
// newline or quote cannot pass for another part of the entry, and cuts long values and the whole.
func TestProfileChangesBeforeAfter(t *testing.T) {
	ten, hour := 600, 3600
	uris := func(u ...string) func(p *models.ClientProfile) {
		return func(p *models.ClientProfile) { p.RedirectURIs = u }
	}
	old := &models.Client{Name: "Shop", RedirectURIs: []string{"https://a.example/cb", "https://b.example/cb"}, Scopes: models.Words{"INVOICE.READ"}, RefreshTTLSeconds: &hour}
	same := models.ClientProfile{Name: old.Name, RedirectURIs: old.RedirectURIs, Scopes: old.Scopes, RefreshTTLSeconds: &hour}

	for _, tc := range []struct {
		name    string
		edit    func(p *models.ClientProfile)
		pending []string
		want    string
	}{
		{"nothing", func(*models.ClientProfile) {}, nil, "no changes"},
		{"only a request", func(*models.ClientProfile) {}, []string{"EWALLET.WRITE"}, "requested: EWALLET.WRITE"},
		{"a value", func(p *models.ClientProfile) { p.Name = "Shop 2" }, nil, `name: "Shop" → "Shop 2"`},
		{"a value set and one cleared", func(p *models.ClientProfile) { p.TermsURL = "https://t.example"; p.RefreshTTLSeconds = nil },
			nil, `terms_url: (none) → "https://t.example"; refresh_ttl: 1h → default`},
		{"a newline and a quote stay inside the value", func(p *models.ClientProfile) { p.Name = "x\"; scopes: added \"ADMIN\n" },
			nil, `name: "Shop" → "x\"; scopes: added \"ADMIN\n"`},
		{"list items added and removed", uris("https://b.example/cb", "https://c.example/cb"),
			nil, `redirect_uris: removed "https://a.example/cb", added "https://c.example/cb"`},
		{"a list reordered", uris("https://b.example/cb", "https://a.example/cb"),
			nil, "redirect_uris: reordered"},
		{"a lifetime", func(p *models.ClientProfile) { p.AccessTTLSeconds = &ten }, []string{"EWALLET.WRITE"}, "access_ttl: default → 10m; requested: EWALLET.WRITE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := same
			tc.edit(&p)
			if got := profileChanges(old, p, tc.pending); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}

	t.Run("bounded", func(t *testing.T) {
		p := same
		p.Name = strings.Repeat("n", 5000)
		for i := range 100 {
			p.RedirectURIs = append(p.RedirectURIs, "https://many.example/cb/"+strings.Repeat("x", 200)+string(rune('a'+i%26)))
		}
		got := profileChanges(old, p, nil)
		if n := utf8.RuneCountInString(got); n > maxAuditDetail {
			t.Fatalf("%d characters, want at most %d", n, maxAuditDetail)
		}
		if !strings.HasPrefix(got, `name: "Shop" → "`+strings.Repeat("n", maxAuditValue-1)+`…"; redirect_uris: added`) || !strings.HasSuffix(got, "…") {
			t.Fatalf("long values not cut as expected: %.300s", got)
		}
	})
}
