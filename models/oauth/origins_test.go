package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// An allowed origin is compared with the browser's Origin header as a string, so it must be
// written exactly as browsers serialise it (RFC 6454 §6.2, Fetch "serialization of an origin").
func TestValidateOrigin(t *testing.T) {
	for _, ok := range []string{
		"https://app.example.com",
		"https://app.example.com:8443",
		"https://xn--bcher-kva.example",
		"http://localhost:5173",
		"http://127.0.0.1:3000",
		"http://[::1]:8080",
	} {
		if err := oauth.ValidateOrigin(ok); err != nil {
			t.Errorf("ValidateOrigin(%q) = %v, want nil", ok, err)
		}
	}
	for _, tc := range []struct{ origin, wantErr string }{
		{"https://app.example.com/", "write only https://app.example.com"},
		{"https://app.example.com/callback", "write only https://app.example.com"},
		{"https://app.example.com?x=1", "is a URL, not an origin"},
		{"https://app.example.com#top", "is a URL, not an origin"},
		{"HTTPS://app.example.com", "as browsers send it: https://app.example.com"},
		{"https://App.Example.com", "as browsers send it: https://app.example.com"},
		{"https://app.example.com:443", "as browsers send it: https://app.example.com"},
		{"http://localhost:80", "as browsers send it: http://localhost"},
		{"http://app.example.com", "must use https"},
		{"ftp://app.example.com", "must use https"},
		{"chrome-extension://abcdef", "must use https"},
		{"*", "wildcards"},
		{"https://*.example.com", "wildcards"},
		{"https://user@app.example.com", "user name or password"},
		{"app.example.com", "must be an origin"},
		{"null", "must be an origin"}, // the opaque origin of sandboxed frames and file: pages
		{"https://bücher.example", "xn--"},
		{"https://app.example.com ", "without spaces"},
		{"", "without spaces"},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			err := oauth.ValidateOrigin(tc.origin)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ValidateOrigin(%q) = %v; want an error containing %q", tc.origin, err, tc.wantErr)
			}
		})
	}
}

// RFC 9700 ("Usage of CORS"): which pages may call the token endpoint is per client; by default
// the origins of its redirect URIs, else exactly the origins it lists.
func TestOriginAllowed(t *testing.T) {
	derived := &models.Client{Type: models.ClientNative, RedirectURIs: []string{"https://spa.example/cb", "http://127.0.0.1:5173/cb", "com.example.spa:/cb"}}
	listed := &models.Client{Type: models.ClientNative, RedirectURIs: derived.RedirectURIs, AllowedOrigins: []string{"https://other.example"}}
	machine := &models.Client{Type: models.ClientMachine}
	for _, tc := range []struct {
		name   string
		client *models.Client
		origin string
		want   bool
	}{
		{"default: a redirect URI's origin", derived, "https://spa.example", true},
		{"default: a loopback redirect URI's origin, with its port", derived, "http://127.0.0.1:5173", true},
		{"default: another port of loopback", derived, "http://127.0.0.1:5174", false},
		{"default: localhost is not 127.0.0.1", derived, "http://localhost:5173", false},
		{"default: another host", derived, "https://evil.example", false},
		{"default: a private-use scheme has no origin", derived, "com.example.spa:", false},
		{"origins compare exactly", derived, "https://SPA.example", false},
		{"a URL is not its origin", derived, "https://spa.example/cb", false},
		{"no origin", derived, "", false},
		{"the opaque origin", derived, "null", false},
		{"listed: the listed origin", listed, "https://other.example", true},
		{"listed: replaces the default", listed, "https://spa.example", false},
		{"machine clients have no web origins", machine, "https://spa.example", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := oauth.OriginAllowed(tc.client, tc.origin); got != tc.want {
				t.Fatalf("OriginAllowed(%v, %q) = %v, want %v", tc.client.WebOrigins(), tc.origin, got, tc.want)
			}
		})
	}
}

func TestValidateProfileAllowedOrigins(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	edit := func(c *models.Client, origins ...string) oauth.Profile {
		return oauth.Profile{Name: c.Name, RedirectURIs: c.RedirectURIs, Scopes: c.Scopes, AllowedOrigins: origins}
	}
	many := make([]string, oauth.MaxAllowedOrigins+1)
	for i := range many {
		many[i] = fmt.Sprintf("https://app%d.example", i)
	}
	for _, tc := range []struct {
		name    string
		client  *models.Client
		origins []string
		want    []string
		wantErr string
	}{
		{"empty keeps the default", f.native, []string{"", "  "}, nil, ""},
		{"trimmed and de-duplicated", f.native, []string{" https://spa.example ", "https://spa.example", "http://localhost:5173"}, []string{"https://spa.example", "http://localhost:5173"}, ""},
		{"at most the limit", f.web, many[:oauth.MaxAllowedOrigins], many[:oauth.MaxAllowedOrigins], ""},
		{"one over the limit", f.web, many, nil, fmt.Sprintf("at most %d origins", oauth.MaxAllowedOrigins)},
		{"a URL names the origin to write", f.native, []string{"https://spa.example/"}, nil, "https://spa.example/ is a URL, not an origin: write only https://spa.example"},
		{"machine clients keep none", f.machine, []string{"https://spa.example"}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, errs, err := f.srv.ValidateProfile(ctx, tc.client, edit(tc.client, tc.origins...))
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" {
				if !strings.Contains(errs["allowed_origins"], tc.wantErr) {
					t.Fatalf("allowed_origins error = %q, want it to contain %q (all errors: %v)", errs["allowed_origins"], tc.wantErr, errs)
				}
				return
			}
			if len(errs) > 0 || !slices.Equal(out.AllowedOrigins, tc.want) {
				t.Fatalf("AllowedOrigins = %v, errors %v; want %v", out.AllowedOrigins, errs, tc.want)
			}
		})
	}
}

