package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
)

// lineWatch is serve's stdout: it hands each complete line to the test as it is written.
type lineWatch struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func newLineWatch() *lineWatch { return &lineWatch{lines: make(chan string, 256)} }

func (w *lineWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil { // no newline yet: keep the partial line for the next write
			w.buf.Reset()
			w.buf.WriteString(line)
			return len(p), nil
		}
		select {
		case w.lines <- strings.TrimSuffix(line, "\n"):
		default: // the test stopped reading; a full channel must not block the server
		}
	}
}

// server is `devportal serve` running in the test, on a loopback port the kernel chose.
type server struct {
	addr   string
	out    *lineWatch
	cancel context.CancelFunc // what SIGTERM does in main
	done   chan error         // run's result
}

// mustServe starts `devportal serve` and waits for its banner.
func (c *cli) mustServe(args ...string) *server {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{out: newLineWatch(), cancel: cancel, done: make(chan error, 1)}
	c.t.Cleanup(func() {
		cancel()
		<-s.done
	})
	go func() {
		s.done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), func(k string) string { return c.env[k] },
			strings.NewReader(""), s.out, io.Discard)
	}()
	line := s.mustLine(c.t, " listening on ")
	s.addr = strings.Fields(strings.SplitN(line, " listening on ", 2)[1])[0]
	return s
}

// awaitLine waits for a line of serve's output containing want; if serve returns first, it
// reports that instead.
func (s *server) awaitLine(want string) (line string, returned error, ok bool) {
	for {
		select {
		case line := <-s.out.lines:
			if strings.Contains(line, want) {
				return line, nil, true
			}
		case err := <-s.done:
			s.done <- err // for Cleanup and later waits
			return "", err, false
		}
	}
}

// mustLine waits for a line of serve's output containing want.
func (s *server) mustLine(t *testing.T, want string) string {
	t.Helper()
	line, err, ok := s.awaitLine(want)
	if !ok {
		t.Fatalf("serve returned (%v) before printing %q", err, want)
	}
	return line
}

// Issue 12 item 1: on SIGTERM serve drains. A token request whose handler is already reading
// its body when the signal comes still gets its 200 (the old serve closed the database at once,
// so it got a 500), serve does not return before that request has finished, and the activity
// event the request recorded after the signal is in the database afterwards (the old buffer
// wrote its last batch at the signal, before the request recorded anything).
func TestServeDrainsInFlightRequests(t *testing.T) {
	c := newCLI(t)
	out, err := c.run("", "clients", "create", "--name", "Batch", "--type", "machine", "--scope", "INVOICE.READ")
	if err != nil {
		t.Fatalf("clients create: %v\n%s", err, out)
	}
	var client struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &client); err != nil {
		t.Fatalf("clients create output %q: %v", out, err)
	}
	srv := c.mustServe()

	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := url.Values{"grant_type": {"client_credentials"}, "scope": {"INVOICE.READ"}}.Encode()
	req := fmt.Sprintf("POST /oauth/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", srv.addr, len(body))
	r, err := http.NewRequest(http.MethodPost, "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.SetBasicAuth(url.QueryEscape(client.ClientID), url.QueryEscape(client.ClientSecret))
	req = strings.Replace(req, "\r\n\r\n", "\r\nAuthorization: "+r.Header.Get("Authorization")+"\r\n\r\n", 1)
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	// net/http answers 100 Continue when the handler first reads the body: from here on the
	// request is in flight, waiting for the body the client has not sent yet.
	rd := bufio.NewReader(conn)
	cont, err := http.ReadResponse(rd, nil)
	if err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("before the body: %v %v, want 100 Continue", cont, err)
	}

	srv.cancel() // SIGTERM
	if _, err, ok := srv.awaitLine("shutting down"); !ok {
		t.Logf("serve returned (%v) while a request was in flight", err)
	}

	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("in-flight request after SIGTERM: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(got, []byte(`"access_token"`)) {
		t.Fatalf("in-flight request after SIGTERM: %d %s, want 200 with an access token", resp.StatusCode, got)
	}
	if err := <-srv.done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	srv.done <- nil

	store, err := models.Open(c.env["DEVPORTAL_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	evs, err := store.ClientEvents(context.Background(), client.ClientID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Kind != models.EventToken {
		t.Fatalf("activity after the drain: %+v, want the one token event", evs)
	}
}

