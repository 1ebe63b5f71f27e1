// Command loadtest measures a devportal server on this machine: it sends a bounded number of
// requests for a bounded time from several workers and prints throughput and latency. It refuses
// any host that is not loopback, so it cannot be pointed at someone else's server.
//
//	loadtest -url http://127.0.0.1:8080 -mode healthz                      # raw HTTP baseline
//	loadtest -url http://127.0.0.1:8080 -mode token -client-id ID -client-secret S
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "server base URL (loopback only)")
	mode := fs.String("mode", "token", "healthz (GET /healthz) or token (client_credentials at /oauth/token)")
	id := fs.String("client-id", "", "machine client id (token mode)")
	secret := fs.String("client-secret", "", "machine client secret (token mode)")
	workers := fs.Int("c", 16, "concurrent workers")
	max := fs.Int("n", 20000, "stop after this many requests (at most 1,000,000)")
	dur := fs.Duration("d", 10*time.Second, "stop after this long (at most 2m)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*base)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s is not a loopback address; loadtest only measures servers on this machine", u.Hostname())
	}
	if *max < 1 || *max > 1_000_000 || *dur <= 0 || *dur > 2*time.Minute || *workers < 1 || *workers > 512 {
		return errors.New("-n must be 1..1000000, -d at most 2m, -c 1..512")
	}
	var newReq func() *http.Request
	switch *mode {
	case "healthz":
		newReq = func() *http.Request { r, _ := http.NewRequest(http.MethodGet, *base+"/healthz", nil); return r }
	case "token":
		if *id == "" || *secret == "" {
			return errors.New("token mode needs -client-id and -client-secret (devportal clients create --type machine …)")
		}
		body := "grant_type=client_credentials"
		newReq = func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, *base+"/oauth/token", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.SetBasicAuth(url.QueryEscape(*id), url.QueryEscape(*secret))
			return r
		}
	default:
		return fmt.Errorf("unknown -mode %q", *mode)
	}

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *workers, MaxConnsPerHost: *workers}, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	var sent, failed atomic.Int64
	lat := make([][]time.Duration, *workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for ctx.Err() == nil && sent.Add(1) <= int64(*max) {
				t0 := time.Now()
				resp, err := client.Do(newReq().WithContext(ctx))
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return errors.New("no request completed")
	}
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	fmt.Fprintf(out, "mode=%s workers=%d requests=%d failed=%d elapsed=%s\n", *mode, *workers, len(all), failed.Load(), elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "throughput=%.0f req/s  p50=%s  p90=%s  p99=%s\n", float64(len(all))/elapsed.Seconds(), pct(0.50), pct(0.90), pct(0.99))
	if failed.Load() > 0 {
		return fmt.Errorf("%d requests failed", failed.Load())
	}
	return nil
}
