package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Issue 12 (metrics): with DEVPORTAL_METRICS_ADDR, a second listener serves Prometheus
// /metrics; after a client-credentials token (RFC 6749 §4.4), a refused client authentication
// (RFC 6749 §2.3) and a page view it shows each with its labels and count, plus the queues, the
// outbox, the pool and the runtime. The public listener has no /metrics.
func TestServeExportsMetricsOnItsOwnListener(t *testing.T) {
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
	c.env["DEVPORTAL_METRICS_ADDR"] = "127.0.0.1:0"
	srv := c.mustServe()
	line := srv.mustLine(t, "metrics on ")
	metricsURL := strings.TrimSpace(strings.SplitN(line, "metrics on ", 2)[1])

	token := func(secret string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, "http://"+srv.addr+"/oauth/token",
			strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {"INVOICE.READ"}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(client.ClientID, secret)
		return mustDo(t, req)
	}
	if got := token(client.ClientSecret); got != http.StatusOK {
		t.Fatalf("token with the right secret: %d", got)
	}
	if got := token("wrong-" + client.ClientSecret); got != http.StatusUnauthorized {
		t.Fatalf("token with a wrong secret: %d", got)
	}
	if got := mustGet(t, "http://"+srv.addr+"/"); got != http.StatusOK {
		t.Fatalf("home page: %d", got)
	}
	if got := mustGet(t, "http://"+srv.addr+"/metrics"); got != http.StatusNotFound {
		t.Fatalf("/metrics on the public listener: %d, want 404", got)
	}

	res, err := http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("metrics listener: %d\n%s", res.StatusCode, body)
	}
	text := string(body)
	for _, want := range []string{
		`devportal_oauth_tokens_issued_total{grant_type="client_credentials"} 1` + "\n",
		`devportal_oauth_tokens_issued_total{grant_type="refresh_token"} 0` + "\n",
		`devportal_oauth_client_auth_failures_total{reason="bad_secret"} 1` + "\n",
		`devportal_oauth_refresh_reuse_detected_total 0` + "\n",
		`devportal_http_requests_total{code="200",method="POST",route="/oauth/token"} 1` + "\n",
		`devportal_http_requests_total{code="401",method="POST",route="/oauth/token"} 1` + "\n",
		`devportal_http_requests_total{code="200",method="GET",route="/"} 1` + "\n",
		`devportal_http_request_duration_seconds_count{method="POST",route="/oauth/token"} 2` + "\n",
		`devportal_activity_events_dropped_total 0` + "\n",
		`devportal_activity_events_queued `,
		`devportal_mail_outbox{state="waiting"} 0` + "\n",
		`devportal_mail_sent_total 0` + "\n",
		`go_sql_in_use_connections{db_name="sqlite"} `,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", strings.TrimSpace(want))
		}
	}
	// Routes are patterns, never paths: nothing a client sent in a URL becomes a label.
	if strings.Contains(text, `route="/metrics"`) {
		t.Errorf("an unrouted path became a route label:\n%s", text)
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", text)
	}
}

func mustGet(t *testing.T, u string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return mustDo(t, req)
}

func mustDo(t *testing.T, req *http.Request) int {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}
