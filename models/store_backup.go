package models

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// ErrBackupNotSQLite refuses an online backup of a PostgreSQL database: pg_dump does that.
var ErrBackupNotSQLite = errors.New("devportal backup copies a SQLite database; back up PostgreSQL with pg_dump (docs/deployment.md)")

// BackupTo writes a consistent copy of a SQLite database to path with VACUUM INTO, which reads
// inside one transaction: it runs beside a live server, whose writers keep going (WAL), and the
// copy is a plain database file that devportal opens as it is. path must not exist yet, so a
// backup never overwrites an older one.
func (s *Store) BackupTo(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return ErrBackupNotSQLite
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("backup: %s exists already; name a new file", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	if err := s.db.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	// The copy holds password hashes and sealed keys, like the database: the owner's only.
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
