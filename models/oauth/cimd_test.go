package oauth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// Section numbers are draft-ietf-oauth-client-id-metadata-document-02's.

const cimdURL = "https://app.example.com/oauth/client.json"

func TestValidateClientIDURL(t *testing.T) {
	for _, tc := range []struct {
		name     string
		raw      string
		loopback bool
		ok       bool
	}{
		{"§3: https with a path", cimdURL, false, true},
		{"§3: a port is allowed", "https://app.example.com:8443/client", false, true},
		{"§3: a query is allowed (though discouraged)", "https://app.example.com/client?v=2", false, true},
		{"§3: http is refused", "http://app.example.com/client.json", false, false},
		{"§3: http is refused on loopback without the development flag", "http://127.0.0.1:8080/client.json", false, false},
		{"development flag: http on a loopback IP", "http://127.0.0.1:8080/client.json", true, true},
		{"development flag: http on another host stays refused", "http://app.example.com/client.json", true, false},
		{"§3: a path is required", "https://app.example.com", false, false},
		{"§3: a path beyond / is required", "https://app.example.com/", false, false},
		{"§3: no single-dot segment", "https://app.example.com/./client.json", false, false},
		{"§3: no double-dot segment", "https://app.example.com/a/../client.json", false, false},
		{"§3: no encoded double-dot segment", "https://app.example.com/a/%2e%2E/client.json", false, false},
		{"§3: a dot inside a segment is fine", "https://app.example.com/.well-known/client.json", false, true},
		{"§3: no fragment", "https://app.example.com/client.json#x", false, false},
		{"§3: no empty fragment", "https://app.example.com/client.json#", false, false},
		{"§3: no user name or password", "https://user:pw@app.example.com/client.json", false, false},
		{"§3: a host is required", "https:///client.json", false, false},
		{"not a URL", "https://app.example.com/a b", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := oauth.ValidateClientIDURL(tc.raw, tc.loopback)
			if tc.ok {
				checkErr(t, err, nil)
			} else {
				checkErr(t, err, oauth.ErrClientMetadata)
			}
		})
	}
}

func testCatalog() map[string]models.Scope {
	m := map[string]models.Scope{}
	for _, s := range []models.Scope{
		{Name: "INVOICE.READ"}, {Name: "INVOICE.WRITE", Sensitive: true}, {Name: "openid"}, {Name: "offline_access"},
	} {
		m[s.Name] = s
	}
	return m
}

