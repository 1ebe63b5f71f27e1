package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/mail/mailtest"
)

var mailLink = regexp.MustCompile(`https?://\S+`)

// mustLink is the last link to path in mails (read from the plain-text part).
func mustLink(t *testing.T, mails []mailtest.Mail, path string) string {
	t.Helper()
	for i := len(mails) - 1; i >= 0; i-- {
		for _, l := range mailLink.FindAllString(mails[i].Text, -1) {
			if u, err := url.Parse(l); err == nil && u.Path == path {
				return l
			}
		}
	}
	t.Fatalf("no link to %s in %d mails", path, len(mails))
	return ""
}

func cookieValue(resp *http.Response, name string) string {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func mustUserByEmail(t *testing.T, env *testEnv, email string) *models.User {
	t.Helper()
	u, err := env.Store.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Issue #11 (email verification): sign-up mails a single-use link that verifies the address;
// the account page says "Not verified" until then.
func TestSignupVerificationMail(t *testing.T) {
	env := newTestEnv(t)
	b := newBrowser(t, env.URL)
	b.get("/signup")
	resp, _ := b.post("/signup", url.Values{"email": {"fresh@example.com"}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/apps" {
		t.Fatalf("sign-up: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := b.get("/account"); !strings.Contains(body, "Not verified") || !strings.Contains(body, "Check your inbox: we sent a link to verify fresh@example.com.") {
		t.Fatal("account page: want Not verified and the sign-up flash")
	}
	link := mustLink(t, env.mustMail(t, "fresh@example.com"), "/verify-email")
	if !strings.Contains(link, "token=dpe_") {
		t.Fatalf("link %s", link)
	}
	other := newBrowser(t, env.URL) // the link works in any browser
	if resp, body := other.get(link); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Your email is verified") {
		t.Fatalf("verification: %d", resp.StatusCode)
	}
	if u := mustUserByEmail(t, env, "fresh@example.com"); u.EmailVerifiedAt == nil {
		t.Fatal("not verified after the link")
	}
	if _, body := b.get("/account"); !strings.Contains(body, "Verified") || strings.Contains(body, "Resend verification email") {
		t.Fatal("account page after verification")
	}
	if resp, body := other.get(link); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "invalid, expired or already used") {
		t.Fatalf("second use: %d, want 400 with a friendly page", resp.StatusCode)
	}
	if resp, _ := other.get("/verify-email?token=dpe_nonsense"); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown link: %d", resp.StatusCode)
	}
}

// Issue #11: a sign-up with a registered address answers exactly like a new one (status,
// location, flash, body) without signing in, and mails the address's owner.
func TestSignupDoesNotRevealAccounts(t *testing.T) {
	env := newTestEnv(t)
	signup := func() (*http.Response, string, *browser) {
		b := newBrowser(t, env.URL)
		b.get("/signup")
		resp, body := b.post("/signup", url.Values{"email": {"Same@example.com"}, "password": {testPassword}})
		return resp, body, b
	}
	first, firstBody, _ := signup()
	second, secondBody, b := signup()
	if first.StatusCode != second.StatusCode || first.Header.Get("Location") != second.Header.Get("Location") || firstBody != secondBody {
		t.Fatalf("new %d %s, existing %d %s", first.StatusCode, first.Header.Get("Location"), second.StatusCode, second.Header.Get("Location"))
	}
	if f1, f2 := cookieValue(first, "devportal_flash"), cookieValue(second, "devportal_flash"); f1 == "" || f1 != f2 {
		t.Fatalf("flash differs: %q vs %q", f1, f2)
	}
	if cookieValue(second, "devportal_session") != "" {
		t.Fatal("the existing account's sign-up started a session")
	}
	if resp, _ := b.get("/apps"); resp.StatusCode != http.StatusFound {
		t.Fatalf("/apps after a duplicate sign-up: %d, want a redirect to log in", resp.StatusCode)
	}
	mails := env.mustMail(t, "same@example.com")
	var tried bool
	for _, m := range mails {
		tried = tried || m.Subject == "Someone tried to create an account with your address"
	}
	if len(mails) != 2 || !tried {
		t.Fatalf("%d mails to the owner, want the verification and the notice", len(mails))
	}
}

// Issue #11: "Resend verification email" mails a new link, at most AccountMailMax per hour.
func TestResendVerificationThrottled(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "resend@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin("resend@example.com")
	for i := range models.AccountMailMax {
		b.get("/account")
		if resp, _ := b.post("/account/verify-email", url.Values{}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("resend %d: %d", i, resp.StatusCode)
		}
	}
	b.get("/account")
	resp, body := b.post("/account/verify-email", url.Values{})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "several links") {
		t.Fatalf("one resend too many: %d", resp.StatusCode)
	}
	if n := len(env.mustMail(t, "resend@example.com")); n != models.AccountMailMax {
		t.Fatalf("%d mails, want %d", n, models.AccountMailMax)
	}
}

