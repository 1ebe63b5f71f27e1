package web_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
	"github.com/devportal/devportal/web"
)

// Issue 12, item 2: a client trickling a request body held its connection and goroutine for
// good. With DEVPORTAL_READ_TIMEOUT set, the server itself (web.New's http.Server, as serve
// runs it) ends such a connection: reading it reaches EOF well before the client's own deadline.
func TestReadTimeoutCutsTricklingBody(t *testing.T) {
	store := storetest.SQLite(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DEVPORTAL_ISSUER": "http://" + ln.Addr().String(), "DEVPORTAL_SECRET": strings.Repeat("s", 32),
		"DEVPORTAL_READ_TIMEOUT": "300ms", "DEVPORTAL_WRITE_TIMEOUT": "300ms"}
	cfg, err := web.ConfigFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := oauth.NewServer(oauth.Config{Issuer: cfg.Issuer}, store, cfg.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.LoadKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := web.New(cfg, web.Deps{Store: store, OAuth: srv})
	e.Server.Handler = e
	served := make(chan error, 1)
	go func() { served <- e.Server.Serve(ln) }()
	t.Cleanup(func() {
		e.Server.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers promise a body that never comes: the first bytes only.
	if _, err := io.WriteString(conn, "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\ngrant_type=cl"); err != nil {
		t.Fatal(err)
	}
	// A generous deadline of the client's own: only the server's timeout can end this sooner.
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server still held the trickling connection after 20s: %v", err)
	}
}
