package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/web"
)

// replayWindow is how long past expiry codes and refresh tokens are kept, so a replay of one is
// still recognised as such (and revokes its grant) rather than looking unknown.
const replayWindow = 24 * time.Hour

// purgeCmd is `devportal purge`: it deletes what has expired or passed its retention, in small
// batches, and prints one line per kind of what it deleted.
func purgeCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flags("purge", stdout)
	fs.Usage = func() {
		fmt.Fprint(stdout, "Usage: devportal purge\n\nDeletes what has expired or passed its retention, in small batches, and prints what it deleted.\n")
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	cfg, err := web.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	store, err := models.Open(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer store.Close()
	applied, err := store.Migrate(ctx)
	if err != nil {
		return err
	}
	if err := auditMigrations(ctx, store, applied); err != nil {
		return err
	}
	report, err := purgeOnce(ctx, store, cfg, func(line string) { fmt.Fprintln(stdout, line) }, false)
	// What was deleted stays deleted, also when the purge stopped part way: record it either way.
	if aerr := auditDone(ctx, store, models.AuditPurged, "expired data", purgeDetail(report, err)); aerr != nil && err == nil {
		err = aerr
	}
	return err
}

// purgeDetail says what one purge deleted, by kind, for the audit log.
func purgeDetail(report models.PurgeReport, err error) string {
	var parts []string
	for _, k := range report {
		if k.Deleted > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d", k.Kind, k.Deleted))
		}
	}
	d := "deleted nothing"
	if len(parts) > 0 {
		d = fmt.Sprintf("deleted %d: %s", report.Total(), strings.Join(parts, ", "))
	}
	if err != nil {
		d += "; stopped early on an error"
	}
	return d
}

// purgeOnce runs one purge under cfg's policy and reports one line per kind, even when it
// stopped on an error part way (what was deleted stays deleted), and returns what it deleted.
func purgeOnce(ctx context.Context, store *models.Store, cfg web.Config, line func(string), quiet bool) (models.PurgeReport, error) {
	report, err := store.PurgeExpired(ctx, purgePolicy(cfg, time.Now().UTC()))
	for _, k := range report {
		if quiet && k.Deleted == 0 {
			continue // the hourly job logs only what it deleted; the command says every kind
		}
		line(fmt.Sprintf("%s: %d deleted", k.Kind, k.Deleted))
	}
	return report, err
}

// purgePolicy is what one purge at now deletes under cfg.
func purgePolicy(cfg web.Config, now time.Time) models.PurgePolicy {
	return models.PurgePolicy{
		Before:         now.Add(-replayWindow),
		RetainActivity: cfg.RetainActivity, RetainAudit: cfg.RetainAudit, RetainRevokedGrants: cfg.RetainRevokedGrants,
		RefreshFamilyTTL: cfg.RefreshFamilyTTL, UnusedDynamicClients: models.UnusedDynamicClientTTL,
		UnusedMetadataClients: models.UnusedMetadataClientTTL,
	}
}
