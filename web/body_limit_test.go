package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Issue 12 item 2: a body over the limit (64 KiB) is refused with 413 before it is read, in the
// endpoint's own error format; a normal request still passes.
func TestBodyLimit(t *testing.T) {
	env := newTestEnv(t)
	big := strings.Repeat("a", 65*1024)
	for _, tc := range []struct {
		path, contentType, body string
		check                   func(t *testing.T, body string)
	}{
		{"/oauth/token", "application/x-www-form-urlencoded", "grant_type=client_credentials&pad=" + big, func(t *testing.T, body string) {
			var e struct{ Error string }
			if json.Unmarshal([]byte(body), &e) != nil || e.Error != "invalid_request" {
				t.Errorf("RFC 6749 body %q", body)
			}
		}},
		{"/oauth/userinfo", "application/x-www-form-urlencoded", "access_token=" + big, func(t *testing.T, body string) {
			var e struct{ Error string }
			if json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
				t.Errorf("RFC 6749 body %q", body)
			}
		}},
		{"/oauth/tokens", "application/json", `{"grant_type":"` + big + `"}`, func(t *testing.T, body string) {
			var e struct {
				ErrorCode string `json:"error_code"`
			}
			if json.Unmarshal([]byte(body), &e) != nil || e.ErrorCode != "API_VALIDATION_ERROR" {
				t.Errorf("compatibility body %q", body)
			}
		}},
		{"/login", "application/x-www-form-urlencoded", "email=a%40example.com&password=" + big, func(t *testing.T, body string) {
			if !strings.Contains(body, "<html") {
				t.Errorf("page body %q", body[:min(len(body), 200)])
			}
		}},
	} {
		resp, err := http.Post(env.URL+tc.path, tc.contentType, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%s with %d bytes: %d, want 413", tc.path, len(tc.body), resp.StatusCode)
			continue
		}
		tc.check(t, string(body))
	}
	// The largest legitimate form, an application's settings, stays far below the limit.
	resp, err := http.Post(env.URL+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials&pad="+strings.Repeat("a", 30*1024)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusRequestEntityTooLarge {
		t.Fatal("a 30 KiB request was refused")
	}
}
