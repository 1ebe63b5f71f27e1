package storetest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/devportal/devportal/models/storetest"
)

// outcomeTB records whether the code under test skipped or failed, instead of ending the real
// test. Skip and Fatal end the calling goroutine as the testing package does, so the helper
// under test stops exactly where it would in a real run.
type outcomeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (o *outcomeTB) Helper() {}
func (o *outcomeTB) Skipf(format string, args ...any) {
	o.skipped, o.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (o *outcomeTB) Fatalf(format string, args ...any) {
	o.failed, o.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (o *outcomeTB) Fatal(args ...any) { o.Fatalf("%s", fmt.Sprint(args...)) }

// mustOutcome runs fn with an outcomeTB on a goroutine of its own and waits for it to end.
func mustOutcome(t *testing.T, fn func(tb testing.TB)) *outcomeTB {
	t.Helper()
	o := &outcomeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(o)
	}()
	<-done
	return o
}

// Issue #8: CI sets DEVPORTAL_REQUIRE_POSTGRES=1 so that a missing or unreachable PostgreSQL
// fails the PostgreSQL suites instead of skipping them silently.
func TestPostgresRequired(t *testing.T) {
	for _, tc := range []struct {
		name, url, require string
		skip, fail         bool
	}{
		{"no URL, not required: skipped", "", "", true, false},
		{"no URL, required: failed", "", "1", false, true},
		// Port 1 refuses connections at once, so no timeout is involved.
		{"unreachable, required: failed", "postgres://postgres:postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "1", false, true},
		{"unreachable, not required: failed too, since a URL was given", "postgres://postgres:postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(storetest.PostgresEnv, tc.url)
			t.Setenv(storetest.RequirePostgresEnv, tc.require)
			for name, open := range map[string]func(testing.TB){
				"Postgres":    func(tb testing.TB) { storetest.Postgres(tb) },
				"PostgresURL": func(tb testing.TB) { storetest.PostgresURL(tb) },
			} {
				if name == "PostgresURL" && tc.url != "" {
					continue // PostgresURL does not connect; Postgres does
				}
				o := mustOutcome(t, open)
				if o.skipped != tc.skip || o.failed != tc.fail {
					t.Errorf("%s: skipped=%v failed=%v (%q), want skipped=%v failed=%v", name, o.skipped, o.failed, o.msg, tc.skip, tc.fail)
				}
				if o.failed && tc.url == "" && !strings.Contains(o.msg, storetest.PostgresEnv) {
					t.Errorf("%s: failure %q does not name %s", name, o.msg, storetest.PostgresEnv)
				}
			}
		})
	}
}
