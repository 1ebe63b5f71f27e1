package models

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// sqlRecorder is a GORM logger that keeps every statement run, values in place.
type sqlRecorder struct {
	logger.Interface
	mu  sync.Mutex
	sql []string
}

func (r *sqlRecorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	r.mu.Lock()
	r.sql = append(r.sql, sql)
	r.mu.Unlock()
}

// Issue 13 (admin console): the overview and the detail pages must cost the same with a
// million rows, so none of their statements may scan a whole table or sort a table's worth of
// rows. SQLite's plan says so for each statement the store methods run (PostgreSQL's planner
// picks sequential scans on tables this small, so its plans are checked by hand; see 0018).
func TestAdminDetailQueriesUseIndexes(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rec := &sqlRecorder{Interface: logger.Default.LogMode(logger.Silent)}
	traced := *s
	traced.db = s.db.Session(&gorm.Session{Logger: rec})

	for name, run := range map[string]func() error{
		"AdminCounts":               func() error { _, err := traced.AdminCounts(ctx); return err },
		"FirstPendingScopeRequests": func() error { _, err := traced.FirstPendingScopeRequests(ctx, 5); return err },
		"SecurityEvents":            func() error { _, err := traced.SecurityEvents(ctx, 10); return err },
		"AuditAbout":                func() error { _, err := traced.AuditAbout(ctx, "dp_x", 20); return err },
		"AuditOfUser":               func() error { _, err := traced.AuditOfUser(ctx, 1, "a@example.com", 20); return err },
		"ClientStatusHistory":       func() error { _, err := traced.ClientStatusHistory(ctx, "dp_x", 20); return err },
		"ActiveGrantCount":          func() error { _, err := traced.ActiveGrantCount(ctx, "dp_x"); return err },
		"ClientNames":               func() error { _, err := traced.ClientNames(ctx, []string{"dp_x", "a@example.com"}); return err },
		"UserConsents":              func() error { _, err := traced.UserConsents(ctx, 1, 50); return err },
		"OwnedClients":              func() error { _, err := traced.OwnedClients(ctx, 1, 50); return err },
		"PasskeyCount":              func() error { _, err := traced.PasskeyCount(ctx, 1); return err },
		"ClientEvents":              func() error { _, err := traced.ClientEvents(ctx, "dp_x", 20); return err },
	} {
		rec.sql = nil
		if err := run(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(rec.sql) == 0 {
			t.Fatalf("%s ran no statement", name)
		}
		for _, q := range rec.sql {
			rows, err := s.db.Raw("EXPLAIN QUERY PLAN " + q).Rows()
			if err != nil {
				t.Fatalf("%s: explain %s: %v", name, q, err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			for _, step := range plan {
				// "SCAN t" without an index reads the whole table; a temporary B-tree for ORDER BY
				// sorts every matching row. (A scan of the LIMITed subquery of a capped count reads
				// at most CountCap+1 rows.)
				scan := strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, " INDEX ") && !strings.HasPrefix(step, "SCAN capped")
				if scan || strings.Contains(step, "TEMP B-TREE FOR ORDER BY") && (strings.Contains(q, "audit_events") || strings.Contains(q, "client_events")) {
					t.Errorf("%s: %q plans %q (%s)", name, q, step, strings.Join(plan, "; "))
				}
			}
		}
	}
}
