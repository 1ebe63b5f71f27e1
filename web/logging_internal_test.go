package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/devportal/devportal/models"
)

// Issue 12 item 5: repeated identical errors are logged at most once per kind per errorWindow,
// and the next line says how many were suppressed; another kind is not held back by the first.
func TestErrorLogRateLimit(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newErrorLog(slog.New(slog.NewTextHandler(&buf, nil)), func() time.Time { return now })
	down := fmt.Errorf("query: %w", models.ErrUnavailable)
	for range 100 {
		l.error(context.Background(), kindOf(down.Error(), down), "database unavailable")
	}
	l.error(context.Background(), "disk full", "request failed")
	if got := strings.Count(buf.String(), "level=ERROR"); got != 2 {
		t.Fatalf("100 outage errors and one other in one window: %d lines, want 2:\n%s", got, &buf)
	}
	now = now.Add(errorWindow)
	buf.Reset()
	l.error(context.Background(), kindOf(down.Error(), down), "database unavailable")
	if !strings.Contains(buf.String(), "suppressed=99") {
		t.Fatalf("the next window's line does not count the 99 suppressed: %s", &buf)
	}
}

// Issue 12 item 5: the driver errors that mean "the database is not there" are recognised; a
// request's own mistakes are not.
func TestUnavailableClassifier(t *testing.T) {
	if models.Unavailable(models.ErrNotFound) || models.Unavailable(fmt.Errorf("bad input")) || models.Unavailable(nil) {
		t.Fatal("ordinary errors classified as unavailable")
	}
	if !models.Unavailable(fmt.Errorf("x: %w", context.DeadlineExceeded)) || !models.Unavailable(fmt.Errorf("sql: database is closed")) {
		t.Fatal("deadline or closed pool not classified as unavailable")
	}
}

// A request whose client went away logs no ERROR through c.Logger(): the query error it got is
// the cancellation, not a fault (it was one ERROR line per connection a load run left open).
func TestRequestLoggerIgnoresClientsThatLeft(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	base := &echoLogger{log: logger, errs: newErrorLog(logger, nil)}
	e := echo.New()

	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", nil).WithContext(ctx)
	c := e.NewContext(req, httptest.NewRecorder())
	cancel()
	base.forRequest(c).Error(fmt.Errorf("query: %w", context.Canceled))
	if buf.Len() != 0 {
		t.Fatalf("a client that left was logged: %s", &buf)
	}

	live := e.NewContext(httptest.NewRequest(http.MethodPost, "/oauth/token", nil), httptest.NewRecorder())
	base.forRequest(live).Error(errors.New("disk full"))
	if !strings.Contains(buf.String(), "level=ERROR") {
		t.Fatalf("a real error of a live request was not logged: %q", &buf)
	}
}
