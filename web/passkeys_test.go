package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/handlers"
	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// mustAddPasskey registers a's passkey to b's account through the security page's endpoints.
func (b *browser) mustAddPasskey(a *softAuthenticator) {
	b.t.Helper()
	b.get("/account/security")
	resp, body := b.post("/account/passkeys/begin", url.Values{})
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("begin registration: %d %s", resp.StatusCode, body)
	}
	resp, body = b.post("/account/passkeys/finish", url.Values{"credential": {a.create(mustOptions(b.t, body))}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("finish registration: %d %s", resp.StatusCode, body)
	}
}

// beginPasskeyLogin loads /login and begins a passkey sign-in; it returns the challenge.
func (b *browser) beginPasskeyLogin() string {
	b.t.Helper()
	b.get("/login")
	resp, body := b.post("/login/passkey/begin", url.Values{})
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("begin login: %d %s", resp.StatusCode, body)
	}
	return mustOptions(b.t, body).PublicKey.Challenge
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func mustSessionAMR(t *testing.T, s *models.Store, userID int64) []string {
	t.Helper()
	sessions, err := s.UserSessions(context.Background(), userID, time.Now().UTC())
	if err != nil || len(sessions) == 0 {
		t.Fatalf("sessions: %v %v", sessions, err)
	}
	return []string(sessions[0].AMR)
}