func mustTCPAddr(t *testing.T, addr string) *net.TCPAddr {
	t.Helper()
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Issue 12 item 1: a request still running when DEVPORTAL_DRAIN_TIMEOUT runs out is cut off,
// and serve still returns (having flushed its workers and closed the database) instead of
// waiting for it for ever. The request hangs by sending a POST's headers and never its body.
func TestServeDrainTimeoutCutsHangingRequest(t *testing.T) {
	c := newCLI(t)
	c.env["DEVPORTAL_DRAIN_TIMEOUT"] = "200ms"
	srv := c.mustServe()
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := fmt.Sprintf("POST /oauth/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: 100\r\nExpect: 100-continue\r\n\r\n", srv.addr)
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	// 100 Continue: the handler is reading the body, which never comes.
	rd := bufio.NewReader(conn)
	cont, err := http.ReadResponse(rd, nil)
	if err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("before the body: %v %v, want 100 Continue", cont, err)
	}
	srv.cancel() // SIGTERM
	srv.mustLine(t, "were cut off")
	select {
	case err := <-srv.done:
		srv.done <- err
		if err != nil {
			t.Fatalf("serve after the forced cut: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not return after the drain timeout")
	}
	// The connection was cut: reading from it ends at once instead of waiting (the deadline
	// is a backstop, fifty times the drain timeout and under the server's own 30 s read timeout, which would close it too).
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // under the server's 30 s ReadTimeout
	if _, err := io.ReadAll(rd); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the hanging request's connection was left open after the drain timeout")
	}
	store, err := models.Open(c.env["DEVPORTAL_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Ping(context.Background()); err != nil {
		t.Fatalf("database after serve returned: %v", err)
	}
}

// Issue 12 item 1, under load: sixteen token requests in flight at once when SIGTERM comes all
// get their 200, and their sixteen activity events are in the database after serve returns.
func TestServeDrainsUnderLoad(t *testing.T) {
	c := newCLI(t)
	out, err := c.run("", "clients", "create", "--name", "Load", "--type", "machine", "--scope", "INVOICE.READ")
	if err != nil {
		t.Fatalf("clients create: %v\n%s", err, out)
	}
	var client struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &client); err != nil {
		t.Fatalf("clients create output %q: %v", out, err)
	}
	srv := c.mustServe()
	auth, _ := http.NewRequest(http.MethodPost, "/", nil)
	auth.SetBasicAuth(url.QueryEscape(client.ClientID), url.QueryEscape(client.ClientSecret))
	body := url.Values{"grant_type": {"client_credentials"}, "scope": {"INVOICE.READ"}}.Encode()
	const n = 16
	type flight struct {
		conn net.Conn
		rd   *bufio.Reader
	}
	var flights []flight
	for range n {
		conn, err := net.Dial("tcp", srv.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /oauth/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n"+
			"Expect: 100-continue\r\nAuthorization: %s\r\n\r\n", srv.addr, len(body), auth.Header.Get("Authorization"))
		rd := bufio.NewReader(conn)
		// 100 Continue: the handler is reading the body, so the request is in flight.
		if cont, err := http.ReadResponse(rd, nil); err != nil || cont.StatusCode != http.StatusContinue {
			t.Fatalf("before the body: %v %v, want 100 Continue", cont, err)
		}
		flights = append(flights, flight{conn, rd})
	}
	srv.cancel() // SIGTERM, with all sixteen in flight
	srv.mustLine(t, "shutting down")
	for i, f := range flights {
		if _, err := io.WriteString(f.conn, body); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(f.rd, nil)
		if err != nil {
			t.Fatalf("request %d after SIGTERM: %v", i, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(got, []byte(`"access_token"`)) {
			t.Fatalf("request %d after SIGTERM: %d %s, want 200 with an access token", i, resp.StatusCode, got)
		}
	}
	if err := <-srv.done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	srv.done <- nil
	store, err := models.Open(c.env["DEVPORTAL_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	evs, err := store.ClientEvents(context.Background(), client.ClientID, 100)
	if err != nil || len(evs) != n {
		t.Fatalf("%d activity events after the drain (%v), want %d", len(evs), err, n)
	}
}
