package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/devportal/devportal/models/storetest"
)

// Issue 11 (email verification, password reset), in real Chromium with the mail read from the
// in-process SMTP server: sign up, open the verification link, log out, "Forgot password?",
// "Send reset link", open the mailed link, "New password" / "Set password", log in with it.
func TestBrowserVerificationAndReset(t *testing.T) {
	chromium := mustChromium(t)
	env := newTestEnvWith(t, storetest.SQLite(t))
	ctx := newChromium(t, chromium)
	const email = "mail.flows@example.com"
	const newPassword = "a brand new passphrase"

	mustDo(t, ctx, "sign up",
		chromedp.Navigate(env.URL+"/signup"),
		chromedp.SendKeys(byLabel("Email"), email),
		chromedp.SendKeys(byLabel("Password"), testPassword),
		chromedp.Click(button("Create account")),
		chromedp.WaitVisible(heading("Applications")),
	)
	mails := env.mustMail(t, email)
	if len(mails) != 1 || !strings.HasPrefix(mails[0].Subject, "Verify your email") {
		t.Fatalf("mails after sign-up: %+v", mails)
	}
	mustDo(t, ctx, "open the verification link",
		chromedp.Navigate(mustLink(t, mails, "/verify-email")),
		chromedp.WaitVisible(heading("Your email is verified")),
	)
	u, err := env.Store.UserByEmail(t.Context(), email)
	if err != nil || u.EmailVerifiedAt == nil {
		t.Fatalf("after the link: %+v, %v; want the email verified", u, err)
	}

	mustDo(t, ctx, "ask for a reset link",
		chromedp.Navigate(env.URL+"/account"),
		chromedp.Click(button("Log out")),
		chromedp.WaitVisible(link("Forgot password?")),
		chromedp.Click(link("Forgot password?")),
		chromedp.WaitVisible(heading("Forgot your password?")),
		chromedp.SendKeys(byLabel("Email"), email),
		chromedp.Click(button("Send reset link")),
		chromedp.WaitVisible(heading("Check your inbox")),
	)
	mails = env.mustMail(t, email)
	if len(mails) != 2 || mails[1].Subject != "Reset your devportal password" {
		t.Fatalf("mails after asking for a reset: %+v", mails)
	}
	mustDo(t, ctx, "set a new password from the link",
		chromedp.Navigate(mustLink(t, mails, "/reset-password")),
		chromedp.WaitVisible(byLabel("New password")),
		chromedp.SendKeys(byLabel("New password"), newPassword),
		chromedp.Click(button("Set password")),
		chromedp.WaitVisible(withText("Log in with your new password")),
		chromedp.SendKeys(byLabel("Email"), email),
		chromedp.SendKeys(byLabel("Password"), newPassword),
		chromedp.Click(button("Log in")),
		chromedp.WaitVisible(heading("Applications")),
	)
}
