package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/devportal/devportal/models/oauth"
)

// Issue #10: `clients create` takes the OpenID Connect scopes for web and native clients,
// refuses them for machine clients with the form's message (OIDC Core §3.1.2.1: openid is about a
// signed-in end user), and registers RP-initiated logout targets with
// --post-logout-redirect-uri, validated like the form (RP-Initiated Logout 1.0 §3.1).
func TestClientsCreateOpenID(t *testing.T) {
	const redirect = "https://app.example.com/callback"
	for _, tc := range []struct {
		name       string
		args       []string
		errHas     string   // "" : the command must succeed
		wantLogout []string // on success
	}{
		{"web with the standard scopes", []string{"--type", "web", "--redirect-uri", redirect, "--scope", "openid profile email offline_access INVOICE.READ"}, "", nil},
		{"native with openid", []string{"--type", "native", "--redirect-uri", "http://127.0.0.1/cb", "--scope", "openid"}, "", nil},
		{"post-logout URIs, repeatable", []string{"--type", "web", "--redirect-uri", redirect, "--scope", "openid",
			"--post-logout-redirect-uri", "https://app.example.com/bye", "--post-logout-redirect-uri", "http://localhost:3000/bye"},
			"", []string{"https://app.example.com/bye", "http://localhost:3000/bye"}},
		{"machine with openid", []string{"--type", "machine", "--scope", "INVOICE.READ openid"}, "--scope: " + oauth.MachineSignInScopes, nil},
		{"machine with offline_access", []string{"--type", "machine", "--scope", "offline_access"}, "--scope: " + oauth.MachineSignInScopes, nil},
		{"machine with a post-logout URI", []string{"--type", "machine", "--scope", "INVOICE.READ", "--post-logout-redirect-uri", "https://app.example.com/bye"},
			"--post-logout-redirect-uri: Machine-to-machine applications sign no one in", nil},
		{"plain http post-logout URI", []string{"--type", "web", "--redirect-uri", redirect, "--scope", "openid", "--post-logout-redirect-uri", "http://app.example.com/bye"},
			"--post-logout-redirect-uri: http://app.example.com/bye http is allowed only for loopback hosts", nil},
		{"private-use scheme on a web client", []string{"--type", "web", "--redirect-uri", redirect, "--scope", "openid", "--post-logout-redirect-uri", "com.example.app:/bye"},
			"private-use schemes are for native applications only", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLI(t)
			out, err := c.run("", append([]string{"clients", "create", "--name", "Site"}, tc.args...)...)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want one containing %q (output %q)", err, tc.errHas, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("clients create: %v\n%s", err, out)
			}
			var got struct {
				ClientID string   `json:"client_id"`
				Scope    string   `json:"scope"`
				Logout   []string `json:"post_logout_redirect_uris"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil || got.ClientID == "" || !strings.Contains(got.Scope, "openid") {
				t.Fatalf("output %q: %v", out, err)
			}
			if !slices.Equal(got.Logout, tc.wantLogout) {
				t.Errorf("post_logout_redirect_uris = %v, want %v", got.Logout, tc.wantLogout)
			}
		})
	}
}

// `users create --name` sets the display name (the OpenID name claim), validated like sign-up.
func TestUsersCreateName(t *testing.T) {
	const pass = "a long enough pass phrase"
	c := newCLI(t)
	if out, err := c.run("", "users", "create", "--email", "ada@example.com", "--password", pass, "--name", "Ada Lovelace"); err != nil {
		t.Fatalf("users create: %v\n%s", err, out)
	}
	if u := c.mustAuthenticate("ada@example.com", pass); u.DisplayName != "Ada Lovelace" {
		t.Errorf("display name %q", u.DisplayName)
	}
	out, err := c.run("", "users", "create", "--email", "bad@example.com", "--password", pass, "--name", strings.Repeat("n", 81))
	if err == nil || !strings.Contains(err.Error(), "at most 80 characters") {
		t.Fatalf("a name too long: err = %v (output %q)", err, out)
	}
}
