package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/web"
)

// backupCmd is `devportal backup --to FILE`: an online copy of a SQLite database, safe while
// the server runs. It does not migrate, so a backup taken before an upgrade is of the old schema.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flags("backup", stdout)
	to := fs.String("to", "", "the new file to write the copy to (must not exist)")
	fs.Usage = func() {
		fmt.Fprint(stdout, "Usage: devportal backup --to FILE\n\nCopies the SQLite database (DEVPORTAL_DATABASE_URL) to FILE while the server runs. PostgreSQL: use pg_dump.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if *to == "" || fs.NArg() > 0 {
		return errors.New("backup: usage: devportal backup --to FILE")
	}
	cfg, err := web.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	d, file := models.ParseDSN(cfg.DatabaseURL)
	if d != models.SQLite {
		return models.ErrBackupNotSQLite
	}
	// Opening a missing SQLite file would create an empty database and back that up.
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("backup: database %w", err)
	}
	store, err := models.Open(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.BackupTo(ctx, *to); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", cfg.DatabaseURL, *to)
	return nil
}
