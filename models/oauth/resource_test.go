package oauth_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

const (
	sampleAPI  = issuer + "/api/v1"
	billingAPI = "https://billing.example.test/v2"
)

// resourceFixture is the fixture plus a second API, Billing, with scopes PAYOUT.READ and
// PAYOUT.WRITE and a 5-minute token lifetime, and clients with scopes of both APIs.
type resourceFixture struct {
	*fixture
	billing             *models.API
	mixed               *models.Client // web: openid, offline_access, INVOICE.READ, PAYOUT.READ
	mixedSecret         string
	both, invoices      *models.Client // machine: INVOICE.READ PAYOUT.READ; INVOICE.READ only
	bothSecret, invSecr string
}

func mustResourceFixture(t *testing.T, store *models.Store) *resourceFixture {
	t.Helper()
	ctx := context.Background()
	f := &resourceFixture{fixture: mustFixture(t, store)}
	ttl := int64(300)
	f.billing = &models.API{Name: "Billing", Identifier: billingAPI, AccessTTLSeconds: &ttl}
	if err := store.CreateAPI(ctx, f.billing); err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"PAYOUT.READ", "PAYOUT.WRITE"} {
		if err := store.CreateScopeIn(ctx, f.billing.ID, sc, "Payouts", false); err != nil {
			t.Fatal(err)
		}
	}
	f.mixed, f.mixedSecret = mustClient(t, store, models.ClientWeb, []string{webRedirect}, "openid", "offline_access", "INVOICE.READ", "PAYOUT.READ")
	f.both, f.bothSecret = mustClient(t, store, models.ClientMachine, nil, "INVOICE.READ", "PAYOUT.READ")
	f.invoices, f.invSecr = mustClient(t, store, models.ClientMachine, nil, "INVOICE.READ")
	f.srv.ForgetCatalog()
	return f
}

func (f *resourceFixture) machine(c *models.Client, sec string, scope []string, resource ...string) oauth.TokenRequest {
	return oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: c.ID, ClientSecret: sec, Scope: scope, Resource: resource}
}

// mixedCode authorizes the mixed client for scope and resource and returns the code.
func (f *resourceFixture) mixedCode(t *testing.T, scope []string, resource ...string) string {
	t.Helper()
	return f.mustCode(t, oauth.AuthorizeParams{ClientID: f.mixed.ID, RedirectURI: webRedirect, Scope: scope, Resource: resource})
}

func (f *resourceFixture) mixedExchange(code string, resource ...string) oauth.TokenRequest {
	return oauth.TokenRequest{GrantType: oauth.GrantAuthorizationCode, Code: code, RedirectURI: webRedirect, ClientID: f.mixed.ID, ClientSecret: f.mixedSecret, Resource: resource}
}

func (f *resourceFixture) mixedRefresh(refresh string, scope []string, resource ...string) oauth.TokenRequest {
	return oauth.TokenRequest{GrantType: oauth.GrantRefreshToken, RefreshToken: refresh, ClientID: f.mixed.ID, ClientSecret: f.mixedSecret, Scope: scope, Resource: resource}
}

// mustAud returns the aud and scope of an access token, verified with the JWKS.
func mustAud(t *testing.T, srv *oauth.Server, token string) ([]string, string) {
	t.Helper()
	c, _ := mustAccessClaims(t, srv, token, jose.ES256)
	return c.Audience, c.Scope
}

