package oauth_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// Issue #10: the OpenID Connect scopes need a signed-in user (OIDC Core §3.1.2.1: openid asks
// for an ID Token about the End-User), so a machine-to-machine registration asking for any of them
// is refused with a field error; web and native applications may have them.
func TestValidateRegistrationSignInScopes(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		reg    oauth.Registration
		refuse bool
	}{
		{"web with every standard scope", oauth.Registration{Name: "Web", Type: models.ClientWeb, RedirectURIs: []string{webRedirect},
			Scopes: []string{"openid profile email offline_access", "INVOICE.READ"}}, false},
		{"native with openid", oauth.Registration{Name: "Native", Type: models.ClientNative, RedirectURIs: []string{nativeLoopback},
			Scopes: []string{"openid"}}, false},
		{"machine with API scopes", oauth.Registration{Name: "Batch", Type: models.ClientMachine, Scopes: []string{"INVOICE.READ"}}, false},
		{"machine with openid", oauth.Registration{Name: "Batch", Type: models.ClientMachine, Scopes: []string{"INVOICE.READ", "openid"}}, true},
		{"machine with profile", oauth.Registration{Name: "Batch", Type: models.ClientMachine, Scopes: []string{"profile"}}, true},
		{"machine with email", oauth.Registration{Name: "Batch", Type: models.ClientMachine, Scopes: []string{"email"}}, true},
		{"machine with offline_access", oauth.Registration{Name: "Batch", Type: models.ClientMachine, Scopes: []string{"offline_access INVOICE.READ"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, errs, err := f.srv.ValidateRegistration(ctx, tc.reg)
			if err != nil {
				t.Fatal(err)
			}
			if tc.refuse {
				if errs["scopes"] != oauth.MachineSignInScopes {
					t.Fatalf("errors %v, want scopes: %q", errs, oauth.MachineSignInScopes)
				}
				return
			}
			if len(errs) > 0 || len(in.Scopes) == 0 {
				t.Fatalf("errors %v, client %+v; want it accepted", errs, in)
			}
		})
	}
}

// The settings form applies the same rule to an edit of a machine application.
func TestValidateProfileSignInScopes(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	edit := func(c *models.Client, scopes ...string) oauth.Profile {
		return oauth.Profile{Name: c.Name, RedirectURIs: c.RedirectURIs, Scopes: scopes}
	}
	_, _, errs, err := f.srv.ValidateProfile(ctx, f.machine, edit(f.machine, "INVOICE.READ", "openid"))
	if err != nil || errs["scopes"] != oauth.MachineSignInScopes {
		t.Fatalf("machine edit with openid: errors %v, %v; want scopes: %q", errs, err, oauth.MachineSignInScopes)
	}
	out, _, errs, err := f.srv.ValidateProfile(ctx, f.web, edit(f.web, "INVOICE.READ", "openid", "offline_access"))
	if err != nil || len(errs) > 0 || !slices.Equal(out.Scopes, []string{"INVOICE.READ", "openid", "offline_access"}) {
		t.Fatalf("web edit with openid: %v, errors %v, %v", out.Scopes, errs, err)
	}
}

// OpenID Connect RP-Initiated Logout 1.0 §3.1 (post_logout_redirect_uri must match a registered
// one exactly) and OIDC Registration §2: post-logout URIs follow the redirect URIs' rules for the
// client's type and bounds, but none is required; a machine client has none.
func TestValidatePostLogoutURIs(t *testing.T) {
	many := make([]string, oauth.MaxRedirectURIs+1)
	for i := range many {
		many[i] = fmt.Sprintf("https://app.example.test/bye/%d", i)
	}
	for _, tc := range []struct {
		name    string
		typ     models.ClientType
		raw     []string
		want    []string
		wantErr string
	}{
		{"none is fine", models.ClientWeb, []string{"", "  "}, nil, ""},
		{"trimmed and de-duplicated", models.ClientWeb, []string{" https://app.example.test/bye ", "https://app.example.test/bye"}, []string{"https://app.example.test/bye"}, ""},
		{"loopback http while developing", models.ClientNative, []string{"http://127.0.0.1:8000/bye"}, []string{"http://127.0.0.1:8000/bye"}, ""},
		{"native private-use scheme", models.ClientNative, []string{"com.example.app:/bye"}, []string{"com.example.app:/bye"}, ""},
		{"private-use scheme on a web app", models.ClientWeb, []string{"com.example.app:/bye"}, nil, "private-use schemes are for native applications only"},
		{"plain http", models.ClientWeb, []string{"http://app.example.test/bye"}, nil, "http is allowed only for loopback hosts"},
		{"fragment", models.ClientWeb, []string{"https://app.example.test/bye#x"}, nil, "must not contain a fragment"},
		{"at most the limit", models.ClientWeb, many[:oauth.MaxRedirectURIs], many[:oauth.MaxRedirectURIs], ""},
		{"one over the limit", models.ClientWeb, many, nil, fmt.Sprintf("Register at most %d post-logout redirect URIs.", oauth.MaxRedirectURIs)},
		{"too long", models.ClientWeb, []string{"https://app.example.test/" + strings.Repeat("a", models.MaxURLLength)}, nil, "for each post-logout redirect URI"},
		{"machine apps have none", models.ClientMachine, []string{"https://app.example.test/bye"}, nil, "Machine-to-machine applications sign no one in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, msg := oauth.ValidatePostLogoutURIs(tc.typ, tc.raw)
			if tc.wantErr != "" {
				if !strings.Contains(msg, tc.wantErr) {
					t.Fatalf("error %q, want it to contain %q", msg, tc.wantErr)
				}
				return
			}
			if msg != "" || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %q; want %v", got, msg, tc.want)
			}
		})
	}
}

// The settings edit saves the post-logout URIs and the ID Token algorithm (OIDC Registration §2,
// id_token_signed_response_alg: RS256 by default), refusing any other algorithm.
func TestValidateProfileOpenIDFields(t *testing.T) {
	f := mustFixture(t, storetest.SQLite(t))
	ctx := context.Background()
	edit := func(alg string, logout ...string) oauth.Profile {
		return oauth.Profile{Name: f.web.Name, RedirectURIs: f.web.RedirectURIs, Scopes: f.web.Scopes, PostLogoutRedirectURIs: logout, IDTokenSignedResponseAlg: alg}
	}
	out, _, errs, err := f.srv.ValidateProfile(ctx, f.web, edit("ES256", "https://app.example.test/bye"))
	if err != nil || len(errs) > 0 || out.IDTokenSignedResponseAlg != "ES256" || !slices.Equal(out.PostLogoutRedirectURIs, []string{"https://app.example.test/bye"}) {
		t.Fatalf("ES256: %+v, %v, %v", out, errs, err)
	}
	for _, alg := range []string{"RS256", "HS256", "none", "es256"} {
		if _, _, errs, err := f.srv.ValidateProfile(ctx, f.web, edit(alg)); err != nil || errs["id_token_signed_response_alg"] != "Choose RS256 or ES256." {
			t.Errorf("%q: errors %v, %v; want it refused", alg, errs, err)
		}
	}
	if _, _, errs, _ := f.srv.ValidateProfile(ctx, f.web, edit("", "http://app.example.test/bye")); !strings.Contains(errs["post_logout_redirect_uris"], "http is allowed only for loopback") {
		t.Errorf("plain http post-logout URI: errors %v", errs)
	}
}
