package web

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/mail"
	"github.com/devportal/devportal/models/storetest"
)

// Issue 12 (metrics): docs/grafana-dashboard.json is valid JSON, and every metric its queries
// name is one the registry exports, so a rename cannot leave the sample dashboard blank.
func TestGrafanaDashboardNamesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("docs/grafana-dashboard.json: %v", err)
	}
	store := storetest.SQLite(t)
	m := NewMetrics()
	m.WatchEvents(models.NewEventBuffer(store, 10))
	m.WatchMail(&mail.Worker{})
	m.WatchStore(store)
	m.observe("/", "GET", 200, time.Millisecond) // a vector is gathered once it has a series
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range families {
		exported[f.GetName()] = true
		if f.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				exported[f.GetName()+s] = true
			}
		}
	}
	name := regexp.MustCompile(`\b(devportal_|go_|process_)[a-z_]+\b`)
	exprs := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			exprs++
			names := name.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: %q names no metric", p.Title, tg.Expr)
			}
			for _, n := range names {
				if !exported[n] {
					t.Errorf("panel %q: %s is not exported (have %s)", p.Title, n, strings.Join(keys(exported), " "))
				}
			}
		}
	}
	if exprs < 6 {
		t.Errorf("the dashboard has %d queries, want at least the six panels' worth", exprs)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		if strings.HasPrefix(k, "devportal_") || strings.HasPrefix(k, "go_sql") {
			out = append(out, k)
		}
	}
	return out
}
