package models

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded, numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

// schemaMigration records an applied migration.
type schemaMigration struct {
	Version   int `gorm:"primaryKey"`
	Name      string
	AppliedAt time.Time
}

func (schemaMigration) TableName() string { return "schema_migrations" }

// dialectTypes fills the few placeholders where SQLite and PostgreSQL spell a type (or a random
// identifier, byte-order collation) differently; the rest of each migration is plain SQL both accept.
var dialectTypes = map[Dialect]*strings.Replacer{
	SQLite: strings.NewReplacer("{{ID}}", "INTEGER PRIMARY KEY AUTOINCREMENT", "{{TIME}}", "DATETIME", "{{BYTES}}", "BLOB",
		"{{RANDOM_ID}}", "lower(hex(randomblob(16)))", "{{BINARY}}", "BINARY"),
	// gen_random_uuid (PostgreSQL 13+) draws from the strong random source; 122 random bits.
	Postgres: strings.NewReplacer("{{ID}}", "BIGSERIAL PRIMARY KEY", "{{TIME}}", "TIMESTAMPTZ", "{{BYTES}}", "BYTEA",
		"{{RANDOM_ID}}", "replace(gen_random_uuid()::text, '-', '')", "{{BINARY}}", `"C"`),
}

// dataSteps are the parts of a migration SQL cannot express portably, run in that migration's
// transaction right after its SQL.
var dataSteps = map[int]func(ctx context.Context, tx *Store) error{
	7:  backfillClientOrigins,   // origins derived from redirect URIs need URL parsing
	20: backfillClientEventDays, // the day of a time is written differently per dialect
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, rest, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %q: name must start with a number and an underscore", e.Name())
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(rest, ".sql"), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// Migrate applies every embedded migration not yet recorded, each in its own transaction. It is
// safe to run from several instances at once: on PostgreSQL an advisory lock serialises them, on
// SQLite the IMMEDIATE transaction does.
func (s *Store) Migrate(ctx context.Context) (applied []string, err error) {
	migs, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	db := s.q(ctx)
	// lock serialises migrating instances on PostgreSQL (CREATE TABLE IF NOT EXISTS alone races
	// there); SQLite's IMMEDIATE transactions already do.
	lock := func(tx *gorm.DB) error {
		if s.dialect != Postgres {
			return nil
		}
		return tx.Exec(`SELECT pg_advisory_xact_lock(7243001)`).Error
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := lock(tx); err != nil {
			return err
		}
		return tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at ` +
			dialectTypes[s.dialect].Replace("{{TIME}}") + ` NOT NULL)`).Error
	})
	if err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range migs {
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := lock(tx); err != nil {
				return err
			}
			var n int64
			if err := tx.Model(&schemaMigration{}).Where("version = ?", m.version).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range splitStatements(dialectTypes[s.dialect].Replace(m.sql)) {
				if err := tx.Exec(stmt).Error; err != nil {
					return fmt.Errorf("%w\n%s", err, stmt)
				}
			}
			if step := dataSteps[m.version]; step != nil {
				if err := step(ctx, &Store{db: tx, dialect: s.dialect}); err != nil {
					return err
				}
			}
			applied = append(applied, fmt.Sprintf("%04d_%s", m.version, m.name))
			return tx.Create(&schemaMigration{Version: m.version, Name: m.name, AppliedAt: time.Now().UTC()}).Error
		})
		if err != nil {
			return applied, fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	return applied, nil
}

// splitStatements splits a migration on semicolons that end a line, dropping comment lines; our
// migrations hold no procedural code, so that is enough.
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
