package web_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/web"
)

// The access log waits in memory; every other line goes out at once, after it, in order
// (issue 14: a write per request line).
func TestLogBufferHoldsOnlyTheAccessLog(t *testing.T) {
	var out bytes.Buffer
	b := web.NewLogBuffer(&out)
	access := slog.New(slog.NewTextHandler(b.Deferred(), nil))
	errs := slog.New(slog.NewTextHandler(b, nil))

	access.Info("request", "n", 1)
	access.Info("request", "n", 2)
	if out.Len() != 0 {
		t.Fatalf("access lines written before a flush: %q", out.String())
	}
	errs.Error("request failed")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "n=1") || !strings.Contains(lines[1], "n=2") || !strings.Contains(lines[2], "request failed") {
		t.Fatalf("an immediate line must follow the access lines waiting before it:\n%s", out.String())
	}

	out.Reset()
	access.Info("request", "n", 3)
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "n=3") {
		t.Fatalf("Flush did not write the waiting line: %q", out.String())
	}
}

// A burst never holds more than 64 KiB, and Run writes what waits when it stops.
func TestLogBufferBoundedAndFlushedOnStop(t *testing.T) {
	var out bytes.Buffer
	b := web.NewLogBuffer(&out)
	line := strings.Repeat("x", 1023) + "\n"
	for range 200 {
		if _, err := b.Deferred().Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if out.Len() == 0 || out.Len() > 200*len(line) {
		t.Fatalf("after 200 KiB of access lines, %d bytes written; want some, at most 64 KiB held", out.Len())
	}
	if held := 200*len(line) - out.Len(); held > 64<<10 {
		t.Fatalf("%d bytes held back, more than 64 KiB", held)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx, time.Hour); close(done) }()
	cancel()
	<-done
	if out.Len() != 200*len(line) {
		t.Fatalf("Run stopped with %d of %d bytes written", out.Len(), 200*len(line))
	}
}

// failOnce fails its first write, then records the rest.
type failOnce struct {
	failed bool
	bytes.Buffer
}

func (f *failOnce) Write(p []byte) (int, error) {
	if !f.failed {
		f.failed = true
		return 0, errors.New("disk full")
	}
	return f.Buffer.Write(p)
}

// An error line is written even when the access lines before it could not be.
func TestLogBufferWritesTheLineAfterAFailedFlush(t *testing.T) {
	out := &failOnce{}
	b := web.NewLogBuffer(out)
	b.Deferred().Write([]byte("request n=1\n"))
	if _, err := b.Write([]byte("level=ERROR request failed\n")); err == nil {
		t.Fatal("the failed flush was not reported")
	}
	if !strings.Contains(out.String(), "request failed") {
		t.Fatalf("the error line was dropped with the access lines: %q", out.String())
	}
}
