package cimdfetch_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models/oauth/cimdfetch"
)

// Section numbers are draft-ietf-oauth-client-id-metadata-document-02's: §5 (fetching, 200
// only), §5.2 (caching), §8.6 (server-side request forgery), §8.7 (response size).

const doc = `{"client_id":"x","redirect_uris":["http://127.0.0.1/cb"]}`

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func jsonDoc(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write([]byte(doc))
}

func mustFail(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("fetch succeeded, want an error saying %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to say %q", err, want)
	}
}

func TestFetchLoopbackWithDevelopmentFlag(t *testing.T) {
	srv := serve(t, jsonDoc)
	f := cimdfetch.New(cimdfetch.Options{AllowLoopback: true})
	got, err := f.FetchClientMetadata(context.Background(), srv.URL+"/client.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Body) != doc || !got.HasMaxAge || got.MaxAge != time.Hour {
		t.Fatalf("got %+v", got)
	}
}

// §8.6: without DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH, loopback is refused: over http, over https,
// and through a name (localhost) that only the dialled address shows to be loopback.
func TestFetchRefusesLoopbackWithoutFlag(t *testing.T) {
	hits := 0
	count := func(w http.ResponseWriter, r *http.Request) { hits++; jsonDoc(w, r) }
	plain := serve(t, count)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(count))
	t.Cleanup(tlsSrv.Close)
	f := cimdfetch.New(cimdfetch.Options{TLS: tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig})
	ctx := context.Background()

	_, err := f.FetchClientMetadata(ctx, plain.URL+"/client.json")
	mustFail(t, err, "only https")
	_, err = f.FetchClientMetadata(ctx, tlsSrv.URL+"/client.json")
	mustFail(t, err, "loopback")
	_, err = f.FetchClientMetadata(ctx, strings.Replace(tlsSrv.URL, "127.0.0.1", "localhost", 1)+"/client.json")
	mustFail(t, err, "loopback")
	if hits != 0 {
		t.Fatalf("%d requests reached the loopback server", hits)
	}
}

// §8.6: private, link-local and other non-public addresses are refused before any connection,
// even with the development flag (which opens loopback only).
func TestFetchRefusesPrivateAddresses(t *testing.T) {
	f := cimdfetch.New(cimdfetch.Options{AllowLoopback: true})
	for _, u := range []string{
		"https://10.0.0.1/client.json",
		"https://169.254.169.254/latest/meta-data",
		"https://192.168.1.1:8443/client.json",
		"https://100.64.0.1/client.json",
		"https://[::ffff:10.0.0.1]/client.json",
		"https://[fd00::1]/client.json",
		"https://0.0.0.0/client.json",
	} {
		t.Run(u, func(t *testing.T) {
			_, err := f.FetchClientMetadata(context.Background(), u)
			if !errors.Is(err, cimdfetch.ErrRefusedAddress) && (err == nil || !strings.Contains(err.Error(), "refused address")) {
				t.Fatalf("err = %v, want a refused address", err)
			}
		})
	}
}

func TestFetchResponseRules(t *testing.T) {
	ctx := context.Background()
	f := cimdfetch.New(cimdfetch.Options{AllowLoopback: true})
	for _, tc := range []struct {
		name string
		h    http.HandlerFunc
		want string
	}{
		{"§5: no redirects", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere.json", http.StatusFound)
		}, "redirects"},
		{"§5: 200 only", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
		}, "404"},
		{"§4: application/json only", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(doc))
		}, "content type"},
		{"§8.7: at most 5 KiB, with Content-Length", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"x":"` + strings.Repeat("a", 6000) + `"}`))
		}, "larger than 5120 bytes"},
		{"§8.7: at most 5 KiB, streamed", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			for range 10 {
				w.Write([]byte(strings.Repeat("a", 1000)))
				w.(http.Flusher).Flush()
			}
		}, "larger than 5120 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, tc.h)
			_, err := f.FetchClientMetadata(ctx, srv.URL+"/client.json")
			mustFail(t, err, tc.want)
		})
	}
	t.Run("TLS certificates are verified", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.HandlerFunc(jsonDoc))
		t.Cleanup(srv.Close)
		_, err := f.FetchClientMetadata(ctx, srv.URL+"/client.json")
		mustFail(t, err, "certificate")
	})
	t.Run("the whole fetch is bounded in time", func(t *testing.T) {
		release := make(chan struct{})
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		_, err := cimdfetch.New(cimdfetch.Options{AllowLoopback: true, Timeout: 50 * time.Millisecond}).FetchClientMetadata(ctx, srv.URL+"/client.json")
		mustFail(t, err, "too long")
	})
}

func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		ip      string
		refused bool
	}{
		{"8.8.8.8", false}, {"2606:4700:4700::1111", false}, {"93.184.216.34", false},
		{"127.0.0.1", true}, {"127.8.8.8", true}, {"::1", true}, {"::ffff:127.0.0.1", true},
		{"10.1.2.3", true}, {"172.16.0.1", true}, {"192.168.0.1", true}, {"::ffff:192.168.0.1", true}, {"fc00::1", true},
		{"169.254.169.254", true}, {"fe80::1", true},
		{"0.0.0.0", true}, {"::", true},
		{"224.0.0.1", true}, {"ff02::1", true},
		{"100.64.0.1", true}, {"100.127.255.254", true},
		{"64:ff9b::a00:1", true}, {"2002:a00:1::", true}, {"198.18.0.1", true}, {"240.0.0.1", true},
	} {
		t.Run(tc.ip, func(t *testing.T) {
			why := cimdfetch.Refused(netip.MustParseAddr(tc.ip))
			if (why != "") != tc.refused {
				t.Fatalf("Refused(%s) = %q, want refused=%v", tc.ip, why, tc.refused)
			}
		})
	}
}

// §5.2: the freshness the caching headers give (RFC 9111 §4.2.1).
func TestFreshness(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		h    http.Header
		want time.Duration
		ok   bool
	}{
		{"none", http.Header{}, 0, false},
		{"max-age", http.Header{"Cache-Control": {"public, max-age=600"}}, 10 * time.Minute, true},
		{"no-store wins", http.Header{"Cache-Control": {"no-store, max-age=600"}}, 0, false},
		{"no-cache", http.Header{"Cache-Control": {"no-cache"}}, 0, false},
		{"Expires minus Date", http.Header{"Expires": {"Thu, 01 Jan 2026 13:00:00 GMT"}, "Date": {"Thu, 01 Jan 2026 12:30:00 GMT"}}, 30 * time.Minute, true},
		{"Expires minus now", http.Header{"Expires": {"Thu, 01 Jan 2026 14:00:00 GMT"}}, 2 * time.Hour, true},
		{"max-age beats Expires", http.Header{"Cache-Control": {"max-age=60"}, "Expires": {"Thu, 01 Jan 2026 14:00:00 GMT"}}, time.Minute, true},
		{"invalid Expires is expired", http.Header{"Expires": {"0"}}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := cimdfetch.Freshness(tc.h, now)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("Freshness = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