func TestParseClientMetadata(t *testing.T) {
	doc := func(extra string) string {
		return `{"client_id":"` + cimdURL + `","client_name":"Example Agent","redirect_uris":["http://127.0.0.1/callback"]` + extra + `}`
	}
	for _, tc := range []struct {
		name string
		body string
		want string // a part of the error, "" for success
	}{
		{"§4: a minimal public client", doc(``), ""},
		{"§4: token_endpoint_auth_method none", doc(`,"token_endpoint_auth_method":"none"`), ""},
		{"§4: client_id must be present", `{"redirect_uris":["http://127.0.0.1/cb"]}`, "has no client_id"},
		{"§4: client_id must equal the URL exactly", strings.Replace(doc(``), cimdURL, "https://app.example.com/oauth/other.json", 1), "must be exactly the URL"},
		{"§4: client_id is compared without normalisation", strings.Replace(doc(``), cimdURL, "https://APP.example.com/oauth/client.json", 1), "must be exactly the URL"},
		{"§4: no client_secret", doc(`,"client_secret":"s3cret"`), "must not carry a secret"},
		{"§4: no client_secret_expires_at", doc(`,"client_secret_expires_at":0`), "must not carry a secret"},
		{"§4: no shared-secret authentication", doc(`,"token_endpoint_auth_method":"client_secret_basic"`), "shared secret"},
		{"§4: no client_secret_jwt", doc(`,"token_endpoint_auth_method":"client_secret_jwt"`), "shared secret"},
		{"private_key_jwt is not implemented here", doc(`,"token_endpoint_auth_method":"private_key_jwt"`), "does not support"},
		{"grant types: code and refresh only", doc(`,"grant_types":["authorization_code","client_credentials"]`), "client_credentials"},
		{"grant types: code is required", doc(`,"grant_types":["refresh_token"]`), "authorization_code"},
		{"response types: code only", doc(`,"response_types":["token"]`), "response type"},
		{"§8.1: redirect_uris are required", `{"client_id":"` + cimdURL + `"}`, "redirect_uris"},
		{"§8.1: redirect_uris follow the portal's rules", doc(`,"redirect_uris":["http://app.example.com/cb"]`), "redirect_uris"},
		{"logo_uri must be https", doc(`,"logo_uri":"http://cdn.example.com/logo.png"`), "logo_uri"},
		{"not JSON", `client_id=x`, "not a JSON object"},
		{"wrong type", `{"client_id":"` + cimdURL + `","redirect_uris":"http://127.0.0.1/cb"}`, "redirect_uris must be a list of strings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := oauth.ParseClientMetadata(cimdURL, []byte(tc.body), testCatalog())
			if tc.want == "" {
				checkErr(t, err, nil)
				if m.ID != cimdURL || m.Name != "Example Agent" || len(m.RedirectURIs) != 1 {
					t.Fatalf("client = %+v", m)
				}
				return
			}
			checkErr(t, err, oauth.ErrClientMetadata)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
	t.Run("scope keeps active, non-sensitive catalog scopes only", func(t *testing.T) {
		m, err := oauth.ParseClientMetadata(cimdURL, []byte(doc(`,"scope":"INVOICE.READ INVOICE.WRITE mcp:tools openid offline_access"`)), testCatalog())
		checkErr(t, err, nil)
		if got := strings.Join(m.Scopes, " "); got != "INVOICE.READ openid" {
			t.Fatalf("scopes = %q, want INVOICE.READ openid (sensitive, unknown and offline_access without refresh_token dropped)", got)
		}
	})
	t.Run("no scope: every non-sensitive scope; offline_access with refresh_token", func(t *testing.T) {
		m, err := oauth.ParseClientMetadata(cimdURL, []byte(doc(`,"grant_types":["authorization_code","refresh_token"]`)), testCatalog())
		checkErr(t, err, nil)
		if got := strings.Join(m.Scopes, " "); got != "INVOICE.READ offline_access openid" {
			t.Fatalf("scopes = %q", got)
		}
	})
	t.Run("no client_name: the URL's host", func(t *testing.T) {
		m, err := oauth.ParseClientMetadata(cimdURL, []byte(`{"client_id":"`+cimdURL+`","redirect_uris":["http://127.0.0.1/cb"]}`), testCatalog())
		checkErr(t, err, nil)
		if m.Name != "app.example.com" {
			t.Fatalf("name = %q", m.Name)
		}
	})
}

// §5.2: the freshness of HTTP caching, clamped to [MinMetadataCache, MaxMetadataCache].
func TestMetadataExpiry(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		f    oauth.FetchedMetadata
		want time.Duration
	}{
		{"no caching headers: the minimum", oauth.FetchedMetadata{}, oauth.MinMetadataCache},
		{"max-age within bounds", oauth.FetchedMetadata{MaxAge: time.Hour, HasMaxAge: true}, time.Hour},
		{"max-age=0: the minimum", oauth.FetchedMetadata{HasMaxAge: true}, oauth.MinMetadataCache},
		{"a year: the maximum", oauth.FetchedMetadata{MaxAge: 365 * 24 * time.Hour, HasMaxAge: true}, oauth.MaxMetadataCache},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := oauth.MetadataExpiry(now, &tc.f).Sub(now); got != tc.want {
				t.Fatalf("expiry after %v, want %v", got, tc.want)
			}
		})
	}
}

// fakeFetcher serves one document body (or an error) and counts the fetches.
type fakeFetcher struct {
	mu     sync.Mutex
	body   string
	maxAge time.Duration
	err    error
	calls  int
}

func (f *fakeFetcher) FetchClientMetadata(_ context.Context, url string) (*oauth.FetchedMetadata, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return &oauth.FetchedMetadata{Body: []byte(f.body), MaxAge: f.maxAge, HasMaxAge: f.maxAge > 0}, nil
}