// RFC 8707 §2 at the token endpoint for client credentials: the token's aud is the resource;
// the scopes must belong to it; an unknown, malformed or unauthorised resource, or several, is
// invalid_target. Without a resource, the scopes decide the audience (one API: its identifier;
// several: the issuer). The API's lifetime applies.
func TestClientCredentialsResource(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		f := mustResourceFixture(t, store)
		for _, tc := range []struct {
			name     string
			req      oauth.TokenRequest
			aud      string
			scope    string
			ttl      int64
			want     error
			wantNone bool
		}{
			{"no resource, one API's scope: that API", f.machine(f.both, f.bothSecret, []string{"INVOICE.READ"}), sampleAPI, "INVOICE.READ", 900, nil, false},
			{"no resource, the other API's scope: its lifetime too", f.machine(f.both, f.bothSecret, []string{"PAYOUT.READ"}), billingAPI, "PAYOUT.READ", 300, nil, false},
			{"no resource, scopes of two APIs: the issuer, as before APIs", f.machine(f.both, f.bothSecret, nil), issuer, "INVOICE.READ PAYOUT.READ", 900, nil, false},
			{"§2 resource without scope: the client's scopes of that API", f.machine(f.both, f.bothSecret, nil, billingAPI), billingAPI, "PAYOUT.READ", 300, nil, false},
			{"§2 resource and its scope", f.machine(f.both, f.bothSecret, []string{"INVOICE.READ"}, sampleAPI), sampleAPI, "INVOICE.READ", 900, nil, false},
			{"a scope of another API than the resource: invalid_scope", f.machine(f.both, f.bothSecret, []string{"INVOICE.READ"}, billingAPI), "", "", 0, oauth.ErrInvalidScope, false},
			{"a scope of each API with one resource: invalid_scope", f.machine(f.both, f.bothSecret, []string{"INVOICE.READ", "PAYOUT.READ"}, billingAPI), "", "", 0, oauth.ErrInvalidScope, false},
			{"§2 unknown resource: invalid_target", f.machine(f.both, f.bothSecret, nil, "https://unknown.example.test/"), "", "", 0, oauth.ErrInvalidTarget, false},
			{"§2 resource differing by a trailing slash: invalid_target", f.machine(f.both, f.bothSecret, nil, billingAPI+"/"), "", "", 0, oauth.ErrInvalidTarget, false},
			{"§2 a client with no scope of the resource: invalid_target", f.machine(f.invoices, f.invSecr, nil, billingAPI), "", "", 0, oauth.ErrInvalidTarget, false},
			{"§2 several resources: invalid_target (one resource per token)", f.machine(f.both, f.bothSecret, nil, billingAPI, sampleAPI), "", "", 0, oauth.ErrInvalidTarget, false},
			{"§2 a fragment: invalid_target", f.machine(f.both, f.bothSecret, nil, billingAPI+"#x"), "", "", 0, oauth.ErrInvalidTarget, false},
			{"§2 a relative URI: invalid_target", f.machine(f.both, f.bothSecret, nil, "/api/v1"), "", "", 0, oauth.ErrInvalidTarget, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, err := f.srv.Token(context.Background(), tc.req)
				if tc.want != nil {
					if !errors.Is(err, tc.want) {
						t.Fatalf("Token = %v, want %v", err, tc.want)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				aud, scope := mustAud(t, f.srv, resp.AccessToken)
				if !slices.Equal(aud, []string{tc.aud}) || scope != tc.scope || resp.ExpiresIn != tc.ttl {
					t.Fatalf("aud %v scope %q expires_in %d; want [%s] %q %d", aud, scope, resp.ExpiresIn, tc.aud, tc.scope, tc.ttl)
				}
			})
		}
	})
}

