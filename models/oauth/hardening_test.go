package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// Regression tests for the findings of the hardening review (issue 8), each named by its
// finding and the RFC section it enforces.

// Finding 1, RFC 8252 §8.6 and RFC 6749 §10.2: a public client cannot prove it is the
// application the user allowed, so it is asked every time; a confidential one is not.
func TestConsentRememberedOnlyForConfidentialClients(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		params     oauth.AuthorizeParams
		wantNeeded bool
	}{
		{"confidential web client", oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect, ResponseType: "code"}, false},
		{"public native client, loopback", oauth.AuthorizeParams{ClientID: f.native.ID, RedirectURI: "http://127.0.0.1:4242/callback", ResponseType: "code",
			CodeChallenge: challenge, CodeChallengeMethod: oauth.MethodS256}, true},
		{"public native client, private-use scheme", oauth.AuthorizeParams{ClientID: f.native.ID, RedirectURI: nativePrivate, ResponseType: "code",
			CodeChallenge: challenge, CodeChallengeMethod: oauth.MethodS256}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.mustCode(t, tc.params) // the user allowed it once
			req, err := f.srv.ValidateAuthorize(ctx, tc.params)
			checkErr(t, err, nil)
			needed, fresh, err := f.srv.ConsentNeeded(ctx, req, f.user.ID)
			checkErr(t, err, nil)
			if needed != tc.wantNeeded || len(fresh) != 0 {
				t.Fatalf("second request: consent needed %v (fresh %v), want %v with nothing new", needed, fresh, tc.wantNeeded)
			}
		})
	}
}

// Finding 2: a disabled developer's clients stop at the token endpoint and their tokens stop
// at the resource server, at once, and both work again when the developer is enabled.
func TestDisabledOwnerStopsTheirClients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, store *models.Store) {
		ctx := context.Background()
		srv := mustServer(t, store, oauth.Config{Issuer: issuer})
		dev, err := store.CreateUser(ctx, "dev@example.test", password, false)
		checkErr(t, err, nil)
		if _, err := store.CreateUser(ctx, "admin@example.test", password, true); err != nil {
			t.Fatal(err)
		}
		machine, machineSecret, err := store.CreateClient(ctx, models.NewClient{OwnerID: &dev.ID, Name: "Sync", Type: models.ClientMachine, Scopes: []string{"INVOICE.READ"}})
		checkErr(t, err, nil)
		web, webSecret, err := store.CreateClient(ctx, models.NewClient{OwnerID: &dev.ID, Name: "Shop", Type: models.ClientWeb, RedirectURIs: []string{webRedirect}, Scopes: []string{"INVOICE.READ"}})
		checkErr(t, err, nil)
		cc := oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: machine.ID, ClientSecret: machineSecret}
		before, err := srv.Token(ctx, cc)
		checkErr(t, err, nil)

		checkErr(t, store.SetUserDisabled(ctx, dev.ID, true), nil)
		_, err = srv.Token(ctx, cc)
		checkErr(t, err, oauth.ErrClientDisabled)
		_, err = srv.ValidateAccessToken(ctx, before.AccessToken)
		checkErr(t, err, oauth.ErrInvalidToken)
		_, err = srv.AuthenticateClient(ctx, web.ID, webSecret)
		checkErr(t, err, oauth.ErrClientDisabled)
		_, err = srv.ValidateAuthorize(ctx, oauth.AuthorizeParams{ClientID: web.ID, RedirectURI: webRedirect, ResponseType: "code"})
		checkErr(t, err, oauth.ErrClientDisabled)

		checkErr(t, store.SetUserDisabled(ctx, dev.ID, false), nil)
		_, err = srv.Token(ctx, cc)
		checkErr(t, err, nil)
		_, err = srv.ValidateAccessToken(ctx, before.AccessToken)
		checkErr(t, err, nil)
	})
}

// Finding 5, RFC 6749 §4.1.2 and §10.5: a code issued before the user revoked the application,
// or before they were disabled, redeems into nothing.
func TestCodesDieWithTheirConsent(t *testing.T) {
	ctx := context.Background()
	for name, end := range map[string]func(f *fixture) error{
		"revoke access": func(f *fixture) error { return f.store.RevokeConsent(ctx, f.user.ID, f.web.ID) },
		"disable user":  func(f *fixture) error { return f.store.SetUserDisabled(ctx, f.user.ID, true) },
	} {
		t.Run(name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, store *models.Store) {
				f := mustFixture(t, store)
				code := f.mustCode(t, oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect})
				checkErr(t, end(f), nil)
				_, err := f.srv.Token(ctx, f.webCodeRequest(code))
				checkErr(t, err, oauth.ErrInvalidGrant)
			})
		})
	}
}

// Finding 5: the exchange itself re-checks the consent and the user, so a code that escaped the
// clean-up (issued while the revocation ran) is refused too.
func TestCodeExchangeRechecksConsent(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	code := f.mustCodeRow(t, time.Now().Add(time.Minute)) // a code with no consent behind it
	_, err := f.srv.Token(ctx, f.webCodeRequest(code))
	checkErr(t, err, oauth.ErrInvalidGrant, oauth.ErrCodeReused)

	checkErr(t, f.store.SaveConsent(ctx, f.user.ID, f.web.ID, []string{"INVOICE.READ"}), nil)
	code = f.mustCodeRow(t, time.Now().Add(time.Minute))
	_, err = f.srv.Token(ctx, f.webCodeRequest(code))
	checkErr(t, err, nil)
}

