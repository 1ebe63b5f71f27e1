package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

const managePath = "/oauth/register/"

func publicMetadata() oauth.ClientMetadata {
	return oauth.ClientMetadata{ClientName: "Agent", RedirectURIs: []string{"http://127.0.0.1:8123/callback"},
		TokenEndpointAuthMethod: "none", GrantTypes: []string{"authorization_code"}, Scope: "INVOICE.READ"}
}

// RFC 7591 §2 and §3.2.2: each metadata rule of registration, checked with the portal's rules,
// refused with the RFC's error code.
func TestRegisterValidatesMetadata(t *testing.T) {
	store := storetest.SQLite(t)
	srv := mustServer(t, store, oauth.Config{Issuer: issuer})
	ctx := context.Background()
	if err := store.CreateScope(ctx, "PAYOUT.WRITE", "Send money", true); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		policy string
		edit   func(*oauth.ClientMetadata)
		want   error // nil: registered
		typ    models.ClientType
	}{
		{"public client", models.DCROpen, func(*oauth.ClientMetadata) {}, nil, models.ClientNative},
		{"open defaults to none", models.DCROpen, func(m *oauth.ClientMetadata) { m.TokenEndpointAuthMethod = "" }, nil, models.ClientNative},
		{"private-use scheme for a public client", models.DCROpen, func(m *oauth.ClientMetadata) { m.RedirectURIs = []string{"com.example.agent:/cb"} }, nil, models.ClientNative},
		{"confidential under token", models.DCRToken, func(m *oauth.ClientMetadata) {
			m.TokenEndpointAuthMethod = "client_secret_post"
			m.RedirectURIs = []string{"https://agent.example/cb"}
		}, nil, models.ClientWeb},
		{"token defaults to client_secret_basic", models.DCRToken, func(m *oauth.ClientMetadata) {
			m.TokenEndpointAuthMethod = ""
			m.RedirectURIs = []string{"https://agent.example/cb"}
		}, nil, models.ClientWeb},
		{"machine under token", models.DCRToken, func(m *oauth.ClientMetadata) {
			m.TokenEndpointAuthMethod, m.GrantTypes, m.RedirectURIs = "client_secret_basic", []string{"client_credentials"}, nil
		}, nil, models.ClientMachine},
		{"scope omitted gets non-sensitive ones", models.DCROpen, func(m *oauth.ClientMetadata) { m.Scope = "" }, nil, models.ClientNative},

		{"open refuses a secret", models.DCROpen, func(m *oauth.ClientMetadata) { m.TokenEndpointAuthMethod = "client_secret_basic" }, oauth.ErrInvalidClientMetadata, ""},
		{"unknown auth method", models.DCRToken, func(m *oauth.ClientMetadata) { m.TokenEndpointAuthMethod = "private_key_jwt" }, oauth.ErrInvalidClientMetadata, ""},
		{"http redirect on a public host", models.DCROpen, func(m *oauth.ClientMetadata) { m.RedirectURIs = []string{"http://agent.example/cb"} }, oauth.ErrInvalidRedirectURIMetadata, ""},
		{"fragment in redirect", models.DCROpen, func(m *oauth.ClientMetadata) { m.RedirectURIs = []string{"https://agent.example/cb#x"} }, oauth.ErrInvalidRedirectURIMetadata, ""},
		{"no redirect", models.DCROpen, func(m *oauth.ClientMetadata) { m.RedirectURIs = nil }, oauth.ErrInvalidRedirectURIMetadata, ""},
		{"private-use scheme for a web client", models.DCRToken, func(m *oauth.ClientMetadata) {
			m.TokenEndpointAuthMethod, m.RedirectURIs = "client_secret_basic", []string{"com.example.agent:/cb"}
		}, oauth.ErrInvalidRedirectURIMetadata, ""},
		{"bad post-logout URI", models.DCROpen, func(m *oauth.ClientMetadata) { m.PostLogoutRedirectURIs = []string{"javascript:alert(1)"} }, oauth.ErrInvalidRedirectURIMetadata, ""},
		{"machine with redirect", models.DCRToken, func(m *oauth.ClientMetadata) {
			m.TokenEndpointAuthMethod, m.GrantTypes = "client_secret_basic", []string{"client_credentials"}
		}, oauth.ErrInvalidRedirectURIMetadata, ""},
		{"client_credentials public", models.DCRToken, func(m *oauth.ClientMetadata) { m.GrantTypes, m.RedirectURIs = []string{"client_credentials"}, nil }, oauth.ErrInvalidClientMetadata, ""},
		{"client_credentials with code", models.DCRToken, func(m *oauth.ClientMetadata) {
			m.TokenEndpointAuthMethod, m.GrantTypes = "client_secret_basic", []string{"client_credentials", "authorization_code"}
		}, oauth.ErrInvalidClientMetadata, ""},
		{"refresh without code", models.DCROpen, func(m *oauth.ClientMetadata) { m.GrantTypes = []string{"refresh_token"} }, oauth.ErrInvalidClientMetadata, ""},
		{"implicit grant", models.DCROpen, func(m *oauth.ClientMetadata) { m.GrantTypes = []string{"implicit"} }, oauth.ErrInvalidClientMetadata, ""},
		{"token response type", models.DCROpen, func(m *oauth.ClientMetadata) { m.ResponseTypes = []string{"token"} }, oauth.ErrInvalidClientMetadata, ""},
		{"no name", models.DCROpen, func(m *oauth.ClientMetadata) { m.ClientName = "  " }, oauth.ErrInvalidClientMetadata, ""},
		{"long name", models.DCROpen, func(m *oauth.ClientMetadata) { m.ClientName = string(make([]byte, models.MaxAppNameLength+1)) + "x" }, oauth.ErrInvalidClientMetadata, ""},
		{"http logo", models.DCROpen, func(m *oauth.ClientMetadata) { m.LogoURI = "http://agent.example/logo.png" }, oauth.ErrInvalidClientMetadata, ""},
		{"tos not a URL", models.DCROpen, func(m *oauth.ClientMetadata) { m.TOSURI = "terms" }, oauth.ErrInvalidClientMetadata, ""},
		{"policy with user info", models.DCROpen, func(m *oauth.ClientMetadata) { m.PolicyURI = "https://a:b@agent.example/p" }, oauth.ErrInvalidClientMetadata, ""},
		{"client_uri javascript", models.DCROpen, func(m *oauth.ClientMetadata) { m.ClientURI = "javascript:alert(1)" }, oauth.ErrInvalidClientMetadata, ""},
		{"unknown scope", models.DCROpen, func(m *oauth.ClientMetadata) { m.Scope = "NOPE.READ" }, oauth.ErrInvalidClientMetadata, ""},
		{"sensitive scope", models.DCROpen, func(m *oauth.ClientMetadata) { m.Scope = "PAYOUT.WRITE" }, oauth.ErrInvalidClientMetadata, ""},
		{"machine with openid", models.DCRToken, func(m *oauth.ClientMetadata) {
			m.TokenEndpointAuthMethod, m.GrantTypes, m.RedirectURIs, m.Scope = "client_secret_basic", []string{"client_credentials"}, nil, "openid INVOICE.READ"
		}, oauth.ErrInvalidClientMetadata, ""},
		{"id token alg", models.DCROpen, func(m *oauth.ClientMetadata) { m.IDTokenSignedResponseAlg = "none" }, oauth.ErrInvalidClientMetadata, ""},
		{"software statement", models.DCROpen, func(m *oauth.ClientMetadata) { m.SoftwareStatement = "eyJ.eyJ.sig" }, oauth.ErrInvalidSoftwareStatement, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			md := publicMetadata()
			tc.edit(&md)
			iat := ""
			if tc.policy == models.DCRToken {
				_, tok, err := store.CreateRegistrationToken(ctx, time.Hour, 1, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				iat = tok
			}
			resp, err := srv.Register(ctx, oauth.RegisterRequest{Policy: tc.policy, InitialAccessToken: iat, IP: fmt.Sprintf("192.0.2.%d", i), Metadata: md, ManagePath: managePath})
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, err := store.DynamicClient(ctx, resp.ClientID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Type != tc.typ || c.OwnerID != nil || !c.Dynamic || c.RegistrationPolicy != tc.policy {
				t.Fatalf("client %+v, want type %s, no owner, dynamic", c, tc.typ)
			}
			if (resp.ClientSecret != "") != tc.typ.Confidential() || resp.RegistrationAccessToken == "" || resp.RegistrationClientURI != issuer+managePath+c.ID {
				t.Fatalf("response %+v", resp)
			}
			if len(c.Scopes) == 0 || slicesContain(c.Scopes, "PAYOUT.WRITE") {
				t.Fatalf("scopes %v", c.Scopes)
			}
		})
	}
}