// Issue #11 (passkeys): a passkey added on the security page signs in on /login without an
// email (a discoverable credential, WebAuthn §6.2.2), honours next, and the session's amr says
// how (RFC 8176 §2: hwk, user; mfa because the authenticator verified the user).
func TestPasskeyRegisterAndSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		env := newLocalhostTestEnv(t, s)
		u := env.mustUser(t, "pk@example.com", false)
		b := newBrowser(t, env.URL)
		b.mustLogin("pk@example.com")

		b.get("/account/security")
		_, body := b.post("/account/passkeys/begin", url.Values{})
		o := mustOptions(t, body)
		if o.PublicKey.RP.ID != "localhost" || o.PublicKey.AuthenticatorSelection.ResidentKey != "required" || o.PublicKey.AuthenticatorSelection.UserVerification != "preferred" {
			t.Fatalf("registration options: %+v", o.PublicKey)
		}
		if uh, _ := b64.DecodeString(o.PublicKey.User.ID); string(uh) != u.Subject {
			t.Fatalf("user handle %q, want the account's subject", uh)
		}
		a := newSoftAuthenticator(t, env.URL)
		resp, _ := b.post("/account/passkeys/finish", url.Values{"credential": {a.create(o)}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("finish: %d", resp.StatusCode)
		}
		if body := b.follow(resp); !strings.Contains(body, "Passkey added") || !strings.Contains(body, "Passkey on ") {
			t.Fatalf("security page after adding:\n%s", body)
		}
		// Issue 11: every change on the security page is mailed to the account.
		if got := env.mustMail(t, u.Email); len(got) != 1 || got[0].Subject != "A passkey was added to your account" || !strings.Contains(got[0].Text, env.URL+"/account/security") {
			t.Fatalf("mail after adding a passkey: %+v", got)
		}

		anon := newBrowser(t, env.URL)
		challenge := anon.beginPasskeyLogin()
		resp, body = anon.post("/login/passkey", url.Values{"credential": {a.get(challenge)}, "next": {"/account/security"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/security" {
			t.Fatalf("passkey login: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		if amr := mustSessionAMR(t, s, u.ID); !slices.Contains(amr, "hwk") || !slices.Contains(amr, "user") || !slices.Contains(amr, "mfa") {
			t.Fatalf("amr %v, want hwk user mfa", amr)
		}
		keys, _ := s.UserPasskeys(context.Background(), u.ID)
		if len(keys) != 1 || keys[0].SignCount != 1 || keys[0].LastUsedAt == nil {
			t.Fatalf("passkey after use: %+v", keys)
		}
	})
}

// Issue #11, RFC 8176 §2: without user verification (UV flag clear) the passkey is one
// factor: hwk and user, no mfa.
func TestPasskeyWithoutUserVerificationIsNotMFA(t *testing.T) {
	env := newLocalhostTestEnv(t, storetest.SQLite(t))
	u := env.mustUser(t, "pk@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin("pk@example.com")
	a := newSoftAuthenticator(t, env.URL)
	a.flags = 0x01
	b.mustAddPasskey(a)
	anon := newBrowser(t, env.URL)
	resp, _ := anon.post("/login/passkey", url.Values{"credential": {a.get(anon.beginPasskeyLogin())}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	if amr := mustSessionAMR(t, env.Store, u.ID); slices.Contains(amr, "mfa") || !slices.Contains(amr, "hwk") {
		t.Fatalf("amr %v, want hwk user without mfa", amr)
	}
}

// Issue #11 (passkeys), error paths of the ceremonies: each is refused with a clear message,
// signs nobody in and stores nothing. WebAuthn §7.1 step 11 / §7.2 step 12 (the challenge),
// §7.2 step 21 (the signature counter), and single-use ceremony state.
func TestPasskeyCeremonyErrors(t *testing.T) {
	env := newLocalhostTestEnv(t, storetest.SQLite(t))
	u := env.mustUser(t, "pk@example.com", false)
	owner := newBrowser(t, env.URL)
	owner.mustLogin("pk@example.com")
	a := newSoftAuthenticator(t, env.URL)
	owner.mustAddPasskey(a)

	loginFails := func(t *testing.T, b *browser, form url.Values, status int, want string) {
		t.Helper()
		resp, body := b.post("/login/passkey", form)
		if resp.StatusCode != status || !strings.Contains(body, want) {
			t.Fatalf("status %d, want %d with %q\n%s", resp.StatusCode, status, want, body)
		}
		if b.cookie(handlers.SessionCookie) != "" {
			t.Fatal("a refused passkey login left a session cookie")
		}
	}
	t.Run("bad JSON", func(t *testing.T) {
		b := newBrowser(t, env.URL)
		b.beginPasskeyLogin()
		loginFails(t, b, url.Values{"credential": {`{"id":`}}, http.StatusBadRequest, "was not a passkey")
	})
	t.Run("no ceremony begun", func(t *testing.T) {
		b := newBrowser(t, env.URL)
		b.get("/login")
		loginFails(t, b, url.Values{"credential": {a.get("AAAA")}}, http.StatusBadRequest, "expired or was already used")
	})
	t.Run("wrong challenge", func(t *testing.T) {
		b := newBrowser(t, env.URL)
		b.beginPasskeyLogin()
		loginFails(t, b, url.Values{"credential": {a.get(b64.EncodeToString([]byte("another challenge, not this one")))}}, http.StatusUnauthorized, "could not be verified")
	})
	t.Run("replayed ceremony", func(t *testing.T) {
		b := newBrowser(t, env.URL)
		challenge := b.beginPasskeyLogin()
		token := b.cookie(handlers.PasskeyCookie)
		credential := a.get(challenge)
		if resp, _ := b.post("/login/passkey", url.Values{"credential": {credential}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("first use: %d", resp.StatusCode)
		}
		replay := newBrowser(t, env.URL)
		replay.get("/login")
		replay.setCookie(handlers.PasskeyCookie, token)
		loginFails(t, replay, url.Values{"credential": {credential}}, http.StatusBadRequest, "expired or was already used")
	})
	t.Run("signature counter does not grow", func(t *testing.T) {
		b := newBrowser(t, env.URL)
		clone := *a
		clone.count-- // a copy of the key that signs with a counter already seen
		loginFails(t, b, url.Values{"credential": {clone.get(b.beginPasskeyLogin())}}, http.StatusUnauthorized, "signature counter went backwards")
	})
	t.Run("another site's origin", func(t *testing.T) {
		b := newBrowser(t, env.URL)
		phish := *a
		phish.origin = "http://localhost.evil.example"
		loginFails(t, b, url.Values{"credential": {phish.get(b.beginPasskeyLogin())}}, http.StatusUnauthorized, "could not be verified")
	})
	t.Run("registration with bad JSON", func(t *testing.T) {
		owner.get("/account/security")
		owner.post("/account/passkeys/begin", url.Values{})
		resp, body := owner.post("/account/passkeys/finish", url.Values{"credential": {"not json"}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "was not a passkey") {
			t.Fatalf("status %d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("registration with another ceremony's challenge", func(t *testing.T) {
		owner.get("/account/security")
		_, body := owner.post("/account/passkeys/begin", url.Values{})
		o := mustOptions(t, body)
		o.PublicKey.Challenge = b64.EncodeToString([]byte("a challenge this server never issued"))
		resp, body := owner.post("/account/passkeys/finish", url.Values{"credential": {newSoftAuthenticator(t, env.URL).create(o)}})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "could not be added") {
			t.Fatalf("status %d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("registration begun by another account", func(t *testing.T) {
		env.mustUser(t, "other@example.com", false)
		other := newBrowser(t, env.URL)
		other.mustLogin("other@example.com")
		other.get("/account/security")
		_, body := other.post("/account/passkeys/begin", url.Values{})
		o := mustOptions(t, body)
		owner.get("/account/security")
		owner.setCookie(handlers.PasskeyCookie, other.cookie(handlers.PasskeyCookie))
		resp, body := owner.post("/account/passkeys/finish", url.Values{"credential": {newSoftAuthenticator(t, env.URL).create(o)}})
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("begin without the CSRF token", func(t *testing.T) {
		b := newBrowser(t, env.URL)
		b.get("/login")
		if resp, _ := b.postExactly("/login/passkey/begin", url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
	})
	// Last: disabling ends the owner's sessions.
	t.Run("disabled account", func(t *testing.T) {
		if err := env.Store.SetUserDisabled(context.Background(), u.ID, true); err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, env.URL)
		loginFails(t, b, url.Values{"credential": {a.get(b.beginPasskeyLogin())}}, http.StatusUnauthorized, "disabled")
	})
	if keys, _ := env.Store.UserPasskeys(context.Background(), u.ID); len(keys) != 1 {
		t.Fatalf("%d passkeys stored, want only the first", len(keys))
	}
}

// Issue #11: an IP-literal issuer cannot be a relying party; begin says so in the
// compatibility dialect's JSON the script shows.
func TestPasskeysNeedADomainIssuer(t *testing.T) {
	env := newTestEnv(t) // http://127.0.0.1:PORT
	b := newBrowser(t, env.URL)
	b.get("/login")
	resp, body := b.post("/login/passkey/begin", url.Values{})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"error_code"`) || !strings.Contains(body, "domain name") {
		t.Fatalf("status %d %s", resp.StatusCode, body)
	}
}

// Issue #11: rename and remove go through the owner's pages; another account's passkey is 404
// on every one of them and stays as it was.
func TestPasskeyRenameAndRemove(t *testing.T) {
	env := newLocalhostTestEnv(t, storetest.SQLite(t))
	u := env.mustUser(t, "pk@example.com", false)
	env.mustUser(t, "other@example.com", false)
	owner := newBrowser(t, env.URL)
	owner.mustLogin("pk@example.com")
	owner.mustAddPasskey(newSoftAuthenticator(t, env.URL))
	keys, _ := env.Store.UserPasskeys(context.Background(), u.ID)
	id := strconv.FormatInt(keys[0].ID, 10)

	other := newBrowser(t, env.URL)
	other.mustLogin("other@example.com")
	other.get("/account/security")
	for _, path := range []string{"/account/passkeys/" + id + "/rename", "/account/passkeys/" + id + "/remove"} {
		if resp, _ := other.get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s by another account: %d, want 404", path, resp.StatusCode)
		}
		other.get("/account/security")
		if resp, _ := other.post(path, url.Values{"name": {"Mine now"}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s by another account: %d, want 404", path, resp.StatusCode)
		}
	}
	if keys, _ := env.Store.UserPasskeys(context.Background(), u.ID); len(keys) != 1 || keys[0].Name == "Mine now" {
		t.Fatalf("another account changed the passkey: %+v", keys)
	}

	if resp, body := owner.get("/account/passkeys/" + id + "/rename"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `<label for="passkey-name"`) {
		t.Fatalf("rename page: %d", resp.StatusCode)
	}
	if resp, body := owner.post("/account/passkeys/"+id+"/rename", url.Values{"name": {strings.Repeat("x", 65)}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "at most 64") {
		t.Fatalf("too long a name: %d", resp.StatusCode)
	}
	resp, _ := owner.post("/account/passkeys/"+id+"/rename", url.Values{"name": {"Work phone"}})
	if body := owner.follow(resp); !strings.Contains(body, "Work phone") {
		t.Fatalf("renamed passkey not listed:\n%s", body)
	}
	if resp, body := owner.get("/account/passkeys/" + id + "/remove"); resp.StatusCode != http.StatusOK || !strings.Contains(body, ">Remove</button>") {
		t.Fatalf("confirm page: %d", resp.StatusCode)
	}
	resp, _ = owner.post("/account/passkeys/"+id+"/remove", url.Values{})
	if body := owner.follow(resp); strings.Contains(body, "Work phone") || !strings.Contains(body, "No passkeys yet") {
		t.Fatalf("removed passkey still listed:\n%s", body)
	}
}
