package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Issue 11, Sessions: /account/security lists the account's live sessions and signs out any
// other one; a session of someone else's cannot be ended from here.
func TestSecuritySessions(t *testing.T) {
	env := newTestEnv(t)
	u := env.mustUser(t, "user@example.com", false)
	env.mustUser(t, "other@example.com", false)
	here, laptop, stranger := newBrowser(t, env.URL), newBrowser(t, env.URL), newBrowser(t, env.URL)
	here.mustLogin(u.Email)
	laptop.mustLogin(u.Email)
	stranger.mustLogin("other@example.com")

	resp, body := here.get("/account/security")
	if resp.StatusCode != http.StatusOK || strings.Count(body, "<tr>") != 3 || !strings.Contains(body, "This browser") {
		t.Fatalf("%d: want two sessions listed (and the header row)\n%s", resp.StatusCode, body)
	}
	forms := regexp.MustCompile(`action="(/account/sessions/[0-9a-f]+/sign-out)"`).FindAllStringSubmatch(body, -1)
	if len(forms) != 1 {
		t.Fatalf("want one Sign out form (the other session; not this one), got %v", forms)
	}
	// Someone else cannot end it.
	stranger.get("/account/security")
	if resp, _ := stranger.post(forms[0][1], url.Values{}); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another user's POST: %d, want 404", resp.StatusCode)
	}
	if resp, _ := laptop.get("/account"); resp.StatusCode != http.StatusOK {
		t.Fatal("the laptop was signed out by someone else's request")
	}
	if resp, _ := here.post(forms[0][1], url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if resp, _ := laptop.get("/account"); resp.StatusCode != http.StatusFound {
		t.Fatal("the laptop is still signed in")
	}
	if resp, _ := here.get("/account"); resp.StatusCode != http.StatusOK {
		t.Fatal("signing out the other session ended this one")
	}
	if got := env.mustMail(t, u.Email); len(got) != 1 || got[0].Subject != "A session of your account was signed out" {
		t.Fatalf("mail after signing a session out: %+v", got)
	}
	sessions, err := env.Store.UserSessions(context.Background(), u.ID, time.Now().UTC())
	if err != nil || len(sessions) != 1 {
		t.Fatalf("%d sessions left (%v), want 1", len(sessions), err)
	}
}
