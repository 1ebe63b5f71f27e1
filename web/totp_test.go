package web_test

import (
	"context"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// nextStep moves the clock to the next 30-second TOTP step: codes change every step and each
// step is accepted once, so the tests move time on instead of waiting.
func (c *testClock) nextStep() { c.Advance(30 * time.Second) }

// newTOTPEnv is a test server with a movable clock and the given extra environment.
func newTOTPEnv(t *testing.T, env map[string]string) (*testEnv, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Now().UTC().Truncate(30 * time.Second)}
	return newTestEnvOpts(t, storetest.SQLite(t), envOptions{now: clock.Now, vars: env}), clock
}

var (
	totpSecretRe    = regexp.MustCompile(`<code id="totp-secret">([A-Z2-7]+)</code>`)
	recoveryListRe  = regexp.MustCompile(`(?s)<ul id="recovery-codes"[^>]*>(.*?)</ul>`)
	recoveryCodeRe  = regexp.MustCompile(`<code>([a-z0-9-]+)</code>`)
	codeFieldError  = regexp.MustCompile(`class="field-error" id="(enable|disable|regenerate)-code-error"`)
	verifyPagePaths = "/login/verify"
)

func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is a six-digit code that is none of the codes accepted at at.
func wrongCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	for _, w := range []string{"000000", "111111", "222222"} {
		if w != codeAt(t, secret, at) && w != codeAt(t, secret, at.Add(-30*time.Second)) && w != codeAt(t, secret, at.Add(30*time.Second)) {
			return w
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// mustTurnOnTOTP sets up an authenticator through the security page of a signed-in browser, as
// a person would: it reads the secret off the page and types the app's code. It returns the
// secret and the recovery codes shown once.
func mustTurnOnTOTP(t *testing.T, b *browser, clock *testClock) (string, []string) {
	t.Helper()
	b.get("/account/security")
	resp, _ := b.post("/account/security/totp/setup", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set up: status %d", resp.StatusCode)
	}
	_, page := b.get("/account/security")
	m := totpSecretRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no <code id=\"totp-secret\"> on the set-up page:\n%s", page)
	}
	if !strings.Contains(page, `<svg class="qr-code"`) || !strings.Contains(page, "Authentication code") || !strings.Contains(page, ">Turn on<") {
		t.Fatalf("the set-up page lacks the QR code, the code field or Turn on:\n%s", page)
	}
	secret := m[1]
	resp, page = b.mustPostThenGet("/account/security/totp/enable", url.Values{"code": {codeAt(t, secret, clock.Now())}}, "/account/security/totp/recovery-codes")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("turn on: status %d, Cache-Control %q\n%s", resp.StatusCode, resp.Header.Get("Cache-Control"), page)
	}
	list := recoveryListRe.FindStringSubmatch(page)
	if list == nil {
		t.Fatalf("no <ul id=\"recovery-codes\"> after turning on:\n%s", page)
	}
	var codes []string
	for _, c := range recoveryCodeRe.FindAllStringSubmatch(list[1], -1) {
		codes = append(codes, c[1])
	}
	if len(codes) != models.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown, want %d", len(codes), models.RecoveryCodeCount)
	}
	return secret, codes
}