func slicesContain(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// RFC 7592 §2: read, update and delete need the registration access token (a wrong one fails,
// compared in constant time); a suspended client can no longer update or delete; an update
// cannot change the client's kind; RFC 7591 §3: the token policy needs an initial access token.
func TestRegistrationManagement(t *testing.T) {
	store := storetest.SQLite(t)
	srv := mustServer(t, store, oauth.Config{Issuer: issuer})
	ctx := context.Background()
	if _, err := srv.Register(ctx, oauth.RegisterRequest{Policy: models.DCRToken, Metadata: publicMetadata(), ManagePath: managePath}); !errors.Is(err, oauth.ErrRegistrationToken) {
		t.Fatalf("token policy without a token: %v", err)
	}
	if _, err := srv.Register(ctx, oauth.RegisterRequest{Policy: models.DCRToken, InitialAccessToken: "dpi_wrong", Metadata: publicMetadata(), ManagePath: managePath}); !errors.Is(err, oauth.ErrRegistrationToken) {
		t.Fatalf("token policy with a wrong token: %v", err)
	}
	resp, err := srv.Register(ctx, oauth.RegisterRequest{Policy: models.DCROpen, IP: "192.0.2.9", Metadata: publicMetadata(), ManagePath: managePath})
	if err != nil {
		t.Fatal(err)
	}
	id, tok := resp.ClientID, resp.RegistrationAccessToken
	wrong := tok[:len(tok)-1] + string(tok[len(tok)-1]^1)
	for name, bad := range map[string]string{"wrong": wrong, "empty": "", "another client's": "dpr_x"} {
		if _, err := srv.ReadRegistration(ctx, id, bad, managePath); !errors.Is(err, oauth.ErrRegistrationToken) {
			t.Errorf("read with %s token: %v", name, err)
		}
	}
	if _, err := srv.ReadRegistration(ctx, "dp_unknown", tok, managePath); !errors.Is(err, oauth.ErrRegistrationToken) {
		t.Errorf("read of an unknown client: %v", err)
	}
	got, err := srv.ReadRegistration(ctx, id, tok, managePath)
	if err != nil || got.ClientName != "Agent" || got.TokenEndpointAuthMethod != "none" || got.RegistrationAccessToken != "" {
		t.Fatalf("read: %+v %v", got, err)
	}

	upd := oauth.RegistrationUpdate{ClientMetadata: publicMetadata(), ClientID: id}
	upd.ClientName = "Agent v2"
	upd.LogoURI = "https://agent.example/logo.png"
	if _, err := srv.UpdateRegistration(ctx, id, wrong, models.DCROpen, upd, managePath); !errors.Is(err, oauth.ErrRegistrationToken) {
		t.Fatalf("update with a wrong token: %v", err)
	}
	got, err = srv.UpdateRegistration(ctx, id, tok, models.DCROpen, upd, managePath)
	if err != nil || got.ClientName != "Agent v2" || got.LogoURI != upd.LogoURI {
		t.Fatalf("update: %+v %v", got, err)
	}
	bad := upd
	bad.RedirectURIs = []string{"http://evil.example/cb"}
	if _, err := srv.UpdateRegistration(ctx, id, tok, models.DCROpen, bad, managePath); !errors.Is(err, oauth.ErrInvalidRedirectURIMetadata) {
		t.Fatalf("update with a bad redirect: %v", err)
	}
	other := upd
	other.ClientID = "dp_other"
	if _, err := srv.UpdateRegistration(ctx, id, tok, models.DCROpen, other, managePath); !errors.Is(err, oauth.ErrInvalidRequest) {
		t.Fatalf("update naming another client: %v", err)
	}
	kind := upd
	kind.TokenEndpointAuthMethod, kind.RedirectURIs = "client_secret_basic", []string{"https://agent.example/cb"}
	if _, err := srv.UpdateRegistration(ctx, id, tok, models.DCRToken, kind, managePath); !errors.Is(err, oauth.ErrInvalidClientMetadata) {
		t.Fatalf("update changing the kind: %v", err)
	}

	if err := store.SetClientStatus(ctx, id, models.ClientSuspended); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.UpdateRegistration(ctx, id, tok, models.DCROpen, upd, managePath); !errors.Is(err, oauth.ErrRegistrationToken) {
		t.Fatalf("update of a suspended client: %v", err)
	}
	if err := srv.DeleteRegistration(ctx, id, tok); !errors.Is(err, oauth.ErrRegistrationToken) {
		t.Fatalf("delete of a suspended client: %v", err)
	}
	if err := store.SetClientStatus(ctx, id, models.ClientActive); err != nil {
		t.Fatal(err)
	}
	if err := srv.DeleteRegistration(ctx, id, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ClientByID(ctx, id); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("deleted client still there: %v", err)
	}
	for _, typ := range []string{models.AuditClientRegistered, models.AuditClientRegUpdated, models.AuditClientRegDeleted} {
		if evs := mustAuditOf(t, store, typ, id); len(evs) != 1 {
			t.Errorf("%s audited %d times", typ, len(evs))
		}
	}
}

// Issue 15: open registration is rate-limited per IP address, in the database.
func TestOpenRegistrationThrottledPerIP(t *testing.T) {
	store := storetest.SQLite(t)
	srv := mustServer(t, store, oauth.Config{Issuer: issuer})
	ctx := context.Background()
	for i := range models.RegisterIPMax {
		if _, err := srv.Register(ctx, oauth.RegisterRequest{Policy: models.DCROpen, IP: "198.51.100.7", Metadata: publicMetadata(), ManagePath: managePath}); err != nil {
			t.Fatalf("registration %d: %v", i, err)
		}
	}
	_, err := srv.Register(ctx, oauth.RegisterRequest{Policy: models.DCROpen, IP: "198.51.100.7", Metadata: publicMetadata(), ManagePath: managePath})
	var te *models.ThrottleError
	if !errors.As(err, &te) || te.RetryAfter <= 0 {
		t.Fatalf("registration over the limit: %v", err)
	}
	if _, err := srv.Register(ctx, oauth.RegisterRequest{Policy: models.DCROpen, IP: "198.51.100.8", Metadata: publicMetadata(), ManagePath: managePath}); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

// RFC 8414 §2: registration_endpoint is advertised exactly when a registration path is given.
func TestMetadataRegistrationEndpoint(t *testing.T) {
	srv := mustServer(t, storetest.SQLite(t), oauth.Config{Issuer: issuer})
	md, err := srv.Metadata(context.Background(), map[string]string{})
	if err != nil || md.RegistrationEndpoint != "" {
		t.Fatalf("without DCR: %q %v", md.RegistrationEndpoint, err)
	}
	md, err = srv.Metadata(context.Background(), map[string]string{"registration": "/oauth/register"})
	if err != nil || md.RegistrationEndpoint != issuer+"/oauth/register" {
		t.Fatalf("with DCR: %q %v", md.RegistrationEndpoint, err)
	}
}
