package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/gommon/log"

	"github.com/devportal/devportal/models"
)

// NewLogger is the server's logger in the format cfg names (DEVPORTAL_LOG_FORMAT): JSON lines,
// or slog's key=value text.
func NewLogger(cfg Config, w io.Writer) *slog.Logger {
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// errorWindow is how often one kind of error may be logged; the repeats in between are counted
// and reported on the next line of that kind. During a database outage every request fails the
// same way, and one line per request would bury everything else (issue 12, item 5).
const errorWindow = 10 * time.Second

// errorKindsMax bounds the memory of the limiter: an error text that varies per request (an ID
// in it) cannot grow it without end.
const errorKindsMax = 1024

// errorLog writes ERROR lines, at most one per kind per errorWindow.
type errorLog struct {
	log *slog.Logger
	now func() time.Time

	mu    sync.Mutex
	kinds map[string]*errorKind
}

type errorKind struct {
	last       time.Time
	suppressed int
}

func newErrorLog(l *slog.Logger, now func() time.Time) *errorLog {
	if now == nil {
		now = time.Now
	}
	return &errorLog{log: l, now: now, kinds: map[string]*errorKind{}}
}

// kindOf groups errors for the limiter: every database-unavailable error is one kind, whatever
// the driver's words; any other by its text.
func kindOf(msg string, err error) string {
	if models.Unavailable(err) {
		return "database unavailable"
	}
	return msg
}

// error logs msg with attrs unless a line of the same kind was written within errorWindow; the
// line written carries the number of lines suppressed since the last one.
func (l *errorLog) error(ctx context.Context, kind, msg string, attrs ...slog.Attr) {
	now := l.now()
	l.mu.Lock()
	k := l.kinds[kind]
	if k != nil && now.Sub(k.last) < errorWindow {
		k.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := 0
	if k == nil {
		if len(l.kinds) >= errorKindsMax {
			for name, old := range l.kinds {
				if now.Sub(old.last) >= errorWindow {
					delete(l.kinds, name)
				}
			}
		}
		k = &errorKind{}
		if len(l.kinds) < errorKindsMax {
			l.kinds[kind] = k
		}
	}
	suppressed, k.suppressed, k.last = k.suppressed, 0, now
	l.mu.Unlock()
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed", suppressed))
	}
	l.log.LogAttrs(ctx, slog.LevelError, msg, attrs...)
}

// requestID is the request's id, as the X-Request-Id response header carries it.
func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// logRequestError logs an internal error of a request, with its request id, rate-limited.
func logRequestError(c echo.Context, errs *errorLog, err error) {
	r := c.Request()
	msg := "request failed"
	if models.Unavailable(err) {
		msg = "database unavailable"
	}
	errs.error(r.Context(), kindOf(err.Error(), err), msg,
		slog.String("request_id", requestID(c)), slog.String("method", r.Method), slog.String("route", routeOf(c)),
		slog.String("error", err.Error()))
}

// echoLogger puts Echo's Logger interface (c.Logger(), e.Logger) on slog, so what handlers and
// Echo itself log has the same format, the request's id and the same rate limit on errors.
type echoLogger struct {
	log   *slog.Logger
	errs  *errorLog
	attrs []slog.Attr  // the request's id, for a request's logger
	req   echo.Context // the request, for a request's logger
}

var _ echo.Logger = (*echoLogger)(nil)

// forRequest is the logger c.Logger() returns for one request.
func (l *echoLogger) forRequest(c echo.Context) *echoLogger {
	return &echoLogger{log: l.log, errs: l.errs, attrs: []slog.Attr{slog.String("request_id", requestID(c))}, req: c}
}

func (l *echoLogger) at(level slog.Level, msg string, err error) {
	if level == slog.LevelError {
		// A handler that logs the error its query returned when the client hung up (a load
		// generator stopping, a user closing the tab) reports no fault of ours: the error
		// handler does not log those either.
		if l.req != nil && clientGone(l.req, err) {
			return
		}
		l.errs.error(context.Background(), kindOf(msg, err), msg, l.attrs...)
		return
	}
	l.log.LogAttrs(context.Background(), level, msg, l.attrs...)
}

// firstError is the first error among args, for kindOf.
func firstError(args []any) error {
	for _, a := range args {
		if err, ok := a.(error); ok {
			return err
		}
	}
	return nil
}

func sprint(args []any) string  { return strings.TrimSuffix(fmt.Sprintln(args...), "\n") }
func sprintj(j log.JSON) string { return fmt.Sprint(map[string]any(j)) }

func (l *echoLogger) Output() io.Writer         { return io.Discard }
func (l *echoLogger) SetOutput(io.Writer)       {}
func (l *echoLogger) Prefix() string            { return "" }
func (l *echoLogger) SetPrefix(string)          {}
func (l *echoLogger) Level() log.Lvl            { return log.INFO }
func (l *echoLogger) SetLevel(log.Lvl)          {}
func (l *echoLogger) SetHeader(string)          {}
func (l *echoLogger) Print(i ...any)            { l.at(slog.LevelInfo, sprint(i), nil) }
func (l *echoLogger) Printf(f string, a ...any) { l.at(slog.LevelInfo, fmt.Sprintf(f, a...), nil) }
func (l *echoLogger) Printj(j log.JSON)         { l.at(slog.LevelInfo, sprintj(j), nil) }
func (l *echoLogger) Debug(i ...any)            { l.at(slog.LevelDebug, sprint(i), nil) }
func (l *echoLogger) Debugf(f string, a ...any) { l.at(slog.LevelDebug, fmt.Sprintf(f, a...), nil) }
func (l *echoLogger) Debugj(j log.JSON)         { l.at(slog.LevelDebug, sprintj(j), nil) }
func (l *echoLogger) Info(i ...any)             { l.at(slog.LevelInfo, sprint(i), nil) }
func (l *echoLogger) Infof(f string, a ...any)  { l.at(slog.LevelInfo, fmt.Sprintf(f, a...), nil) }
func (l *echoLogger) Infoj(j log.JSON)          { l.at(slog.LevelInfo, sprintj(j), nil) }
func (l *echoLogger) Warn(i ...any)             { l.at(slog.LevelWarn, sprint(i), nil) }
func (l *echoLogger) Warnf(f string, a ...any)  { l.at(slog.LevelWarn, fmt.Sprintf(f, a...), nil) }
func (l *echoLogger) Warnj(j log.JSON)          { l.at(slog.LevelWarn, sprintj(j), nil) }
func (l *echoLogger) Error(i ...any)            { l.at(slog.LevelError, sprint(i), firstError(i)) }
func (l *echoLogger) Errorf(f string, a ...any) {
	l.at(slog.LevelError, fmt.Sprintf(f, a...), firstError(a))
}
func (l *echoLogger) Errorj(j log.JSON)         { l.at(slog.LevelError, sprintj(j), nil) }
func (l *echoLogger) Fatal(i ...any)            { l.Panic(i...) }
func (l *echoLogger) Fatalj(j log.JSON)         { l.Panicj(j) }
func (l *echoLogger) Fatalf(f string, a ...any) { l.Panicf(f, a...) }
func (l *echoLogger) Panic(i ...any)            { panic(sprint(i)) }
func (l *echoLogger) Panicj(j log.JSON)         { panic(sprintj(j)) }
func (l *echoLogger) Panicf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

// clientGone reports whether err only says the client went away (closed the connection or
// gave up) before the answer: not a fault of the server, so not an ERROR.
func clientGone(c echo.Context, err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(c.Request().Context().Err(), context.Canceled)
}