func (f *fakeFetcher) set(body string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body, f.err = body, err
}

func (f *fakeFetcher) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

type cimdFixture struct {
	*fixture
	fetch *fakeFetcher
	clock *testClock
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const cimdDoc = `{"client_id":"` + cimdURL + `","client_name":"Example Agent","redirect_uris":["http://127.0.0.1/callback"],
	"grant_types":["authorization_code","refresh_token"],"token_endpoint_auth_method":"none","scope":"INVOICE.READ offline_access"}`

// mustCIMDFixture is the fixture with client ID metadata documents on, served by a fake
// fetcher, on a clock the test moves, with a client cache that would keep records for an hour.
func mustCIMDFixture(t *testing.T, store *models.Store) *cimdFixture {
	t.Helper()
	f := &cimdFixture{fixture: mustFixture(t, store), fetch: &fakeFetcher{body: cimdDoc, maxAge: 10 * time.Minute},
		clock: &testClock{t: time.Now().UTC()}}
	f.srv = f.server(t)
	return f
}

// server is another instance on the same database.
func (f *cimdFixture) server(t *testing.T) *oauth.Server {
	return mustServer(t, f.store, oauth.Config{Issuer: issuer, ClientMetadata: f.fetch, Now: f.clock.now, ClientCacheTTL: time.Hour})
}

func cimdAuthorize() oauth.AuthorizeParams {
	return oauth.AuthorizeParams{ClientID: cimdURL, ResponseType: "code", RedirectURI: "http://127.0.0.1/callback",
		Scope: []string{"INVOICE.READ", "offline_access"}, CodeChallenge: challenge, CodeChallengeMethod: oauth.MethodS256}
}

func (f *cimdFixture) mustCIMDTokens(t *testing.T) *oauth.TokenResponse {
	t.Helper()
	code := f.mustCode(t, cimdAuthorize())
	resp, err := f.srv.Token(context.Background(), oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: code,
		RedirectURI: "http://127.0.0.1/callback", CodeVerifier: verifier, ClientID: cimdURL})
	if err != nil {
		t.Fatalf("exchange code: %v", err)
	}
	if resp.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	return resp
}

