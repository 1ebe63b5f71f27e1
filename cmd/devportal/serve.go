package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

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
	// One format, DEVPORTAL_LOG_FORMAT, for everything the server writes: requests, errors, the
	// mail worker, the purge. Request lines wait up to logFlushInterval in memory (a write per
	// request was an eighth of the cost of the cheapest ones); every other line goes out at once.
	logs := web.NewLogBuffer(os.Stderr)
	defer logs.Flush()
	logger := web.NewLogger(env.cfg, logs)
	slog.SetDefault(logger)
	e := web.New(env.cfg, web.Deps{Store: env.store, OAuth: env.oauth, Mail: env.outbox, Logger: logger,
		AccessLog: web.NewLogger(env.cfg, logs.Deferred()), Metrics: env.metrics})
	ln, err := net.Listen("tcp", env.cfg.Addr)
	if err != nil {
		return err
	}
	users, err := env.store.CountUsers(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "devportal %s listening on %s (database: %s), issuer %s\n", version, ln.Addr(), env.store.Dialect(), env.cfg.Issuer)
	if warning := issuerMismatch(env.cfg.Issuer, ln.Addr()); warning != "" {
		fmt.Fprintln(stdout, warning)
	}
	fmt.Fprintf(stdout, "Open %s/ in your browser.\n", env.cfg.Issuer)
	if users == 0 {
		fmt.Fprint(stdout, firstAdminHint(env.cfg.Issuer, env.cfg.DatabaseURL))
	} else {
		fmt.Fprintf(stdout, "Log in at %s/login (create more admins with: devportal users create --email E --password-stdin --admin)\n", env.cfg.Issuer)
	}

	go env.oauth.RefreshKeys(ctx, time.Minute, func(err error) { e.Logger.Errorf("reload signing keys: %v", err) })
	go purge(ctx, env, e.Logger.Errorf)
	// The event buffer and the mail worker outlive ctx: requests still draining after SIGTERM
	// record events and queue mail, so both stop only once the last request has finished.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	go logs.Run(work, logFlushInterval)
	events := make(chan struct{})
	go func() {
		defer close(events)
		env.events.Run(work, time.Second, func(err error) { e.Logger.Errorf("record activity: %v", err) })
	}()
	worker := &mail.Worker{Outbox: env.outbox, Sender: env.sender, Logger: logger}
	mailDone := make(chan struct{})
	go func() {
		defer close(mailDone)
		worker.Run(work)
		// Shutting down: one last pass, so mail queued by the last requests is not left waiting
		// for the next start (it would not be lost either way: it stays in the outbox).
		flush, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := worker.Flush(flush); err != nil {
			e.Logger.Errorf("mail: last flush: %v", err)
		}
	}()
	if env.cfg.SMTPURL == "" {
		fmt.Fprintln(stdout, "No DEVPORTAL_SMTP_URL: mail (verification and password-reset links) is written to this log instead of sent.")
	}
	metricsDone, err := serveMetrics(env, worker, stdout)
	if err != nil {
		stopWork()
		<-events
		<-mailDone
		return err
	}
	e.Listener = ln
	served := make(chan error, 1)
	go func() { served <- e.Start("") }()
	select {
	case err = <-served: // the listener failed
	case <-ctx.Done():
		err = drain(e, served, env.cfg.DrainTimeout, stdout)
	}
	// Only now that no request runs: the last events and mail, then (deferred) the database.
	stopWork()
	<-events
	<-mailDone
	metricsDone()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// logFlushInterval is the longest a request's access line waits to be written.
const logFlushInterval = 100 * time.Millisecond