// Issue #11 (email change): the new address gets a link, the old one a notice; nothing changes
// until the link is opened, which needs the current password to ask for.
func TestEmailChangeFlow(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "before@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin("before@example.com")
	b.get("/account")
	if resp, body := b.post("/account/email", url.Values{"new_email": {"after@example.com"}, "password": {"not my password"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "not your current password") {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/account/email", url.Values{"new_email": {"After@example.com"}, "password": {testPassword}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d", resp.StatusCode)
	}
	if u := mustUserByEmail(t, env, "before@example.com"); u.Email != "before@example.com" {
		t.Fatal("changed before the link was opened")
	}
	old := env.mustMail(t, "before@example.com")
	if len(old) != 1 || !strings.Contains(old[0].Text, "after@example.com") {
		t.Fatalf("old address: %d mails, want a notice naming the new address", len(old))
	}
	link := mustLink(t, env.mustMail(t, "after@example.com"), "/confirm-email")
	if resp, body := newBrowser(t, env.URL).get(link); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Your email was changed") {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	u := mustUserByEmail(t, env, "after@example.com")
	if u.EmailVerifiedAt == nil {
		t.Fatal("new address not verified")
	}
	if _, err := env.Store.UserByEmail(context.Background(), "before@example.com"); err == nil {
		t.Fatal("old address still has an account")
	}
	if resp, _ := newBrowser(t, env.URL).get(link); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("second use: %d", resp.StatusCode)
	}
}

