package models

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/mattn/go-sqlite3"
)

// Every SQLite connection the pool opens keeps its statements' plans (issue 14): without the
// query planner stability guarantee, go-sqlite3's clearing of the bindings before each execution
// made SQLite parse and plan again every statement with a join or an ORDER BY, on every run.
func TestSQLiteConnectionsKeepTheirPlans(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "plans.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sqlDB, err := s.db.DB()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Several connections held at once, so the pool opens each one anew.
	var conns []*sql.Conn
	for range 3 {
		c, err := sqlDB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns {
		err := c.Raw(func(dc any) error {
			sc, ok := dc.(*sqlite3.SQLiteConn)
			if !ok {
				t.Fatalf("connection %d is a %T", i, dc)
			}
			if got := sqliteConfigFlag(sc, sqliteDBConfigEnableQPSG, -1); got != 1 {
				t.Errorf("connection %d: query planner stability guarantee = %d, want 1", i, got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
