package web_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/devportal/devportal/models/storetest"
)

// Issue 11 (two-factor), in real Chromium: turn on an authenticator app from the security page
// (the secret read from <code id="totp-secret">, the code computed here as the app would), see
// the recovery codes once, log out, and log in again through "Authentication code" / "Verify";
// the session's amr says pwd, otp and mfa (RFC 8176). The server's clock is the test's, so the
// login's code is for the next 30-second step and the replay guard is not what is tested.
func TestBrowserTwoFactor(t *testing.T) {
	chromium := mustChromium(t)
	clock := &testClock{t: time.Now().UTC().Truncate(30 * time.Second)}
	env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{now: clock.Now})
	ctx := newChromium(t, chromium)
	const email = "two.factor@example.com"

	mustDo(t, ctx, "sign up",
		chromedp.Navigate(env.URL+"/signup"),
		chromedp.SendKeys(byLabel("Email"), email),
		chromedp.SendKeys(byLabel("Password"), testPassword),
		chromedp.Click(button("Create account")),
		chromedp.WaitVisible(heading("Applications")),
	)
	mustDo(t, ctx, "set up the authenticator app",
		chromedp.Navigate(env.URL+"/account/security"),
		chromedp.Click(button("Set up authenticator app")),
		chromedp.WaitVisible(chromedp.ID("totp-secret")),
	)
	secret := strings.TrimSpace(mustRun(t, ctx, "read the secret", chromedp.Text(chromedp.ID("totp-secret"))))
	mustDo(t, ctx, "turn it on",
		chromedp.SendKeys(byLabel("Authentication code"), codeAt(t, secret, clock.Now())),
		chromedp.Click(button("Turn on")),
		chromedp.WaitVisible(chromedp.ID("recovery-codes")),
	)
	if codes := mustRun(t, ctx, "read the recovery codes", chromedp.Text(chromedp.ID("recovery-codes"))); strings.Count(codes, "-") < 10 {
		t.Fatalf("recovery codes shown: %q", codes)
	}
	clock.nextStep()
	mustDo(t, ctx, "log out and in with the password",
		chromedp.Navigate(env.URL+"/account"),
		chromedp.Click(button("Log out")),
		chromedp.WaitVisible(byLabel("Password")),
		chromedp.SendKeys(byLabel("Email"), email),
		chromedp.SendKeys(byLabel("Password"), testPassword),
		chromedp.Click(button("Log in")),
		chromedp.WaitVisible(byLabel("Authentication code")),
	)
	mustDo(t, ctx, "verify with the app's code",
		chromedp.SendKeys(byLabel("Authentication code"), codeAt(t, secret, clock.Now())),
		chromedp.Click(button("Verify")),
		chromedp.WaitVisible(heading("Applications")),
	)
	sess := env.mustSession(t, mustSessionCookie(t, ctx, env.URL))
	if amr := []string(sess.AMR); !slices.Equal(amr, []string{"pwd", "otp", "mfa"}) {
		t.Fatalf("session amr %v, want pwd otp mfa", amr)
	}
}