// passwordStep logs a fresh browser in up to the second step.
func passwordStep(t *testing.T, env *testEnv, email, next string) *browser {
	t.Helper()
	b := newBrowser(t, env.URL)
	b.get("/login")
	form := url.Values{"email": {email}, "password": {testPassword}}
	if next != "" {
		form.Set("next", next)
	}
	resp, body := b.post("/login", form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != verifyPagePaths {
		t.Fatalf("password step: status %d, Location %q, want 303 to %s\n%s", resp.StatusCode, resp.Header.Get("Location"), verifyPagePaths, body)
	}
	resp, page := b.get(verifyPagePaths)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<label for="code" class="required">Authentication code</label>`) ||
		!strings.Contains(page, `autocomplete="one-time-code"`) || !strings.Contains(page, ">Verify<") {
		t.Fatalf("verify page: status %d\n%s", resp.StatusCode, page)
	}
	return b
}

func signedIn(b *browser) bool {
	b.t.Helper()
	resp, _ := b.get("/account")
	return resp.StatusCode == http.StatusOK
}

func mustLatestAMR(t *testing.T, env *testEnv, u *models.User, clock *testClock, want ...string) {
	t.Helper()
	sessions, err := env.Store.UserSessions(context.Background(), u.ID, clock.Now())
	if err != nil || len(sessions) == 0 {
		t.Fatalf("sessions: %v, %v", sessions, err)
	}
	newest := sessions[0]
	for _, s := range sessions {
		if s.CreatedAt.After(newest.CreatedAt) {
			newest = s
		}
	}
	if !slices.Equal([]string(newest.AMR), want) {
		t.Fatalf("session amr = %v, want %v", newest.AMR, want)
	}
}

// Issue #11: after the password, an account with TOTP on is asked for the code (RFC 6238), and
// only the right, unused code starts a session, whose amr says pwd otp mfa (RFC 8176 §2).
func TestTOTPLogin(t *testing.T) {
	env, clock := newTOTPEnv(t, nil)
	u := env.mustUser(t, "ada@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin("ada@example.com")

	// A wrong first code does not turn it on.
	b.get("/account/security")
	b.post("/account/security/totp/setup", url.Values{})
	_, page := b.get("/account/security")
	secret := totpSecretRe.FindStringSubmatch(page)[1]
	resp, page := b.post("/account/security/totp/enable", url.Values{"code": {wrongCode(t, secret, clock.Now())}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !codeFieldError.MatchString(page) {
		t.Fatalf("wrong first code: status %d, want 422 with the field's error\n%s", resp.StatusCode, page)
	}
	secret, recovery := mustTurnOnTOTP(t, b, clock)
	// Shown once: the security page never shows them again.
	if _, page := b.get("/account/security"); strings.Contains(page, `id="recovery-codes"`) || strings.Contains(page, recovery[0]) {
		t.Fatal("the security page shows the recovery codes again")
	}
	// Re-posting the form (a reload of the result) neither shows nor regenerates them.
	resp, page = b.post("/account/security/totp/enable", url.Values{"code": {codeAt(t, secret, clock.Now())}})
	if resp.StatusCode != http.StatusSeeOther || strings.Contains(page, `id="recovery-codes"`) {
		t.Fatalf("re-posted Turn on: status %d\n%s", resp.StatusCode, page)
	}
	b.post("/logout", url.Values{})

	t.Run("the password alone starts no session", func(t *testing.T) {
		v := passwordStep(t, env, "ada@example.com", "")
		if signedIn(v) {
			t.Fatal("the pending login opened /account: it acts as a session")
		}
		resp, _ := v.get("/account/security")
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Fatalf("security page with a pending login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("wrong code refused, right code signs in", func(t *testing.T) {
		clock.nextStep()
		v := passwordStep(t, env, "ada@example.com", "")
		resp, page := v.post(verifyPagePaths, url.Values{"code": {wrongCode(t, secret, clock.Now())}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "That code is not right") || signedIn(v) {
			t.Fatalf("wrong code: status %d\n%s", resp.StatusCode, page)
		}
		code := codeAt(t, secret, clock.Now())
		resp, _ = v.post(verifyPagePaths, url.Values{"code": {code}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/apps" || !signedIn(v) {
			t.Fatalf("right code: status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		mustLatestAMR(t, env, u, clock, "pwd", "otp", "mfa")
		// The pending login is spent.
		if resp, _ := v.get(verifyPagePaths); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Fatalf("verify page after success: %d %s, want back to /login", resp.StatusCode, resp.Header.Get("Location"))
		}

		// RFC 6238 §5.2: the same code, in the same window, does not sign in a second time.
		w := passwordStep(t, env, "ada@example.com", "")
		if resp, _ := w.post(verifyPagePaths, url.Values{"code": {code}}); resp.StatusCode != http.StatusUnauthorized || signedIn(w) {
			t.Fatalf("replayed code: status %d, want 401", resp.StatusCode)
		}
	})

	t.Run("a recovery code works once", func(t *testing.T) {
		v := passwordStep(t, env, "ada@example.com", "")
		if resp, _ := v.post(verifyPagePaths, url.Values{"code": {strings.ToUpper(recovery[0])}}); resp.StatusCode != http.StatusSeeOther || !signedIn(v) {
			t.Fatalf("recovery code: status %d", resp.StatusCode)
		}
		// RFC 8176: a recovery code is a second factor, but not an app's one-time password.
		mustLatestAMR(t, env, u, clock, "pwd", "mfa")
		w := passwordStep(t, env, "ada@example.com", "")
		if resp, _ := w.post(verifyPagePaths, url.Values{"code": {recovery[0]}}); resp.StatusCode != http.StatusUnauthorized || signedIn(w) {
			t.Fatalf("recovery code used twice: status %d, want 401", resp.StatusCode)
		}
	})

	t.Run("the authorization request continues after the code", func(t *testing.T) {
		clock.nextStep()
		next := "/oauth/authorize?client_id=x&response_type=code&state=s"
		v := passwordStep(t, env, "ada@example.com", next)
		resp, _ := v.post(verifyPagePaths, url.Values{"code": {codeAt(t, secret, clock.Now())}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != next {
			t.Fatalf("after the code: %d %q, want back to %s", resp.StatusCode, resp.Header.Get("Location"), next)
		}
	})

	t.Run("a forged or expired pending login is refused", func(t *testing.T) {
		v := newBrowser(t, env.URL)
		// Well formed (this account, not expired) but not signed by the server.
		forged := base64.RawURLEncoding.EncodeToString([]byte(itoa(u.ID) + "|" + itoa(clock.Now().Add(time.Minute).Unix()) + "|forged|"))
		v.setCookie("devportal_login_pending", forged+"."+base64.RawURLEncoding.EncodeToString(make([]byte, 32)))
		v.get("/login")
		if resp, _ := v.get(verifyPagePaths); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Fatalf("forged pending login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		w := passwordStep(t, env, "ada@example.com", "")
		clock.Advance(6 * time.Minute)
		resp, _ := w.post(verifyPagePaths, url.Values{"code": {codeAt(t, secret, clock.Now())}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" || signedIn(w) {
			t.Fatalf("expired pending login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// The second step has throttles of its own (issue #11): after OTPPendingMax wrong codes the
// pending login is over, so even the right code needs the password again.
func TestTOTPLoginThrottle(t *testing.T) {
	env, clock := newTOTPEnv(t, nil)
	env.mustUser(t, "ada@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin("ada@example.com")
	secret, _ := mustTurnOnTOTP(t, b, clock)
	clock.nextStep()

	v := passwordStep(t, env, "ada@example.com", "")
	for range models.OTPPendingMax {
		if resp, _ := v.post(verifyPagePaths, url.Values{"code": {wrongCode(t, secret, clock.Now())}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong code: status %d", resp.StatusCode)
		}
	}
	resp, _ := v.post(verifyPagePaths, url.Values{"code": {codeAt(t, secret, clock.Now())}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" || signedIn(v) {
		t.Fatalf("right code after %d wrong ones: %d %s, want back to /login", models.OTPPendingMax, resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After on the throttled code")
	}
}

// Issue #11: turning two-factor off takes a fresh code, not just the open session.
func TestTOTPTurnOffNeedsCode(t *testing.T) {
	env, clock := newTOTPEnv(t, nil)
	u := env.mustUser(t, "ada@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin("ada@example.com")
	secret, _ := mustTurnOnTOTP(t, b, clock)
	clock.nextStep()
	for _, code := range []string{"", wrongCode(t, secret, clock.Now())} {
		resp, page := b.post("/account/security/totp/disable", url.Values{"code": {code}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !codeFieldError.MatchString(page) {
			t.Fatalf("turn off with %q: status %d\n%s", code, resp.StatusCode, page)
		}
	}
	if st, _ := env.Store.TOTPStatus(context.Background(), u.ID); !st.Enabled {
		t.Fatal("two-factor was turned off without a code")
	}
	resp, _ := b.post("/account/security/totp/disable", url.Values{"code": {codeAt(t, secret, clock.Now())}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("turn off: status %d", resp.StatusCode)
	}
	if st, _ := env.Store.TOTPStatus(context.Background(), u.ID); st.Enabled {
		t.Fatal("still on")
	}
	mustAudit(t, env, models.AuditTOTPDisabled, "ada@example.com")
	mustPasswordOnlyLogin(t, env, "ada@example.com")
}

func mustAudit(t *testing.T, env *testEnv, typ, target string) {
	t.Helper()
	events, err := env.Store.AuditEvents(context.Background(), models.AuditFilter{Type: typ, Target: target, Limit: 10})
	if err != nil || len(events) == 0 {
		t.Fatalf("no %s audit event for %s (%v)", typ, target, err)
	}
}

// Issue #11: with DEVPORTAL_REQUIRE_ADMIN_2FA=true an administrator without a second factor is
// sent to turn one on and cannot reach the admin pages until they have.
func TestAdminRequiresTwoFactor(t *testing.T) {
	env, clock := newTOTPEnv(t, map[string]string{"DEVPORTAL_REQUIRE_ADMIN_2FA": "true"})
	env.mustUser(t, "root@example.com", true)
	target := env.mustUser(t, "user@example.com", false)
	b := newBrowser(t, env.URL)
	b.get("/login")
	resp, _ := b.post("/login", url.Values{"email": {"root@example.com"}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/security" {
		t.Fatalf("admin login without 2FA: %d %s, want 303 to /account/security", resp.StatusCode, resp.Header.Get("Location"))
	}
	if page := b.follow(resp); !strings.Contains(page, "Administrators must use two-factor authentication") {
		t.Fatalf("no flash on the security page:\n%s", page)
	}
	resp, _ = b.get("/admin/users")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/account/security" {
		t.Fatalf("GET /admin/users without 2FA: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	b.get("/account/security")
	if resp, _ := b.post("/admin/users/"+itoa(target.ID)+"/disable", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST to the admin pages without 2FA: %d, want 403", resp.StatusCode)
	}
	mustTurnOnTOTP(t, b, clock)
	if resp, _ := b.get("/admin/users"); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/users after turning on 2FA: %d", resp.StatusCode)
	}

	t.Run("off by default", func(t *testing.T) {
		env, _ := newTOTPEnv(t, nil)
		env.mustUser(t, "root@example.com", true)
		b := newBrowser(t, env.URL)
		b.mustLogin("root@example.com")
		if resp, _ := b.get("/admin/users"); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /admin/users: %d", resp.StatusCode)
		}
	})
}

// Issue #11: an administrator can reset a locked-out user's second factor, through a
// confirmation page, and it is audited.
func TestAdminResetsTwoFactor(t *testing.T) {
	env, clock := newTOTPEnv(t, nil)
	env.mustUser(t, "root@example.com", true)
	u := env.mustUser(t, "ada@example.com", false)
	user := newBrowser(t, env.URL)
	user.mustLogin("ada@example.com")
	mustTurnOnTOTP(t, user, clock)

	admin := newBrowser(t, env.URL)
	admin.mustLogin("root@example.com")
	_, page := admin.get("/admin/users?q=ada")
	reset := "/admin/users/" + itoa(u.ID) + "/reset-two-factor"
	if !strings.Contains(page, `action="`+reset+`"`) || !strings.Contains(page, ">Reset two-factor<") {
		t.Fatalf("no Reset two-factor on the users page:\n%s", page)
	}
	resp, page := admin.get(reset)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<button type="submit" class="btn btn-danger">Reset two-factor</button>`) {
		t.Fatalf("confirmation: %d\n%s", resp.StatusCode, page)
	}
	if st, _ := env.Store.TOTPStatus(context.Background(), u.ID); !st.Enabled {
		t.Fatal("the confirmation page reset it already")
	}
	resp, _ = admin.post(reset, url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	if st, _ := env.Store.TOTPStatus(context.Background(), u.ID); st.Enabled || st.RecoveryCodes != 0 {
		t.Fatalf("after reset: %+v", st)
	}
	mustAudit(t, env, models.AuditTwoFactorReset, "ada@example.com")
	// Issue 11: the admin's reset is mailed to the user (after the mail of turning it on).
	if got := env.mustMail(t, "ada@example.com"); len(got) != 2 || got[0].Subject != "Two-factor authentication is on" || got[1].Subject != "Your two-factor authentication was reset" {
		t.Fatalf("mails to the user: %+v", got)
	}
	mustPasswordOnlyLogin(t, env, "ada@example.com")
	if _, page := admin.get("/admin/users?q=ada"); strings.Contains(page, html.EscapeString(reset)) {
		t.Fatal("Reset two-factor still offered for a user without it")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// mustPasswordOnlyLogin signs a new browser in with the password alone (no second step).
func mustPasswordOnlyLogin(t *testing.T, env *testEnv, email string) {
	t.Helper()
	b := newBrowser(t, env.URL)
	b.get("/login")
	resp, _ := b.post("/login", url.Values{"email": {email}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/apps" || !signedIn(b) {
		t.Fatalf("password-only login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