// Issue #11 (password reset): known and unknown addresses get the same answer; only a known
// one gets mail. The link sets the password once, ends every session, and an older link dies
// when a newer one is asked for.
func TestForgotPasswordFlow(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "forgot@example.com", false)
	signedIn := newBrowser(t, env.URL)
	signedIn.mustLogin("forgot@example.com")

	if _, body := newBrowser(t, env.URL).get("/login"); !strings.Contains(body, `href="/forgot-password"`) || !strings.Contains(body, "Forgot password?") {
		t.Fatal("no Forgot password? link on /login")
	}
	ask := func(email string) (*http.Response, string) {
		b := newBrowser(t, env.URL)
		b.get("/forgot-password")
		return b.post("/forgot-password", url.Values{"email": {email}})
	}
	known, knownBody := ask("forgot@example.com")
	unknown, unknownBody := ask("nobody@example.com")
	normalize := func(s, email string) string { return strings.ReplaceAll(s, email, "ADDRESS") }
	if known.StatusCode != http.StatusOK || known.StatusCode != unknown.StatusCode ||
		normalize(knownBody, "forgot@example.com") != normalize(unknownBody, "nobody@example.com") ||
		!strings.Contains(knownBody, "If an account uses that address") && !strings.Contains(knownBody, "If an account uses forgot@example.com") {
		t.Fatalf("known %d, unknown %d: want identical pages", known.StatusCode, unknown.StatusCode)
	}
	if n := len(env.mustMail(t, "nobody@example.com")); n != 0 {
		t.Fatalf("%d mails to an unknown address", n)
	}
	older := mustLink(t, env.mustMail(t, "forgot@example.com"), "/reset-password")
	ask("forgot@example.com")
	link := mustLink(t, env.mustMail(t, "forgot@example.com"), "/reset-password")
	if older == link || !strings.Contains(link, "token=dpp_") {
		t.Fatalf("links %s / %s", older, link)
	}
	b := newBrowser(t, env.URL)
	if resp, _ := b.get(older); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("older link after a newer request: %d, want 400", resp.StatusCode)
	}
	resp, body := b.get(link)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "New password") || !strings.Contains(body, "Set password") {
		t.Fatalf("reset page: %d", resp.StatusCode)
	}
	token, _ := url.ParseQuery(strings.SplitN(link, "?", 2)[1])
	resp, _ = b.post("/reset-password", url.Values{"token": {token.Get("token")}, "new_password": {"a completely new passphrase"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("set password: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := signedIn.get("/account"); resp.StatusCode != http.StatusFound {
		t.Fatalf("the existing session survived the reset: %d", resp.StatusCode)
	}
	if _, err := env.Store.Authenticate(context.Background(), "forgot@example.com", "a completely new passphrase"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if resp, _ := b.post("/reset-password", url.Values{"token": {token.Get("token")}, "new_password": {"yet another passphrase"}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("second use: %d, want 400", resp.StatusCode)
	}
	events, _ := env.Store.AuditEvents(context.Background(), models.AuditFilter{Type: models.AuditPasswordReset})
	if len(events) != 1 || events[0].Target != "forgot@example.com" {
		t.Fatalf("audit: %+v", events)
	}
}

// Issue #11: an admin mails a reset link and unlocks a throttled account, each through a
// confirmation page, audited; and marks a verified publisher, shown on consent.
func TestAdminMailActionsAndPublisherBadge(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "root@example.com", true)
	dev := env.mustUser(t, "dev@example.com", false)
	id := func(u *models.User) string { return strconv.FormatInt(u.ID, 10) }
	admin := newBrowser(t, env.URL)
	admin.mustLogin("root@example.com")

	if _, body := admin.get("/admin/users"); !strings.Contains(body, "Send password reset") || !strings.Contains(body, "Unlock") || !strings.Contains(body, "Mark verified publisher") {
		t.Fatal("user row actions missing")
	}
	if resp, body := admin.get("/admin/users/" + id(dev) + "/send-reset"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Send password reset") {
		t.Fatalf("confirmation: %d", resp.StatusCode)
	}
	if resp, _ := admin.post("/admin/users/"+id(dev)+"/send-reset", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send reset: %d", resp.StatusCode)
	}
	mustLink(t, env.mustMail(t, "dev@example.com"), "/reset-password")

	for range models.LoginEmailMax {
		env.Store.Login(context.Background(), "dev@example.com", "a wrong password!", "10.9.9.9")
	}
	locked := newBrowser(t, env.URL)
	locked.get("/login")
	if resp, _ := locked.post("/login", url.Values{"email": {"dev@example.com"}, "password": {testPassword}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("locked login: %d", resp.StatusCode)
	}
	admin.get("/admin/users/" + id(dev) + "/unlock")
	if resp, _ := admin.post("/admin/users/"+id(dev)+"/unlock", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unlock: %d", resp.StatusCode)
	}
	locked.mustLogin("dev@example.com")

	client, _ := env.mustClient(t, dev, models.ClientWeb, []string{"https://shop.example/cb"}, "INVOICE.READ")
	env.mustUser(t, "user@example.com", false)
	user := newBrowser(t, env.URL)
	user.mustLogin("user@example.com")
	consent := "/oauth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {client.ID}, "redirect_uri": {"https://shop.example/cb"},
		"scope": {"INVOICE.READ"}, "state": {"s"}, "code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}.Encode()
	if resp, body := user.get(consent); resp.StatusCode != http.StatusOK || !strings.Contains(body, ">Unverified publisher<") || strings.Contains(body, ">Verified publisher<") {
		t.Fatalf("consent before: %d, want the publisher marked unverified", resp.StatusCode)
	}
	admin.get("/admin/users/" + id(dev) + "/verify-publisher")
	if resp, _ := admin.post("/admin/users/"+id(dev)+"/verify-publisher", url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("verify publisher: %d", resp.StatusCode)
	}
	if _, body := user.get(consent); !strings.Contains(body, ">Verified publisher<") {
		t.Fatal("consent after: no Verified publisher badge")
	}
	for _, typ := range []string{models.AuditPasswordResetSent, models.AuditLoginUnlocked, models.AuditPublisherVerified} {
		if ev, _ := env.Store.AuditEvents(context.Background(), models.AuditFilter{Type: typ}); len(ev) != 1 || ev[0].Target != "dev@example.com" || ev[0].Actor != "root@example.com" {
			t.Errorf("audit %s: %+v", typ, ev)
		}
	}
}
