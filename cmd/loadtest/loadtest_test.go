package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/web"
)

// mustServe starts a devportal server in-process on a loopback port, over the database at dsn,
// as devportal serve would (web.New over the real store and protocol core).
func mustServe(t *testing.T, dsn string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	vars := map[string]string{"DEVPORTAL_ISSUER": base, "DEVPORTAL_SECRET": strings.Repeat("s", 32), "DEVPORTAL_DATABASE_URL": dsn}
	cfg, err := web.ConfigFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	store, err := models.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv, err := oauth.NewServer(oauth.Config{Issuer: base, AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL}, store, cfg.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.LoadKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: web.New(cfg, web.Deps{Store: store, OAuth: srv, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return base
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatalf("loadtest %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// The tool must keep working as the product changes: a tiny seed through the migrations, every
// scenario of run for a fraction of a second, and every growth operation once, all without a
// single failed request (run and growth fail on any). Correctness only: nothing here is timed.
func TestSeedRunGrowth(t *testing.T) {
	dir := t.TempDir()
	dsn, fixtures := filepath.Join(dir, "seed.db"), filepath.Join(dir, "fixtures.json")
	mustRun(t, "seed", "-db", dsn, "-scale", "100000", "-fixtures", fixtures)
	base := mustServe(t, dsn)

	out := mustRun(t, "run", "-url", base, "-fixtures", fixtures, "-scenario", "all", "-c", "2", "-d", "200ms", "-format", "md")
	for _, sc := range scenarios {
		if !strings.Contains(out, "| `"+sc.name+"` |") {
			t.Errorf("run all printed no row for %s:\n%s", sc.name, out)
		}
	}

	// growth deletes applications, so each side needs a database of its own.
	other, otherFixtures := filepath.Join(dir, "other.db"), filepath.Join(dir, "other.json")
	mustRun(t, "seed", "-db", other, "-scale", "100000", "-fixtures", otherFixtures)
	out = mustRun(t, "growth", "-small", base+","+fixtures, "-large", mustServe(t, other)+","+otherFixtures, "-n", "1")
	for _, g := range growthOps {
		if !strings.Contains(out, g.name) {
			t.Errorf("growth printed no row for %s:\n%s", g.name, out)
		}
	}
}

// A seed fills only an empty database, so fixtures always describe what is in it.
func TestSeedRefusesAFilledDatabase(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "seed.db")
	mustRun(t, "seed", "-db", dsn, "-scale", "100000", "-fixtures", filepath.Join(dir, "a.json"))
	err := run(context.Background(), []string{"seed", "-db", dsn, "-scale", "100000", "-fixtures", filepath.Join(dir, "b.json")}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "freshly created") {
		t.Fatalf("second seed: err = %v, want a refusal", err)
	}
}

// loadtest measures this machine only: any other host is refused before a request is sent.
func TestRefusesOtherHosts(t *testing.T) {
	for _, args := range [][]string{
		{"run", "-url", "http://192.0.2.1:8080", "-fixtures", "unused.json"},
		{"run", "-url", "http://example.com", "-fixtures", "unused.json"},
		{"growth", "-small", "http://127.0.0.1:1,unused.json", "-large", "http://10.0.0.1:8080,unused.json"},
	} {
		err := run(context.Background(), args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("loadtest %v: err = %v, want the loopback refusal", args, err)
		}
	}
}

// The seed's rows are spread over their whole span at full scale too: the activity chart counts
// the last 30 days, and rows bunched at the start of the span (span*i overflowing) would leave it
// empty and the growth row flat.
func TestSpreadCoversTheSpan(t *testing.T) {
	sd := &seeder{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	const n = fullActivity
	span := 30 * 24 * time.Hour
	for _, tc := range []struct {
		i    int
		want time.Time
	}{
		{0, sd.now.Add(-span)},
		{n / 2, sd.now.Add(-span / 2)},
		{n - 1, sd.now.Add(-span / n)},
	} {
		if got := sd.spread(span, tc.i, n); got.Sub(tc.want).Abs() > time.Second {
			t.Errorf("spread(30 days, %d, %d) = %s, want %s", tc.i, n, got, tc.want)
		}
	}
}
