package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
)

// mustPostThenGet submits a form that makes a secret as a browser does: the POST must answer
// 303 See Other (to want, or anywhere when want is "") with the secret nowhere in its answer, and
// the page it points to is loaded and returned, as the browser would show it. Issue #13: the
// page showing a new secret is never the POST's own answer, so a reload repeats nothing.
func (b *browser) mustPostThenGet(path string, form url.Values, want string) (*http.Response, string) {
	b.t.Helper()
	resp, body := b.post(path, form)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || (want != "" && loc != want) {
		b.t.Fatalf("POST %s: status %d to %q, want 303 See Other to %q\n%s", path, resp.StatusCode, loc, want, body)
	}
	for _, leak := range []string{`id="client-secret"`, `id="recovery-codes"`, "dps_"} {
		if strings.Contains(body, leak) || strings.Contains(loc, leak) {
			b.t.Fatalf("POST %s: the answer carries %s", path, leak)
		}
	}
	return b.get(loc)
}

// Issue #13, "Reload repeats the action": creating and rotating end on /apps/{id} (303), which
// shows the new secret once, to the session that made it: a second load of the page, or the
// same developer's other session, sees no secret; the page that shows it is not cacheable, and
// the secret box is a labelled region, not a live alert a screen reader would read aloud.
func TestClientSecretRevealedOnce(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "dev@example.com", false)
	first, second := newBrowser(t, env.URL), newBrowser(t, env.URL)
	first.mustLogin("dev@example.com")
	second.mustLogin("dev@example.com")

	first.get("/apps/new")
	resp, _ := first.post("/apps", url.Values{"name": {"Sync"}, "type": {"machine"}, "scopes": {"INVOICE.READ"}})
	page := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(page, "/apps/dp_") {
		t.Fatalf("create: %d to %q, want 303 to the application page", resp.StatusCode, page)
	}
	id := strings.TrimPrefix(page, "/apps/")
	mustShowOnce := func(what string) string {
		t.Helper()
		if resp, body := second.get(page); resp.StatusCode != http.StatusOK || strings.Contains(body, `id="client-secret"`) {
			t.Fatalf("%s: the developer's other session sees the secret (status %d)", what, resp.StatusCode)
		}
		resp, body := first.get(page)
		secret := codeText(body, "client-secret")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(secret, "dps_") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: status %d, secret %q, Cache-Control %q", what, resp.StatusCode, secret, resp.Header.Get("Cache-Control"))
		}
		if !strings.Contains(body, "It will not be shown again") || strings.Contains(body, `role="alert"`) ||
			!strings.Contains(body, `<section class="secret-box" aria-labelledby="new-secret-heading">`) {
			t.Errorf("%s: the secret box is not a labelled region saying it is shown once", what)
		}
		resp, body = first.get(page)
		if resp.StatusCode != http.StatusOK || strings.Contains(body, `id="client-secret"`) || strings.Contains(body, secret) || strings.Contains(body, "flash-error") {
			t.Fatalf("%s: the reload shows the secret again, or an error (status %d)", what, resp.StatusCode)
		}
		return secret
	}
	created := mustShowOnce("create")
	if !authenticatesAt(t, env, time.Now(), id, created) {
		t.Fatal("the secret shown does not authenticate")
	}

	first.get(page + "/rotate")
	if resp, _ := first.post(page+"/rotate", url.Values{"keep": {"now"}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page {
		t.Fatalf("rotate: %d to %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	rotated := mustShowOnce("rotate")
	if rotated == created || !authenticatesAt(t, env, time.Now(), id, rotated) || authenticatesAt(t, env, time.Now(), id, created) {
		t.Fatal("after rotate-now, the shown secret does not authenticate, or the old one still does")
	}
	if c, err := env.Store.ClientByID(context.Background(), id); err != nil || len(c.Secrets) != 1 {
		t.Fatalf("client %+v, %v: want exactly one working secret", c, err)
	}
	mustAuditCount(t, env, models.AuditSecretCreated, id, 1)
}

// Issue #13: the recovery codes of "Turn on" and "Regenerate recovery codes" are shown once, on
// the page the POST redirects to, to that session only; loaded again it goes to the security
// page, which does not show them.
func TestRecoveryCodesRevealedOnce(t *testing.T) {
	env, clock := newTOTPEnv(t, nil)
	env.mustUser(t, "ada@example.com", false)
	first, second := newBrowser(t, env.URL), newBrowser(t, env.URL)
	first.mustLogin("ada@example.com")
	second.mustLogin("ada@example.com")
	const page = "/account/security/totp/recovery-codes"

	mustShowOnce := func(what string) []string {
		t.Helper()
		if resp, body := second.get(page); resp.StatusCode != http.StatusSeeOther || strings.Contains(body, `id="recovery-codes"`) {
			t.Fatalf("%s: the other session's recovery-codes page: %d, want 303 and no codes", what, resp.StatusCode)
		}
		resp, body := first.get(page)
		list := recoveryListRe.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || list == nil || resp.Header.Get("Cache-Control") != "no-store" || strings.Contains(body, `role="alert"`) {
			t.Fatalf("%s: status %d, Cache-Control %q, want the codes in a page that is not cached nor an alert\n%s", what, resp.StatusCode, resp.Header.Get("Cache-Control"), body)
		}
		var codes []string
		for _, c := range recoveryCodeRe.FindAllStringSubmatch(list[1], -1) {
			codes = append(codes, c[1])
		}
		resp, _ = first.get(page)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/account/security") {
			t.Fatalf("%s: reload: %d to %q, want 303 to the security page", what, resp.StatusCode, resp.Header.Get("Location"))
		}
		if body := first.follow(resp); strings.Contains(body, codes[0]) || strings.Contains(body, "flash-error") {
			t.Fatalf("%s: after the reload the security page shows a code or an error", what)
		}
		return codes
	}

	first.get("/account/security")
	first.post("/account/security/totp/setup", url.Values{})
	_, body := first.get("/account/security")
	secret := totpSecretRe.FindStringSubmatch(body)[1]
	if resp, _ := first.post("/account/security/totp/enable", url.Values{"code": {codeAt(t, secret, clock.Now())}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page {
		t.Fatalf("turn on: %d to %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	enabled := mustShowOnce("turn on")

	clock.nextStep()
	first.get("/account/security")
	if resp, _ := first.post(page, url.Values{"code": {codeAt(t, secret, clock.Now())}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page {
		t.Fatalf("regenerate: %d to %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	regenerated := mustShowOnce("regenerate")
	if len(enabled) != models.RecoveryCodeCount || len(regenerated) != models.RecoveryCodeCount || enabled[0] == regenerated[0] {
		t.Fatalf("codes %v then %v: want two different sets of %d", enabled, regenerated, models.RecoveryCodeCount)
	}
}
