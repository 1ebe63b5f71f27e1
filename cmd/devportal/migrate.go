package main

import (
	"context"
	"fmt"
	"io"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/web"
)

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if err := flags("migrate", stdout).Parse(args); err != nil {
		return err
	}
	cfg, err := web.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	store, err := models.OpenWith(cfg.DatabaseURL, cfg.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	applied, err := store.Migrate(ctx)
	if err != nil {
		return err
	}
	for _, m := range applied {
		fmt.Fprintf(stdout, "applied migration %s\n", m)
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
	}
	return auditMigrations(ctx, store, applied)
}