// A cross-origin token request is checked against its client after authentication and before
// the grant runs (RFC 9700, "Usage of CORS"; RFC 6749 §4.1.2 makes codes single-use): a page the
// client does not allow gets an error and leaves the code and the refresh token as they were.
func TestTokenOrigin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		f := mustFixture(t, store)
		ctx := context.Background()
		const spa, spaRedirect = "https://spa.example", "https://spa.example/callback"
		client, _ := mustClient(t, store, models.ClientNative, []string{spaRedirect}, "INVOICE.READ")
		code := f.mustCode(t, oauth.AuthorizeParams{ClientID: client.ID, RedirectURI: spaRedirect, State: "s", CodeChallenge: challenge, CodeChallengeMethod: oauth.MethodS256})
		exchange := oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: code, RedirectURI: spaRedirect, CodeVerifier: verifier, ClientID: client.ID}

		for _, origin := range []string{"https://evil.example", "null", "https://spa.example:8443", "http://spa.example"} {
			r := exchange
			r.Origin = origin
			_, err := f.srv.Token(ctx, r)
			if !errors.Is(err, oauth.ErrOriginNotAllowed) || !errors.Is(err, oauth.ErrUnauthorizedClient) || !strings.Contains(err.Error(), origin) {
				t.Fatalf("exchange from %s: %v; want unauthorized_client naming the origin", origin, err)
			}
		}
		r := exchange
		r.Origin = spa
		tok, err := f.srv.Token(ctx, r)
		if err != nil {
			t.Fatalf("exchange from the allowed origin after refused ones: %v (a refused origin must not spend the code)", err)
		}

		refresh := oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: tok.RefreshToken, ClientID: client.ID, Origin: "https://evil.example"}
		if _, err := f.srv.Token(ctx, refresh); !errors.Is(err, oauth.ErrOriginNotAllowed) {
			t.Fatalf("refresh from another origin: %v", err)
		}
		refresh.Origin = issuer // the portal's own pages are not cross-origin
		if _, err := f.srv.Token(ctx, refresh); err != nil {
			t.Fatalf("refresh after a refused one: %v (a refused origin must not rotate the refresh token)", err)
		}

		// The origin does not stand in for client authentication, and machine clients have no
		// browser pages at all.
		cc := oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: f.machine.ID, ClientSecret: f.machineSecret, Origin: spa}
		if _, err := f.srv.Token(ctx, cc); !errors.Is(err, oauth.ErrOriginNotAllowed) {
			t.Fatalf("machine client from a browser: %v", err)
		}
		cc.Origin = ""
		if _, err := f.srv.Token(ctx, cc); err != nil {
			t.Fatalf("machine client from a server: %v", err)
		}
		wrong := oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: f.web.ID, ClientSecret: "wrong", Origin: "https://app.example.test"}
		if _, err := f.srv.Token(ctx, wrong); !errors.Is(err, oauth.ErrBadClientSecret) {
			t.Fatalf("an allowed origin with a wrong secret: %v", err)
		}
	})
}

// Revocation shares the rule (RFC 7009 from a browser): CheckOrigin runs between client
// authentication and Revoke.
func TestCheckOrigin(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	for _, tc := range []struct {
		name   string
		client *models.Client
		origin string
		want   error
	}{
		{"no Origin header: a server", f.web, "", nil},
		{"the issuer's own pages", f.machine, issuer, nil},
		{"the issuer with its default port is the same origin", f.machine, "https://auth.example.test", nil},
		{"a redirect URI's origin", f.web, "https://app.example.test", nil},
		{"another origin", f.web, "https://multi.example.test", oauth.ErrOriginNotAllowed},
		{"a native client's loopback redirect (no port: port 80)", f.native, "http://127.0.0.1", nil},
		{"machine", f.machine, "https://app.example.test", oauth.ErrOriginNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := f.srv.CheckOrigin(tc.client, tc.origin); !errors.Is(err, tc.want) {
				t.Fatalf("CheckOrigin(%q) = %v, want %v", tc.origin, err, tc.want)
			}
		})
	}
}
