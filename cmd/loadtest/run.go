package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// row is one scenario's line of the report: medians over the repeats.
type row struct {
	name          string
	rate, ratio   float64
	p50, p90, p99 time.Duration
	ops, errors   int64
	rssBefore     int64 // kB; 0 without -pid
	rssAfter      int64
}

func runCmd(ctx context.Context, args []string, out io.Writer) error {
	fs := flags("run", out)
	base := fs.String("url", "http://127.0.0.1:8080", "server base URL (loopback only)")
	fixtures := fs.String("fixtures", "", "fixtures file written by loadtest seed")
	list := fs.String("scenario", "all", "comma-separated scenarios: ceiling, healthz, client-credentials, introspect, code-exchange, refresh, api, or all")
	workers := fs.Int("c", 8, "concurrent workers (keep-alive connections)")
	dur := fs.Duration("d", 10*time.Second, "how long each scenario runs (at most 10m: long enough for the memory row's million tokens)")
	repeat := fs.Int("repeat", 1, "run the whole list this many times and report the medians (at most 10)")
	format := fs.String("format", "text", "text, or md for a Markdown table")
	pid := fs.Int("pid", 0, "the server's process id: report its resident memory (VmRSS) before and after each scenario")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loopback(*base); err != nil {
		return err
	}
	if *dur <= 0 || *dur > 10*time.Minute || *workers < 1 || *workers > 512 || *repeat < 1 || *repeat > 10 {
		return errors.New("-d must be in (0, 10m], -c 1..512, -repeat 1..10")
	}
	if *format != "text" && *format != "md" {
		return fmt.Errorf("-format must be text or md, not %q", *format)
	}
	chosen, err := parseScenarios(*list)
	if err != nil {
		return err
	}
	fx, err := loadFixtures(*fixtures)
	if err != nil {
		return err
	}
	ceilURL, stop, err := ceiling()
	if err != nil {
		return err
	}
	defer stop()

	e := &target{base: strings.TrimSuffix(*base, "/"), ceiling: ceilURL, fx: fx, workers: *workers}
	runs := make(map[string][]row)
	for range *repeat {
		var ceil float64
		for _, sc := range chosen {
			r, err := measureScenario(ctx, e, sc, *dur, *pid, out)
			if err != nil {
				return fmt.Errorf("%s: %w", sc.name, err)
			}
			if sc.name == "ceiling" {
				ceil = r.rate
			}
			r.ratio = r.rate / ceil
			runs[sc.name] = append(runs[sc.name], r)
		}
	}
	rows := make([]row, 0, len(chosen))
	var failed int64
	for _, sc := range chosen {
		r := medianRow(runs[sc.name])
		failed += r.errors
		rows = append(rows, r)
	}
	fmt.Fprintf(out, "%s, %d workers, %s per scenario, median of %d run(s), %s\n", *base, *workers, *dur, *repeat, time.Now().UTC().Format(time.RFC3339))
	if *format == "md" {
		writeMarkdown(out, rows, *pid > 0)
	} else {
		writeText(out, rows, *pid > 0)
	}
	if failed > 0 {
		return fmt.Errorf("%d requests failed", failed)
	}
	return nil
}

// measureScenario runs sc once for d on a fresh client, with the server's memory before and
// after when pid is set, and prints the first few failures.
func measureScenario(ctx context.Context, e *target, sc scenario, d time.Duration, pid int, out io.Writer) (row, error) {
	r := row{name: sc.name}
	var err error
	if pid > 0 {
		if r.rssBefore, err = rss(pid); err != nil {
			return r, err
		}
	}
	e.client = newClient(e.workers)
	defer e.client.CloseIdleConnections()
	newOp, err := sc.prepare(ctx, e)
	if err != nil {
		return r, err
	}
	res, err := measure(ctx, e.workers, d, newOp)
	if err != nil {
		return r, err
	}
	for _, msg := range res.firstErrors {
		fmt.Fprintf(out, "%s: error: %s\n", sc.name, msg)
	}
	if pid > 0 {
		if r.rssAfter, err = rss(pid); err != nil {
			return r, err
		}
	}
	r.rate, r.p50, r.p90, r.p99, r.ops, r.errors = res.rate(), res.p50, res.p90, res.p99, int64(res.ops), res.errors
	return r, nil
}

// parseScenarios reads -scenario; the ceiling is always measured, first, since every ratio is
// to the ceiling of the same run.
func parseScenarios(list string) ([]scenario, error) {
	out := []scenario{scenarios[0]}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "all" {
			return scenarios, nil
		}
		sc, ok := scenarioNamed(name)
		if !ok {
			return nil, fmt.Errorf("unknown scenario %q", name)
		}
		if !slices.ContainsFunc(out, func(s scenario) bool { return s.name == name }) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// medianRow takes each figure's median over the repeats (errors and ops are summed; memory is
// the first run's before and the last run's after).
func medianRow(rs []row) row {
	med := func(f func(row) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	out := rs[0]
	out.rate = med(func(r row) float64 { return r.rate })
	out.ratio = med(func(r row) float64 { return r.ratio })
	out.p50 = time.Duration(med(func(r row) float64 { return float64(r.p50) }))
	out.p90 = time.Duration(med(func(r row) float64 { return float64(r.p90) }))
	out.p99 = time.Duration(med(func(r row) float64 { return float64(r.p99) }))
	out.ops, out.errors = 0, 0
	for _, r := range rs {
		out.ops += r.ops
		out.errors += r.errors
	}
	out.rssAfter = rs[len(rs)-1].rssAfter
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// latency shows a percentile; a scenario where nothing finished shows "≥ d".
func latency(r row, d time.Duration) string {
	if r.ops == 0 {
		return "≥ " + d.String()
	}
	return ms(d)
}

func mib(kb int64) string { return fmt.Sprintf("%.1f MiB", float64(kb)/1024) }

func writeText(out io.Writer, rows []row, memory bool) {
	fmt.Fprintf(out, "%-20s %10s %10s %10s %10s %8s %8s", "scenario", "req/s", "p50", "p90", "p99", "errors", "ceiling")
	if memory {
		fmt.Fprintf(out, "  %s", "server RSS before → after")
	}
	fmt.Fprintln(out)
	for _, r := range rows {
		fmt.Fprintf(out, "%-20s %10.0f %10s %10s %10s %8d %7.0f%%", r.name, r.rate, latency(r, r.p50), latency(r, r.p90), latency(r, r.p99), r.errors, 100*r.ratio)
		if memory {
			fmt.Fprintf(out, "  %s → %s", mib(r.rssBefore), mib(r.rssAfter))
		}
		fmt.Fprintln(out)
	}
}

func writeMarkdown(out io.Writer, rows []row, memory bool) {
	head := "| scenario | req/s | p50 | p90 | p99 | errors | of ceiling |"
	sep := "|---|---:|---:|---:|---:|---:|---:|"
	if memory {
		head, sep = head+" server RSS before → after |", sep+"---|"
	}
	fmt.Fprintln(out, head)
	fmt.Fprintln(out, sep)
	for _, r := range rows {
		fmt.Fprintf(out, "| `%s` | %.0f | %s | %s | %s | %d | %.0f%% |", r.name, r.rate, latency(r, r.p50), latency(r, r.p90), latency(r, r.p99), r.errors, 100*r.ratio)
		if memory {
			fmt.Fprintf(out, " %s → %s |", mib(r.rssBefore), mib(r.rssAfter))
		}
		fmt.Fprintln(out)
	}
}