func TestMetadataClientResolution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		t.Run("off: a URL client_id is refused without a fetch", func(t *testing.T) {
			fetch := &fakeFetcher{body: cimdDoc}
			srv := mustServer(t, store, oauth.Config{Issuer: issuer})
			_, err := srv.ValidateAuthorize(ctx, cimdAuthorize())
			checkErr(t, err, oauth.ErrMetadataOff)
			if fetch.count() != 0 {
				t.Fatal("fetched while off")
			}
		})

		f := mustCIMDFixture(t, store)
		t.Run("§5: the first authorization fetches the document and makes a public clients row", func(t *testing.T) {
			req, err := f.srv.ValidateAuthorize(ctx, cimdAuthorize())
			checkErr(t, err, nil)
			c := req.Client
			if c.ID != cimdURL || c.Type != models.ClientNative || !c.MetadataDocument || c.Name != "Example Agent" || c.MetadataExpiresAt == nil {
				t.Fatalf("client = %+v", c)
			}
			if f.fetch.count() != 1 {
				t.Fatalf("%d fetches, want 1", f.fetch.count())
			}
			events, err := store.AuditEvents(ctx, models.AuditFilter{Type: models.AuditMetadataClientSeen})
			checkErr(t, err, nil)
			if len(events) != 1 || events[0].Target != cimdURL {
				t.Fatalf("first-seen audit = %+v", events)
			}
		})
		t.Run("native rules hold: PKCE is required", func(t *testing.T) {
			p := cimdAuthorize()
			p.CodeChallenge, p.CodeChallengeMethod = "", ""
			req, err := f.srv.ValidateAuthorize(ctx, p)
			if req == nil {
				t.Fatalf("err = %v before the redirect URI was trusted", err)
			}
			checkErr(t, err, oauth.ErrInvalidRequest)
		})
		t.Run("§8.1: only the document's redirect URIs", func(t *testing.T) {
			p := cimdAuthorize()
			p.RedirectURI = "https://evil.example/cb"
			_, err := f.srv.ValidateAuthorize(ctx, p)
			checkErr(t, err, oauth.ErrInvalidRedirectURI)
		})
		t.Run("§5.2: another instance uses the stored document while it is fresh", func(t *testing.T) {
			other := f.server(t)
			_, err := other.ValidateAuthorize(ctx, cimdAuthorize())
			checkErr(t, err, nil)
			if f.fetch.count() != 1 {
				t.Fatalf("%d fetches, want still 1", f.fetch.count())
			}
		})
		t.Run("code + PKCE + refresh complete", func(t *testing.T) {
			tok := f.mustCIMDTokens(t)
			_, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: tok.RefreshToken, ClientID: cimdURL})
			checkErr(t, err, nil)
		})
		t.Run("§5.2: after expiry a failed fetch fails, even where the client cache would still hold it", func(t *testing.T) {
			tok := f.mustCIMDTokens(t) // the token endpoint's client cache now holds the record
			f.clock.add(11 * time.Minute)
			f.fetch.set("", errors.New("connection refused"))
			_, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: tok.RefreshToken, ClientID: cimdURL})
			checkErr(t, err, oauth.ErrClientMetadata)
			_, err = f.srv.ValidateAuthorize(ctx, cimdAuthorize())
			checkErr(t, err, oauth.ErrClientMetadata)
			f.fetch.set(cimdDoc, nil)
			_, err = f.srv.ValidateAuthorize(ctx, cimdAuthorize())
			checkErr(t, err, nil)
		})
		t.Run("§4: a changed document is refused once refetched", func(t *testing.T) {
			f.clock.add(11 * time.Minute)
			f.fetch.set(strings.Replace(cimdDoc, cimdURL, "https://app.example.com/other.json", 1), nil)
			_, err := f.srv.ValidateAuthorize(ctx, cimdAuthorize())
			checkErr(t, err, oauth.ErrClientMetadata)
			f.fetch.set(cimdDoc, nil)
		})
		t.Run("a blocked host is refused at authorize and for existing grants at the token endpoint", func(t *testing.T) {
			tok := f.mustCIMDTokens(t)
			checkErr(t, store.BlockHost(ctx, "APP.example.com", "abuse"), nil)
			_, err := f.srv.ValidateAuthorize(ctx, cimdAuthorize())
			checkErr(t, err, oauth.ErrClientHostBlocked)
			_, err = f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: tok.RefreshToken, ClientID: cimdURL})
			checkErr(t, err, oauth.ErrClientHostBlocked)
			checkErr(t, store.UnblockHost(ctx, "app.example.com", ""), nil)
			_, err = f.srv.ValidateAuthorize(ctx, cimdAuthorize())
			checkErr(t, err, nil)
		})
		t.Run("a suspended client stays refused, even after its document is due again", func(t *testing.T) {
			checkErr(t, store.SetClientStatus(ctx, cimdURL, models.ClientSuspended), nil)
			f.clock.add(time.Hour)
			before := f.fetch.count()
			_, err := f.srv.ValidateAuthorize(ctx, cimdAuthorize())
			checkErr(t, err, oauth.ErrClientDisabled)
			if f.fetch.count() != before {
				t.Fatal("a suspended client's document was fetched")
			}
			c, err := store.ClientByID(ctx, cimdURL)
			checkErr(t, err, nil)
			if c.Status != models.ClientSuspended {
				t.Fatalf("status = %s", c.Status)
			}
		})
	})
}

func TestMetadataAdvertised(t *testing.T) {
	store := storetest.SQLite(t)
	ctx := context.Background()
	for _, on := range []bool{false, true} {
		cfg := oauth.Config{Issuer: issuer}
		if on {
			cfg.ClientMetadata = &fakeFetcher{}
		}
		md, err := mustServer(t, store, cfg).Metadata(ctx, map[string]string{})
		checkErr(t, err, nil)
		if md.ClientIDMetadataDocumentSupported != on {
			t.Errorf("on=%v: client_id_metadata_document_supported = %v (§6: advertised only when supported)", on, md.ClientIDMetadataDocumentSupported)
		}
	}
}
