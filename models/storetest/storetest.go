// Package storetest opens real, migrated databases for tests: SQLite in a temporary folder
// always, and PostgreSQL too when DEVPORTAL_TEST_POSTGRES_URL names a server. Each PostgreSQL
// test gets a schema of its own, so tests never see each other's rows. With
// DEVPORTAL_REQUIRE_POSTGRES=1 (as CI sets it) a missing or unreachable PostgreSQL fails the
// tests instead of skipping them, so a broken CI database cannot turn the suites silently green.
package storetest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/devportal/devportal/models"
)

// PostgresEnv names the variable holding a PostgreSQL URL for tests.
const PostgresEnv = "DEVPORTAL_TEST_POSTGRES_URL"

// RequirePostgresEnv names the variable that, set to 1, makes PostgreSQL tests fail rather than
// skip when PostgresEnv is unset or its server cannot be reached.
const RequirePostgresEnv = "DEVPORTAL_REQUIRE_POSTGRES"

// PostgresURL returns the PostgreSQL URL for tests. When none is set it skips the test, or fails
// it when RequirePostgresEnv is 1.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		if postgresRequired() {
			t.Fatalf("%s=1 but %s is not set: PostgreSQL tests cannot run", RequirePostgresEnv, PostgresEnv)
		}
		t.Skipf("%s is not set; PostgreSQL tests skipped", PostgresEnv)
	}
	return base
}

func postgresRequired() bool { return os.Getenv(RequirePostgresEnv) == "1" }

// SQLite returns a migrated store on a SQLite file in t.TempDir() (not :memory:, whose pool
// would hand each connection its own empty database).
func SQLite(t testing.TB) *models.Store {
	t.Helper()
	return mustOpen(t, filepath.Join(t.TempDir(), "devportal.db"))
}

// Postgres returns a migrated store in a fresh schema of the server named by
// DEVPORTAL_TEST_POSTGRES_URL, or skips the test when it is unset (see PostgresURL). A server
// that is named but unreachable always fails the test.
func Postgres(t testing.TB) *models.Store {
	t.Helper()
	base := PostgresURL(t)
	schema := "t_" + models.NewID(8)
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)})
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("create schema: %v", err)
	}
	sqlDB, _ := admin.DB()
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		sqlDB.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return mustOpen(t, u.String())
}

// Each runs fn once per available backend, as subtests named after it.
func Each(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

func mustOpen(t testing.TB, dsn string) *models.Store {
	t.Helper()
	s, err := models.Open(dsn)
	if err != nil {
		t.Fatalf("open %s: %v", redact(dsn), err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return strings.Replace(dsn, u.User.String()+"@", "…@", 1)
	}
	return fmt.Sprint(dsn)
}