// RFC 8707 §2.1 at the authorization endpoint: the resource is checked before the user sees
// anything and reported to the client as invalid_target; the resource is kept with the code, so
// its tokens are for that API and a token request naming another is invalid_target (§2.2).
func TestAuthorizeResource(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		f := mustResourceFixture(t, store)
		ctx := context.Background()
		for _, tc := range []struct {
			name     string
			scope    []string
			resource []string
			want     error
		}{
			{"unknown resource", []string{"PAYOUT.READ"}, []string{"https://unknown.example.test"}, oauth.ErrInvalidTarget},
			{"two resources", []string{"PAYOUT.READ"}, []string{billingAPI, sampleAPI}, oauth.ErrInvalidTarget},
			{"a scope of another API", []string{"INVOICE.READ"}, []string{billingAPI}, oauth.ErrInvalidScope},
			{"only OpenID scopes with a resource", []string{"openid"}, []string{billingAPI}, oauth.ErrInvalidScope},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req, err := f.srv.ValidateAuthorize(ctx, oauth.AuthorizeParams{ClientID: f.mixed.ID, RedirectURI: webRedirect, ResponseType: "code", Scope: tc.scope, Resource: tc.resource})
				if req == nil || !errors.Is(err, tc.want) {
					t.Fatalf("ValidateAuthorize = %v, %v; want %v sent to the client", req, err, tc.want)
				}
			})
		}

		t.Run("the resource is kept with the code and its grant", func(t *testing.T) {
			code := f.mixedCode(t, []string{"openid", "offline_access", "PAYOUT.READ"}, billingAPI)
			resp, err := f.srv.Token(ctx, f.mixedExchange(code))
			if err != nil {
				t.Fatal(err)
			}
			if aud, scope := mustAud(t, f.srv, resp.AccessToken); !slices.Equal(aud, []string{billingAPI}) || scope != "PAYOUT.READ offline_access openid" {
				t.Fatalf("aud %v scope %q, want [%s] PAYOUT.READ offline_access openid", aud, scope, billingAPI)
			}
			// The OpenID scope does not change aud, and a refresh stays with the grant's resource.
			again, err := f.srv.Token(ctx, f.mixedRefresh(resp.RefreshToken, []string{"openid"}))
			if err != nil {
				t.Fatal(err)
			}
			if aud, _ := mustAud(t, f.srv, again.AccessToken); !slices.Equal(aud, []string{billingAPI}) {
				t.Fatalf("refreshed aud %v, want the grant's resource %s", aud, billingAPI)
			}
			// §2.2: the refresh may not switch the grant to another resource.
			if _, err := f.srv.Token(ctx, f.mixedRefresh(again.RefreshToken, nil, sampleAPI)); !errors.Is(err, oauth.ErrInvalidTarget) {
				t.Fatalf("refresh for another resource = %v, want invalid_target", err)
			}
		})

		t.Run("§2.2 the grant stays with its resource when an admin moves its scope to another API", func(t *testing.T) {
			code := f.mixedCode(t, []string{"openid", "offline_access", "PAYOUT.READ"}, billingAPI)
			resp, err := f.srv.Token(ctx, f.mixedExchange(code))
			if err != nil {
				t.Fatal(err)
			}
			sample, err := store.APIByIdentifier(ctx, models.SampleAPIIdentifier)
			if err != nil {
				t.Fatal(err)
			}
			if err := store.SetScopeAPI(ctx, "PAYOUT.READ", sample.ID); err != nil {
				t.Fatal(err)
			}
			f.srv.ForgetCatalog()
			defer func() {
				if err := store.SetScopeAPI(ctx, "PAYOUT.READ", f.billing.ID); err != nil {
					t.Fatal(err)
				}
				f.srv.ForgetCatalog()
			}()
			if _, err := f.srv.Token(ctx, f.mixedRefresh(resp.RefreshToken, nil, sampleAPI)); !errors.Is(err, oauth.ErrInvalidTarget) {
				t.Fatalf("refresh for the API the scope moved to = %v, want invalid_target: the user authorized Billing", err)
			}
			again, err := f.srv.Token(ctx, f.mixedRefresh(resp.RefreshToken, nil))
			if err != nil {
				t.Fatal(err)
			}
			if aud, _ := mustAud(t, f.srv, again.AccessToken); !slices.Equal(aud, []string{billingAPI}) {
				t.Fatalf("aud %v, want the grant's resource %s", aud, billingAPI)
			}
		})

		t.Run("§2.2 a code exchange naming another resource than the authorization", func(t *testing.T) {
			code := f.mixedCode(t, []string{"PAYOUT.READ"}, billingAPI)
			if _, err := f.srv.Token(ctx, f.mixedExchange(code, sampleAPI)); !errors.Is(err, oauth.ErrInvalidTarget) {
				t.Fatalf("exchange = %v, want invalid_target", err)
			}
		})
	})
}

// RFC 8707 §2.2: a grant without a resource, spanning two APIs, gets an access token for the
// issuer, and each refresh (or the code exchange) may narrow to one API of the original grant,
// never to another; the refresh token keeps the whole grant.
func TestRefreshNarrowsToAResourceOfTheGrant(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		f := mustResourceFixture(t, store)
		ctx := context.Background()
		code := f.mixedCode(t, []string{"INVOICE.READ", "PAYOUT.READ"})
		first, err := f.srv.Token(ctx, f.mixedExchange(code, billingAPI))
		if err != nil {
			t.Fatal(err)
		}
		if aud, scope := mustAud(t, f.srv, first.AccessToken); !slices.Equal(aud, []string{billingAPI}) || scope != "PAYOUT.READ" {
			t.Fatalf("exchange narrowed to aud %v scope %q, want [%s] PAYOUT.READ", aud, scope, billingAPI)
		}
		refresh := first.RefreshToken
		// A registered API the grant has no scope of: the case below tests the grant rule, not
		// the unknown-resource one.
		if err := store.CreateAPI(ctx, &models.API{Name: "Other", Identifier: "https://other.example.test"}); err != nil {
			t.Fatal(err)
		}
		f.srv.ForgetCatalog()
		for _, tc := range []struct {
			name     string
			scope    []string
			resource []string
			aud      string
			want     error
		}{
			{"no resource: the whole grant, for the issuer", nil, nil, issuer, nil},
			{"narrowed to the sample API", nil, []string{sampleAPI}, sampleAPI, nil},
			{"narrowed to Billing with its scope", []string{"PAYOUT.READ"}, []string{billingAPI}, billingAPI, nil},
			{"a scope of the grant that is not the resource's", []string{"INVOICE.READ"}, []string{billingAPI}, "", oauth.ErrInvalidScope},
			{"a registered API the grant has no scope of", nil, []string{"https://other.example.test"}, "", oauth.ErrInvalidTarget},
			{"several resources", nil, []string{billingAPI, sampleAPI}, "", oauth.ErrInvalidTarget},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, err := f.srv.Token(ctx, f.mixedRefresh(refresh, tc.scope, tc.resource...))
				if tc.want != nil {
					if !errors.Is(err, tc.want) {
						t.Fatalf("refresh = %v, want %v", err, tc.want)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				refresh = resp.RefreshToken
				if aud, _ := mustAud(t, f.srv, resp.AccessToken); !slices.Equal(aud, []string{tc.aud}) {
					t.Fatalf("aud %v, want [%s]", aud, tc.aud)
				}
			})
		}
	})
}

