package web

import (
	"context"
	"io"
	"sync"
	"time"
)

// LogBuffer lets the access log, one line per request, cost no write of its own: lines written
// to Deferred() wait in memory until Flush, the next immediate line, logBufferMax bytes, or the
// tick of Run. Everything written to the LogBuffer itself (errors, start-up, mail in
// development) goes out at once, after the lines waiting before it, so the order is kept. A
// process killed outright loses at most one tick of access lines; nothing else is held back.
type LogBuffer struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte
}

// logBufferMax is how much the access log may hold back: a burst writes every 64 KiB.
const logBufferMax = 64 << 10

// NewLogBuffer buffers the access log in front of w (os.Stderr for the server).
func NewLogBuffer(w io.Writer) *LogBuffer {
	return &LogBuffer{w: w, pending: make([]byte, 0, logBufferMax)}
}

// Write writes the lines waiting, then p, at once; p is written even if the others failed.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	flushErr := b.flushLocked()
	n, err := b.w.Write(p)
	if err == nil {
		err = flushErr
	}
	return n, err
}

// Flush writes the lines waiting.
func (b *LogBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *LogBuffer) flushLocked() error {
	if len(b.pending) == 0 {
		return nil
	}
	_, err := b.w.Write(b.pending)
	b.pending = b.pending[:0]
	return err
}

// Deferred is the writer of the access log: it only appends, and writes when full.
func (b *LogBuffer) Deferred() io.Writer { return deferredLog{b} }

type deferredLog struct{ b *LogBuffer }

func (d deferredLog) Write(p []byte) (int, error) {
	b := d.b
	b.mu.Lock()
	defer b.mu.Unlock()
	var err error
	if len(b.pending)+len(p) > logBufferMax {
		err = b.flushLocked() // p is kept either way: the failure was the earlier lines'
	}
	b.pending = append(b.pending, p...)
	return len(p), err
}

// Run flushes every interval until ctx ends, then once more.
func (b *LogBuffer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			b.Flush()
			return
		case <-t.C:
			b.Flush()
		}
	}
}
