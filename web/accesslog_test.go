package web_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/devportal/devportal/models/storetest"
)

// Issue 12 (logging): every request is logged once, as JSON with DEVPORTAL_LOG_FORMAT=json,
// with the request id the client saw in X-Request-Id, the route's pattern (not the path, which
// may carry secrets), the status actually sent and the client's IP.
func TestAccessLogOneLinePerRequest(t *testing.T) {
	logs := &syncBuffer{}
	env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{logs: logs, vars: map[string]string{"DEVPORTAL_LOG_FORMAT": "json"}})
	ok, _ := newBrowser(t, env.URL).get("/healthz")
	missing, _ := newBrowser(t, env.URL).get("/apps/no-such-app")
	want := map[string]struct {
		route  string
		status float64
	}{
		ok.Header.Get("X-Request-Id"):      {"/healthz", http.StatusOK},
		missing.Header.Get("X-Request-Id"): {"/apps/:id", http.StatusFound}, // signed out: sent to log in
	}
	seen := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON line: %s", sc.Text())
		}
		if line["msg"] != "request" {
			continue
		}
		id, _ := line["request_id"].(string)
		w, ok := want[id]
		if !ok {
			t.Fatalf("access log line for an id no response carried: %s", sc.Text())
		}
		seen[id]++
		if line["route"] != w.route || line["status"] != w.status || line["method"] != "GET" || line["ip"] != "127.0.0.1" || line["duration"] == nil {
			t.Fatalf("access log line %s, want route %s status %v", sc.Text(), w.route, w.status)
		}
	}
	for id := range want {
		if id == "" || seen[id] != 1 {
			t.Fatalf("request %q logged %d times, want once:\n%s", id, seen[id], logs)
		}
	}
}