// Finding 6, RFC 6749 §3.3: without scope, the default is the client's registered scopes that
// are still in the catalog; retiring one of them must not break the client.
func TestDefaultScopeSkipsRetiredScopes(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	if err := f.store.RetireScope(ctx, machineScopeOne); err != nil {
		t.Fatal(err)
	}
	f.srv.ForgetCatalog()
	resp, err := f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: f.machine.ID, ClientSecret: f.machineSecret})
	checkErr(t, err, nil)
	if !slices.Equal(resp.Scope, []string{machineScopeTwo}) {
		t.Fatalf("scope %v, want only the live %s", resp.Scope, machineScopeTwo)
	}
	// The native client registered INVOICE.READ and EWALLET.READ.
	req, err := f.srv.ValidateAuthorize(ctx, oauth.AuthorizeParams{ClientID: f.native.ID, RedirectURI: nativePrivate, ResponseType: "code",
		CodeChallenge: challenge, CodeChallengeMethod: oauth.MethodS256})
	checkErr(t, err, nil)
	if got := scopesOf(req); !slices.Equal(got, []string{"EWALLET.READ"}) {
		t.Fatalf("authorization default scope %v, want the live [EWALLET.READ]", got)
	}
	// Every registered scope retired: a clear invalid_scope, not a server error.
	if err := f.store.RetireScope(ctx, machineScopeTwo); err != nil {
		t.Fatal(err)
	}
	f.srv.ForgetCatalog()
	_, err = f.srv.Token(ctx, oauth.TokenRequest{GrantType: oauth.GrantClientCredentials, ClientID: f.machine.ID, ClientSecret: f.machineSecret})
	checkErr(t, err, oauth.ErrInvalidScope)
}

// Finding 10, RFC 6749 §3.1: a repeated parameter is refused; a repeated client_id or
// redirect_uri cannot be trusted, so it is shown (nil request), never redirected.
func TestRepeatedAuthorizationParameters(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	for _, tc := range []struct {
		repeated  string
		redirects bool
	}{
		{"client_id", false}, {"redirect_uri", false}, {"scope", true}, {"state", true}, {"code_challenge", true}, {"response_type", true},
	} {
		t.Run(tc.repeated, func(t *testing.T) {
			req, err := f.srv.ValidateAuthorize(ctx, oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect, ResponseType: "code", Repeated: []string{tc.repeated}})
			checkErr(t, err, oauth.ErrInvalidRequest)
			if (req != nil) != tc.redirects {
				t.Fatalf("request returned %v, want redirectable %v", req != nil, tc.redirects)
			}
		})
	}
}

// Finding 13, RFC 9700 §4.11.2: errors go to the redirect URI without interaction only for a
// signed-in user who allowed the application before.
func TestTrustsRedirect(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	req, err := f.srv.ValidateAuthorize(ctx, oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect, ResponseType: "code"})
	checkErr(t, err, nil)
	check := func(userID int64, want bool) {
		t.Helper()
		got, err := f.srv.TrustsRedirect(ctx, req, userID)
		checkErr(t, err, nil)
		if got != want {
			t.Fatalf("TrustsRedirect(user %d) = %v, want %v", userID, got, want)
		}
	}
	check(0, false)
	check(f.user.ID, false)
	f.mustCode(t, oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect})
	check(f.user.ID, true)
	check(0, false)
}

// Finding 7 (bounded input) at the authorization endpoint: a parameter over the documented size
// is invalid_request, shown on a page when it is client_id or redirect_uri.
func TestAuthorizationParameterSizes(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	long := strings.Repeat("a", models.MaxProtocolParamLength+1)
	req, err := f.srv.ValidateAuthorize(ctx, oauth.AuthorizeParams{ClientID: f.web.ID, RedirectURI: webRedirect, ResponseType: "code", TooLong: "state"})
	checkErr(t, err, oauth.ErrInvalidRequest)
	if req == nil {
		t.Fatal("a long state is not reported to the client")
	}
	req, err = f.srv.ValidateAuthorize(ctx, oauth.AuthorizeParams{ClientID: long, ResponseType: "code"})
	checkErr(t, err, oauth.ErrInvalidRequest)
	if req != nil {
		t.Fatal("a long client_id was trusted")
	}
}

// ParseScope de-duplicates in one pass and keeps the first occurrence's order.
func TestParseScopeLarge(t *testing.T) {
	var b strings.Builder
	for i := range 100000 {
		fmt.Fprintf(&b, "s%d s%d ", i%1000, i%7)
	}
	got := oauth.ParseScope(b.String())
	if len(got) != 1000 || got[0] != "s0" || got[1] != "s1" || got[999] != "s999" {
		t.Fatalf("ParseScope kept %d names, first %v", len(got), got[:3])
	}
}

// The JSON array form of the scopes parameter holds one name per element (RFC 6749 §3.3 scope
// tokens contain no spaces); an element with a space or an empty one is a malformed request.
func TestParseScopesParamElements(t *testing.T) {
	for in, wantErr := range map[string]bool{
		`["INVOICE.READ","INVOICE.WRITE"]`: false,
		`["INVOICE.READ INVOICE.WRITE"]`:   true,
		`[""]`:                             true,
		`["A\tB"]`:                         true,
		`[1]`:                              true,
	} {
		_, err := oauth.ParseScopesParam(in)
		if wantErr && !errors.Is(err, oauth.ErrInvalidRequest) || !wantErr && err != nil {
			t.Errorf("ParseScopesParam(%s) = %v, want error %v", in, err, wantErr)
		}
	}
}
