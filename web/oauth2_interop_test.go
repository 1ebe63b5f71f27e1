package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/devportal/devportal/models"
)

// authorizeInBrowser plays the user: it follows authURL as the signed-in browser b, presses
// decision ("allow" or "deny") on the consent page, and returns the redirect back to the client.
func authorizeInBrowser(t *testing.T, b *browser, authURL, decision string) *url.URL {
	t.Helper()
	resp, body := b.get(authURL)
	if resp.StatusCode == http.StatusFound && decision == "allow" && !strings.HasPrefix(resp.Header.Get("Location"), "/") {
		// Consent remembered from an earlier approval: straight back to the client.
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, ">Allow</button>") {
		t.Fatalf("consent page: status %d\n%s", resp.StatusCode, body)
	}
	form := url.Values{"decision": {decision}}
	for _, m := range hiddenField.FindAllStringSubmatch(body, -1) {
		if m[1] != "csrf_token" {
			form.Set(m[1], htmlUnescape(m[2]))
		}
	}
	resp, body = b.post("/oauth/authorize", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("consent decision: status %d\n%s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestOAuth2LibraryInterop has golang.org/x/oauth2, a client nobody here wrote, complete the
// authorization code + PKCE flow (RFC 6749 §4.1, RFC 7636), refresh (§6) and client credentials
// (§4.4) against the real server, discovering nothing but the endpoints.
func TestOAuth2LibraryInterop(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "user@example.com", false)

	endpoint := oauth2.Endpoint{AuthURL: env.URL + "/oauth/authorize", TokenURL: env.URL + "/oauth/token"}
	for _, tc := range []struct {
		name  string
		typ   models.ClientType
		style oauth2.AuthStyle
	}{
		{"web client, client_secret_basic", models.ClientWeb, oauth2.AuthStyleInHeader},
		{"web client, client_secret_post", models.ClientWeb, oauth2.AuthStyleInParams},
		{"native client, PKCE only", models.ClientNative, oauth2.AuthStyleInParams},
	} {
		t.Run(tc.name, func(t *testing.T) {
			redirect := "http://127.0.0.1:9/callback"
			client, secret := env.mustClient(t, dev, tc.typ, []string{redirect}, "INVOICE.READ", "INVOICE.WRITE")
			ep := endpoint
			ep.AuthStyle = tc.style
			conf := &oauth2.Config{ClientID: client.ID, ClientSecret: secret, Endpoint: ep, RedirectURL: redirect, Scopes: []string{"INVOICE.READ"}}

			b := newBrowser(t, env.URL)
			b.mustLogin("user@example.com")
			verifier := oauth2.GenerateVerifier()
			back := authorizeInBrowser(t, b, conf.AuthCodeURL("st-123", oauth2.S256ChallengeOption(verifier)), "allow")
			q := back.Query()
			if q.Get("state") != "st-123" || q.Get("iss") != env.URL || q.Get("code") == "" {
				t.Fatalf("redirect back = %s; want code, state and iss (RFC 9207)", back)
			}

			tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			if tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.RefreshToken == "" || tok.Extra("scope") != "INVOICE.READ" {
				t.Fatalf("token = %+v, scope %v", tok, tok.Extra("scope"))
			}
			if d := time.Until(tok.Expiry); d < 14*time.Minute || d > 16*time.Minute {
				t.Errorf("expires in %v; want the 15 min default", d)
			}

			// Force a refresh through the library's own token source.
			stale := *tok
			stale.Expiry = time.Now().Add(-time.Minute)
			fresh, err := conf.TokenSource(ctx, &stale).Token()
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == "" || fresh.RefreshToken == tok.RefreshToken {
				t.Fatalf("refresh did not rotate: %+v", fresh)
			}

			// The code is single use: the library sees the RFC error.
			_, err = conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			var re *oauth2.RetrieveError
			if !asRetrieveError(err, &re) || re.ErrorCode != "invalid_grant" {
				t.Fatalf("second exchange: %v; want invalid_grant", err)
			}
		})
	}

	t.Run("machine client, client credentials", func(t *testing.T) {
		client, secret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ", "EWALLET.READ")
		cc := clientcredentials.Config{ClientID: client.ID, ClientSecret: secret, TokenURL: env.URL + "/oauth/token", Scopes: []string{"EWALLET.READ"}}
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken == "" || tok.RefreshToken != "" || tok.Extra("scope") != "EWALLET.READ" {
			t.Fatalf("token = %+v (scope %v); want an access token for EWALLET.READ and no refresh token (RFC 6749 §4.4.3)", tok, tok.Extra("scope"))
		}
		cc.ClientSecret = "dps_wrong"
		_, err = cc.Token(ctx)
		var re *oauth2.RetrieveError
		if !asRetrieveError(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong secret: %v; want 401 invalid_client", err)
		}
	})
}