// RFC 7662 §2.2 and RFC 9068: introspection reports the token's aud, the resource it was
// minted for, and a token for a registered API is active.
func TestIntrospectionReportsTheResource(t *testing.T) {
	f := mustResourceFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	resp, err := f.srv.Token(ctx, f.machine(f.both, f.bothSecret, nil, billingAPI))
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.srv.Introspect(ctx, f.both, resp.AccessToken)
	if err != nil || !got.Active || !slices.Equal(got.Aud, []string{billingAPI}) {
		t.Fatalf("Introspect = %+v, %v; want active with aud [%s]", got, err, billingAPI)
	}
	// A refresh token answers the audience of its grant's access tokens: the resource it was
	// authorized for.
	code := f.mixedCode(t, []string{"offline_access", "openid", "PAYOUT.READ"}, billingAPI)
	tokens, err := f.srv.Token(ctx, f.mixedExchange(code))
	if err != nil {
		t.Fatal(err)
	}
	got, err = f.srv.Introspect(ctx, f.mixed, tokens.RefreshToken)
	if err != nil || !got.Active || !slices.Equal(got.Aud, []string{billingAPI}) {
		t.Fatalf("Introspect(refresh token) = %+v, %v; want active with aud [%s]", got, err, billingAPI)
	}
}

// The sample API's identifier is stored relative to the issuer, so it is right after
// DEVPORTAL_ISSUER changes: two servers with different issuers over one database each mint
// tokens for their own {issuer}/api/v1, and serve its RFC 9728 document.
func TestSampleAPIFollowsTheIssuer(t *testing.T) {
	store := storetest.SQLite(t)
	f := mustFixture(t, store)
	ctx := context.Background()
	for _, iss := range []string{issuer, "https://portal.example.test"} {
		srv := mustServer(t, store, oauth.Config{Issuer: iss})
		resp, err := srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: f.machine.ID, ClientSecret: f.machineSecret, Scope: []string{"INVOICE.READ"}, Resource: []string{iss + "/api/v1"}})
		if err != nil {
			t.Fatalf("%s: %v", iss, err)
		}
		if aud, _ := mustAud(t, srv, resp.AccessToken); !slices.Equal(aud, []string{iss + "/api/v1"}) {
			t.Errorf("issuer %s: aud %v, want [%s/api/v1]", iss, aud, iss)
		}
		md, err := srv.ProtectedResource(ctx, iss+"/api/v1")
		if err != nil || md.Resource != iss+"/api/v1" || !slices.Equal(md.AuthorizationServers, []string{iss}) {
			t.Errorf("issuer %s: metadata %+v, %v", iss, md, err)
		}
	}
}

// RFC 8707 §2: an API identifier (and so a resource) is an absolute URI without a fragment;
// devportal also refuses a query, so identifiers compare as plain strings.
func TestCheckResourceIdentifier(t *testing.T) {
	for _, tc := range []struct {
		uri string
		ok  bool
	}{
		{"https://api.example.com/v1", true},
		{"http://localhost:8080/api/v1", true},
		{"urn:example:billing", true},
		{"", false},
		{"/api/v1", false},
		{"api.example.com", false},
		{"https://api.example.com/#top", false},
		{"https://api.example.com/?v=1", false},
		{"https:///nohost", false},
		{"https://api.example.com/a b", false},
	} {
		if got := oauth.CheckResourceIdentifier(tc.uri) == ""; got != tc.ok {
			t.Errorf("CheckResourceIdentifier(%q) ok = %v, want %v", tc.uri, got, tc.ok)
		}
	}
	// Stored relative to the issuer only when under it, path boundary included.
	for uri, want := range map[string]string{
		issuer + "/api/v1":         models.IssuerMarker + "/api/v1",
		issuer:                     models.IssuerMarker,
		issuer + "x.example/api":   issuer + "x.example/api",
		"https://other.example/v1": "https://other.example/v1",
	} {
		if got := models.RelativeIdentifier(uri, issuer); got != want || models.ResolveIdentifier(got, issuer) != uri {
			t.Errorf("RelativeIdentifier(%q) = %q, want %q (and back)", uri, got, want)
		}
	}
}
