package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/mail"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/web"
)

// env is what every command opens: configuration, the migrated database, the protocol core.
type env struct {
	cfg    web.Config
	store  *models.Store
	oauth  *oauth.Server
	events *models.EventBuffer
	outbox *mail.Outbox
	sender mail.Sender
	// metrics counts for DEVPORTAL_METRICS_ADDR; serve exports them when it is set.
	metrics *web.Metrics
}

// open reads the configuration, connects, migrates, and loads the signing keys.
func open(ctx context.Context, getenv func(string) string, log io.Writer) (*env, error) {
	cfg, err := web.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	cfg.Version = version
	// The secret first: a deployment that must not start (PostgreSQL without DEVPORTAL_SECRET)
	// stops before it touches the database.
	generated, err := cfg.LoadSecret()
	if err != nil {
		return nil, err
	}
	if generated {
		fmt.Fprintf(log, "generated a server secret in %s (set DEVPORTAL_SECRET to share one between instances)\n", cfg.SecretFile)
	}
	store, err := models.OpenWith(cfg.DatabaseURL, cfg.DB)
	if err != nil {
		return nil, err
	}
	applied, err := store.Migrate(ctx)
	if err != nil {
		store.Close()
		return nil, err
	}
	for _, m := range applied {
		fmt.Fprintf(log, "applied migration %s\n", m)
	}
	if err := auditMigrations(ctx, store, applied); err != nil {
		store.Close()
		return nil, err
	}
	events := models.NewEventBuffer(store, 10000)
	metrics := web.NewMetrics()
	ocfg := oauth.Config{
		Issuer: cfg.Issuer, Audience: cfg.Issuer, SigningAlg: cfg.SigningAlg, AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL,
		RefreshFamilyTTL: cfg.RefreshFamilyTTL, RefreshGrace: cfg.RefreshGrace, KeyActivation: oauth.DefaultKeyActivation, Events: events,
		Metrics: metrics,
	}
	cfg.ClientMetadata(&ocfg) // DEVPORTAL_CIMD, DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH
	srv, err := oauth.NewServer(ocfg, store, cfg.Secret)
	if err != nil {
		store.Close()
		return nil, err
	}
	if err := srv.LoadKeys(ctx); err != nil {
		store.Close()
		return nil, err
	}
	outbox, err := mail.NewOutbox(store, models.DeriveKey(cfg.Secret, "outbox"), mail.DefaultQueueLimit)
	if err != nil {
		store.Close()
		return nil, err
	}
	var sender mail.Sender = mail.Log{} // the server's logger, once serve has set it
	if cfg.SMTPURL != "" {
		if sender, err = mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom); err != nil {
			store.Close()
			return nil, err
		}
	}
	return &env{cfg: cfg, store: store, oauth: srv, events: events, outbox: outbox, sender: sender, metrics: metrics}, nil
}

// flags builds a FlagSet that reports errors instead of exiting.
func flags(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return fmt.Sprint(*s) }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
