package web_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/devportal/devportal/models/storetest"
)

// link finds a link by its visible text.
func link(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//a[normalize-space()=%s]`, xpathString(text)))
}

// withText finds an element of the main content whose text contains text.
func withText(text string) chromedp.Search {
	return chromedp.Search(fmt.Sprintf(`//main//*[contains(normalize-space(), %s)]`, xpathString(text)))
}

// mustVirtualAuthenticator gives the tab a platform authenticator through the DevTools
// WebAuthn domain: CTAP2, internal transport, resident keys, user verification that succeeds,
// presence simulated, so create() and get() answer without a person.
func mustVirtualAuthenticator(t *testing.T, ctx context.Context) webauthn.AuthenticatorID {
	t.Helper()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
	}})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return res.AuthenticatorID
}

// Issue #11 (passkeys), in real Chromium with a virtual authenticator: sign up with a
// password, "Add a passkey" on the security page, see it listed; log out; "Sign in with a
// passkey" on /login signs in without an email, and the session's amr carries hwk (RFC 8176
// §2); then rename and remove the passkey through the pages.
func TestBrowserPasskeys(t *testing.T) {
	chromium := mustChromium(t)
	env := newLocalhostTestEnv(t, storetest.SQLite(t))
	ctx := newChromium(t, chromium)
	const email = "passkey.user@example.com"

	mustDo(t, ctx, "sign up",
		chromedp.Navigate(env.URL+"/signup"),
		chromedp.SendKeys(byLabel("Email"), email),
		chromedp.SendKeys(byLabel("Password"), testPassword),
		chromedp.Click(button("Create account")),
		chromedp.WaitVisible(heading("Applications")),
	)
	authenticator := mustVirtualAuthenticator(t, ctx)

	mustDo(t, ctx, "add a passkey",
		chromedp.Navigate(env.URL+"/account/security"),
		chromedp.WaitVisible(button("Add a passkey")),
		chromedp.Click(button("Add a passkey")),
		chromedp.WaitVisible(withText("Passkey added")),
	)
	row := mustRun(t, ctx, "read the passkeys list", chromedp.Text(chromedp.ID("passkeys")))
	if !strings.Contains(row, "Passkey on Chrom") || !strings.Contains(row, "Never") {
		t.Fatalf("passkeys list after adding one:\n%s", row)
	}
	creds, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: authenticator})
	if err != nil || len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential || creds.Credentials[0].RpID != "localhost" {
		t.Fatalf("the authenticator holds %+v (%v), want one discoverable credential for localhost", creds, err)
	}

	mustDo(t, ctx, "log out",
		chromedp.Click(button("Log out")),
		chromedp.WaitVisible(button("Sign in with a passkey")),
	)
	mustDo(t, ctx, "sign in with the passkey",
		chromedp.Navigate(env.URL+"/login?next=%2Faccount%2Fsecurity"),
		chromedp.WaitVisible(button("Sign in with a passkey")),
		chromedp.Click(button("Sign in with a passkey")),
		chromedp.WaitVisible(heading("Security")),
	)
	mustLocation(t, ctx, env.URL+"/account/security")
	sess := env.mustSession(t, mustSessionCookie(t, ctx, env.URL))
	if amr := []string(sess.AMR); !slices.Contains(amr, "hwk") || !slices.Contains(amr, "mfa") || slices.Contains(amr, "pwd") {
		t.Fatalf("passkey session amr %v, want hwk and mfa (user verified), no pwd", amr)
	}
	if row := mustRun(t, ctx, "read the passkeys list", chromedp.Text(chromedp.ID("passkeys"))); strings.Contains(row, "Never") {
		t.Fatalf("the passkey's last use is not shown after signing in with it:\n%s", row)
	}

	mustDo(t, ctx, "rename the passkey",
		chromedp.Click(link("Rename")),
		chromedp.WaitVisible(byLabel("Name")),
		chromedp.Clear(byLabel("Name")),
		chromedp.SendKeys(byLabel("Name"), "Test laptop"),
		chromedp.Click(button("Save")),
		chromedp.WaitVisible(withText("Passkey renamed")),
	)
	if row := mustRun(t, ctx, "read the passkeys list", chromedp.Text(chromedp.ID("passkeys"))); !strings.Contains(row, "Test laptop") {
		t.Fatalf("renamed passkey not listed:\n%s", row)
	}
	mustDo(t, ctx, "remove the passkey",
		chromedp.Click(link("Remove")),
		chromedp.WaitVisible(button("Remove")),
		chromedp.Click(button("Remove")),
		chromedp.WaitVisible(withText("No passkeys yet")),
	)
	keys, err := env.Store.UserPasskeys(t.Context(), sess.UserID)
	if err != nil || len(keys) != 0 {
		t.Fatalf("passkeys after removing: %+v %v", keys, err)
	}
}
