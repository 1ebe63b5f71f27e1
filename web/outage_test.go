package web_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// tcpProxy forwards connections to a database, and can cut them all and refuse new ones (an
// outage) and then let them through again, on the same address.
type tcpProxy struct {
	t      *testing.T
	addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{t: t, addr: ln.Addr().String(), target: target}
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}

// down closes the listener and every forwarded connection: the database is gone.
func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// up listens again on the same address: the database is back.
func (p *tcpProxy) up() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}

// mustPostgresBehindProxy is a migrated store in a schema of its own on the test PostgreSQL
// server, reached through a tcpProxy.
func mustPostgresBehindProxy(t *testing.T) (*models.Store, *tcpProxy) {
	t.Helper()
	base := storetest.PostgresURL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)})
	if err != nil {
		t.Fatal(err)
	}
	schema := "t_" + models.NewID(8)
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := admin.DB()
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE"); sqlDB.Close() })
	proxy := startProxy(t, u.Host)
	u.Host = proxy.addr
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	store, err := models.Open(u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return store, proxy
}

// syncBuffer is a log sink the server's goroutines write to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Issue 12 item 5: with the database unreachable every endpoint answers 503 with Retry-After in
// its own error format (RFC 6749 JSON with temporarily_unavailable, RFC 6749 §4.1.2.1; the
// compatibility dialect; an HTML page), /readyz says 503, the log gets a few lines rather than
// one per request, and once the database is back the same requests succeed again.
func TestDatabaseOutageAnswers503(t *testing.T) {
	store, proxy := mustPostgresBehindProxy(t)
	logs := &syncBuffer{}
	env := newTestEnvOpts(t, store, envOptions{logs: logs})
	client, secret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ")
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"INVOICE.READ"}}
	if resp, out := postForm(t, env.URL+"/oauth/token", client.ID, secret, form); resp.StatusCode != http.StatusOK {
		t.Fatalf("before the outage: %d %v", resp.StatusCode, out)
	}

	proxy.down()
	const rounds = 20
	for range rounds {
		resp, out := postForm(t, env.URL+"/oauth/token", client.ID, secret, form)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" || out["error"] != "temporarily_unavailable" {
			t.Fatalf("token endpoint during the outage: %d Retry-After=%q %v\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), out, logs)
		}
		resp, out = postForm(t, env.URL+"/oauth/tokens", client.ID, secret, form)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" || out["error_code"] != "SERVER_ERROR" || !strings.Contains(out["message"].(string), "temporarily unavailable") {
			t.Fatalf("compatibility token endpoint during the outage: %d Retry-After=%q %v", resp.StatusCode, resp.Header.Get("Retry-After"), out)
		}
		resp, body := newBrowser(t, env.URL).get("/docs")
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "Temporarily unavailable") {
			t.Fatalf("page during the outage: %d Retry-After=%q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		if resp, body := newBrowser(t, env.URL).get("/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("/readyz during the outage: %d %s", resp.StatusCode, body)
		}
	}
	// 4×20 failed requests, one kind of error: one line per 10 s window (the test may straddle
	// one boundary), where there used to be one per request.
	if n := strings.Count(logs.String(), "level=ERROR"); n < 1 || n > 2 {
		t.Fatalf("%d ERROR lines for %d failed requests, want 1 or 2:\n%s", n, 4*rounds, logs)
	}
	if !strings.Contains(logs.String(), "database unavailable") {
		t.Fatalf("the outage is not named in the log:\n%s", logs)
	}

	proxy.up()
	if resp, body := newBrowser(t, env.URL).get("/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz after the outage: %d %s", resp.StatusCode, body)
	}
	if resp, out := postForm(t, env.URL+"/oauth/token", client.ID, secret, form); resp.StatusCode != http.StatusOK {
		t.Fatalf("token endpoint after the outage: %d %v", resp.StatusCode, out)
	}
	if resp, _ := newBrowser(t, env.URL).get("/docs"); resp.StatusCode != http.StatusOK {
		t.Fatalf("page after the outage: %d", resp.StatusCode)
	}
}
