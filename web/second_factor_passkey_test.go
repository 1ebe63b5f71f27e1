package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models/storetest"
)

// Issue 11: a passkey is usable as the second factor of a password login. With an
// authenticator app on, the verify page also offers the account's passkeys; the session then
// says pwd, hwk and mfa (RFC 8176), and the pending login is spent.
func TestPasskeyAsSecondFactor(t *testing.T) {
	clock := &testClock{t: time.Now().UTC().Truncate(30 * time.Second)}
	env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{localhost: true, now: clock.Now})
	u := env.mustUser(t, "both@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin(u.Email)
	mustTurnOnTOTP(t, b, clock)
	b.get("/account/security")
	_, body := b.post("/account/passkeys/begin", url.Values{})
	a := newSoftAuthenticator(t, env.URL)
	if resp, _ := b.post("/account/passkeys/finish", url.Values{"credential": {a.create(mustOptions(t, body))}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding a passkey: %d", resp.StatusCode)
	}

	login := passwordStep(t, env, u.Email, "/account/security")
	_, page := login.get(verifyPagePaths)
	if !strings.Contains(page, `data-begin="/login/verify/passkey/begin"`) || !strings.Contains(page, "Use a passkey instead") {
		t.Fatalf("the verify page does not offer the passkey:\n%s", page)
	}
	resp, body := login.post("/login/verify/passkey/begin", url.Values{})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("begin: %d %s", resp.StatusCode, body)
	}
	challenge := mustOptions(t, body).PublicKey.Challenge
	resp, body = login.post("/login/verify/passkey", url.Values{"credential": {a.get(challenge)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/security" {
		t.Fatalf("finish: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if !signedIn(login) {
		t.Fatal("not signed in after the passkey second factor")
	}
	if amr := mustSessionAMR(t, env.Store, u.ID); !slices.Contains(amr, "pwd") || !slices.Contains(amr, "hwk") || !slices.Contains(amr, "mfa") {
		t.Fatalf("amr %v, want pwd, hwk and mfa", amr)
	}
	if login.cookie("devportal_login_pending") != "" {
		t.Fatal("the pending login survived its completion")
	}
	// Without a pending login (a fresh browser), the second-factor endpoints refuse.
	anon := newBrowser(t, env.URL)
	anon.get("/login")
	if resp, _ := anon.post("/login/verify/passkey/begin", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("begin without a pending login: %d, want 403", resp.StatusCode)
	}
}
