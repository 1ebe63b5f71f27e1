package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/devportal/devportal/models/mail"
	"github.com/devportal/devportal/web"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flags("serve", stdout)
	addr := fs.String("addr", "", "listen address (default DEVPORTAL_ADDR or :8080)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := open(ctx, getenv, stdout)
	if err != nil {
		return err
	}
	defer env.store.Close()
	if *addr != "" {
		env.cfg.Addr = *addr
	}
	e := web.New(env.cfg, web.Deps{Store: env.store, OAuth: env.oauth, Mail: env.outbox})
	ln, err := net.Listen("tcp", env.cfg.Addr)
	if err != nil {
		return err
	}
	users, err := env.store.CountUsers(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "devportal %s listening on %s (database: %s)\n", version, ln.Addr(), env.store.Dialect())
	fmt.Fprintf(stdout, "Open %s/ in your browser.\n", env.cfg.Issuer)
	if users == 0 {
		fmt.Fprint(stdout, firstAdminHint(env.cfg.Issuer))
	} else {
		fmt.Fprintf(stdout, "Log in at %s/login (create more admins with: devportal users create --email E --password-stdin --admin)\n", env.cfg.Issuer)
	}

	go env.oauth.RefreshKeys(ctx, time.Minute, func(err error) { e.Logger.Errorf("reload signing keys: %v", err) })
	go purge(ctx, env, e.Logger.Errorf)
	events := make(chan struct{})
	go func() {
		defer close(events)
		env.events.Run(ctx, time.Second, func(err error) { e.Logger.Errorf("record activity: %v", err) })
	}()
	defer func() { <-events }() // the last batch is written before the database closes
	worker := &mail.Worker{Outbox: env.outbox, Sender: env.sender, Logger: slog.Default()}
	mailDone := make(chan struct{})
	go func() {
		defer close(mailDone)
		worker.Run(ctx)
		// Shutting down: one last pass, so mail queued by the last requests is not left waiting
		// for the next start (it would not be lost either way: it stays in the outbox).
		flush, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := worker.Flush(flush); err != nil {
			e.Logger.Errorf("mail: last flush: %v", err)
		}
	}()
	defer func() { <-mailDone }()
	if env.cfg.SMTPURL == "" {
		fmt.Fprintln(stdout, "No DEVPORTAL_SMTP_URL: mail (verification and password-reset links) is written to this log instead of sent.")
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Shutdown(shutdown)
	}()
	e.Listener = ln
	if err := e.Start(""); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// firstAdminCommand creates the first admin from a source checkout. It asks for the password
// without echo (sh, bash and zsh alike) and pipes it in, so the password reaches neither the
// screen, the shell history nor the process list.
const firstAdminCommand = `printf 'Password for admin@example.com: '; stty -echo; read -r pw; stty echo; echo; ` +
	`printf '%s\n' "$pw" | go run ./cmd/devportal users create --email admin@example.com --password-stdin --admin; unset pw`

// firstAdminHint is what serve prints on an empty database.
func firstAdminHint(issuer string) string {
	return "No users yet. Create the first admin (a passphrase of at least 12 characters), then log in at " + issuer + "/login:\n" +
		"  " + firstAdminCommand + "\n"
}

// purge runs the same purge as `devportal purge` every hour, logging the same line per kind
// (errors through logf).
// Codes and refresh tokens are kept a day past expiry so a replay is still recognised.
func purge(ctx context.Context, env *env, logf func(string, ...any)) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		err := purgeOnce(ctx, env.store, env.cfg, func(line string) { slog.Info("purge: " + line) })
		if err != nil && ctx.Err() == nil {
			logf("purge: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
