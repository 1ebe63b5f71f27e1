package models_test

import (
	"strings"
	"testing"
)

// Migration 0026 (issue 14): the indexes on columns that are NULL when their row is inserted
// hold only the rows with a value, so storing a code or a grant writes no entry to them. The
// queries that use them still do (TestPageQueriesUseIndexes, PurgeRevokedGrants).
func TestIndexesLeaveOutNullRows(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		b.mustMigrated(t)
		for index, column := range map[string]string{
			"grants_revoked_at":   "revoked_at",
			"auth_codes_grant_id": "grant_id",
			"auth_codes_api_id":   "api_id",
		} {
			var def string
			q := "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?"
			if b.raw.Dialector.Name() == "postgres" {
				q = "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?"
			}
			if err := b.raw.Raw(q, index).Row().Scan(&def); err != nil {
				t.Fatalf("%s: %v", index, err)
			}
			if want := column + " IS NOT NULL"; !strings.Contains(def, want) {
				t.Errorf("index %s = %q, want it partial: WHERE %s", index, def, want)
			}
		}
	})
}
