package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// op is one operation of a scenario, run by one worker; it returns an error for a failed
// request (a non-200 answer included), which is counted and, for the first few, printed.
type op func(ctx context.Context) error

// result is what one scenario measured.
type result struct {
	ops           int
	errors        int64
	elapsed       time.Duration
	p50, p90, p99 time.Duration
	firstErrors   []string
}

func (r result) rate() float64 { return float64(r.ops) / r.elapsed.Seconds() }

// maxShownErrors is how many failures a scenario prints, so a broken run says why at once
// without flooding the terminal.
const maxShownErrors = 3

// measure runs one op per worker, each in a loop, until d has passed; newOp prepares a worker's
// op (its own refresh-token chain, say) before the clock starts. Only a failed preparation is an
// error: failed operations are counted in the result.
func measure(ctx context.Context, workers int, d time.Duration, newOp func(ctx context.Context, worker int) (op, error)) (result, error) {
	ops := make([]op, workers)
	for w := range ops {
		o, err := newOp(ctx, w)
		if err != nil {
			return result{}, fmt.Errorf("prepare worker %d: %w", w, err)
		}
		ops[w] = o
	}
	run, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var failed atomic.Int64
	var mu sync.Mutex
	var shown []string
	lat := make([][]time.Duration, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for run.Err() == nil {
				t0 := time.Now()
				err := ops[w](run)
				if run.Err() != nil {
					return // cut off by the deadline: neither a success nor a failure
				}
				if err != nil {
					failed.Add(1)
					mu.Lock()
					if len(shown) < maxShownErrors {
						shown = append(shown, err.Error())
					}
					mu.Unlock()
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	if len(all) == 0 {
		// Nothing finished in time (or everything failed): a result too, 0 operations/s, whose
		// latencies are at least d. The scenario is reported and the run goes on.
		return result{errors: failed.Load(), elapsed: elapsed, p50: d, p90: d, p99: d, firstErrors: shown}, nil
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	return result{ops: len(all), errors: failed.Load(), elapsed: elapsed, p50: pct(0.50), p90: pct(0.90), p99: pct(0.99), firstErrors: shown}, nil
}

// newClient is the HTTP client of every scenario, the ceiling's included: keep-alive, one
// connection per worker, no redirects followed (the authorization response is one).
func newClient(workers int) *http.Client {
	return &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers, IdleConnTimeout: time.Minute},
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// do sends req and reads the whole answer; a status other than want is an error quoting the
// start of the body.
func do(c *http.Client, req *http.Request, want int) (*http.Response, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != want {
		return resp, body, fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, snippet(body))
	}
	return resp, body, nil
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// ceiling serves the trivial handler the ceiling scenario measures: what this machine's HTTP
// stack answers with nothing behind it, on loopback like the server under test.
func ceiling() (base string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok\n"))
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// rss reads a process's resident memory (VmRSS, in kB) from /proc.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS in /proc/" + strconv.Itoa(pid) + "/status")
}