// serveMetrics starts the metrics listener on DEVPORTAL_METRICS_ADDR, if set: /metrics and
// nothing else, on its own address so that it can stay off the public network. The returned
// func stops it; serve calls it last, so a final scrape still sees the drain.
func serveMetrics(env *env, worker *mail.Worker, stdout io.Writer) (stop func(), err error) {
	if env.cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	// The public listener already holds its port, so the same address fails here: metrics
	// never share it.
	ln, err := net.Listen("tcp", env.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("DEVPORTAL_METRICS_ADDR: %w", err)
	}
	env.metrics.WatchEvents(env.events)
	env.metrics.WatchMail(worker)
	env.metrics.WatchStore(env.store)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", env.metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			slog.Error("metrics listener: " + err.Error())
		}
	}()
	fmt.Fprintf(stdout, "metrics on http://%s/metrics\n", ln.Addr())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}

// drain stops accepting connections and waits for in-flight requests, at most timeout; the
// connections of requests still running then are cut. It returns once the server has stopped.
func drain(e *echo.Echo, served <-chan error, timeout time.Duration, stdout io.Writer) error {
	fmt.Fprintf(stdout, "shutting down: finishing in-flight requests (at most %s)\n", timeout)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		fmt.Fprintf(stdout, "shutting down: requests still running after %s were cut off\n", timeout)
		_ = e.Close()
	}
	return <-served
}

// firstAdminCommand creates the first admin from a source checkout. It asks for the password
// without echo (sh, bash and zsh alike) and pipes it in, so the password reaches neither the
// screen, the shell history nor the process list. %s is where the database setting goes.
const firstAdminCommand = `printf 'Password for admin@example.com: '; stty -echo; read -r pw; stty echo; echo; ` +
	`printf '%%s\n' "$pw" | %sgo run ./cmd/devportal users create --email admin@example.com --password-stdin --admin; unset pw`

// firstAdminHint is what serve prints on an empty database. A server started on another
// database than the default must have its admin created there too, so the command carries
// DEVPORTAL_DATABASE_URL then, with any password in it masked: the banner goes to logs.
func firstAdminHint(issuer, databaseURL string) string {
	dbEnv := ""
	if databaseURL != web.DefaultDatabaseURL {
		dbEnv = "DEVPORTAL_DATABASE_URL=" + shellQuote(redactDSN(databaseURL)) + " "
	}
	hint := "No users yet. Create the first admin (a passphrase of at least 12 characters), then log in at " + issuer + "/login:\n" +
		"  " + fmt.Sprintf(firstAdminCommand, dbEnv) + "\n"
	if strings.Contains(dbEnv, "xxxxx") {
		hint += "  (put the database password where the command says xxxxx)\n"
	}
	return hint
}

// redactDSN masks the password of a URL-style database setting.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return u.Redacted()
		}
	}
	return dsn
}

// shellQuote quotes s for sh: in single quotes, each quote inside closed, escaped, reopened.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// issuerMismatch warns when the issuer names this machine on another port than the one the
// server listens on: every link and redirect would then point where nothing answers. Behind a
// proxy (an issuer on another host) the ports differ by design, so it says nothing there.
func issuerMismatch(issuer string, listen net.Addr) string {
	iss, err := url.Parse(issuer)
	tcp, ok := listen.(*net.TCPAddr)
	if err != nil || !ok || !web.LoopbackHost(iss.Hostname()) {
		return ""
	}
	port := iss.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[iss.Scheme]
	}
	if port == strconv.Itoa(tcp.Port) {
		return ""
	}
	return fmt.Sprintf("WARNING: the issuer %s is on port %s of this machine but the server listens on port %d: "+
		"links and redirects will not reach it. Set DEVPORTAL_ISSUER=%s://%s or DEVPORTAL_ADDR=:%s.",
		issuer, port, tcp.Port, iss.Scheme, net.JoinHostPort(iss.Hostname(), strconv.Itoa(tcp.Port)), port)
}

// purge runs the same purge as `devportal purge` every hour, logging the same line for each kind
// it deleted something of (errors through logf).
// Codes and refresh tokens are kept a day past expiry so a replay is still recognised.
func purge(ctx context.Context, env *env, logf func(string, ...any)) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		_, err := purgeOnce(ctx, env.store, env.cfg, func(line string) { slog.Info("purge: " + line) }, true)
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
