package web_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/devportal/devportal/handlers"
)

// setCookie puts a cookie of the attacker's choosing into b's jar, as a sibling subdomain or
// a page on another port of the same host could.
func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.base)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// Issue #8 finding 12: the flash cookie is signed under a key derived from the server secret,
// so a planted cookie cannot put a message of the attacker's choosing on our pages, while the
// flashes the server sets still show.
func TestFlashCookieIsSigned(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "flash@example.com", false)
	b := newBrowser(t, env.URL)
	b.mustLogin("flash@example.com")

	// A real flash: signing out everywhere says so on the login page.
	b.get("/account/sign-out-everywhere")
	resp, _ := b.post("/account/sign-out-everywhere", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: status %d", resp.StatusCode)
	}
	var real string
	for _, ck := range resp.Cookies() {
		if ck.Name == handlers.FlashCookie && ck.Value != "" {
			real = ck.Value
		}
	}
	if real == "" {
		t.Fatal("no flash cookie set")
	}
	if _, body := b.get(resp.Header.Get("Location")); !strings.Contains(body, "You were signed out everywhere") {
		t.Fatalf("the server's own flash is not shown:\n%s", body)
	}

	forged := base64.RawURLEncoding.EncodeToString([]byte("error|You have been hacked"))
	payload, mac, _ := strings.Cut(real, ".")
	altered := base64.RawURLEncoding.EncodeToString([]byte("error|You have been hacked")) + "." + mac
	for name, value := range map[string]string{
		"unsigned, the old format":         forged,
		"another message under a real MAC": altered,
		"a made-up signature":              forged + "." + base64.RawURLEncoding.EncodeToString([]byte("not a mac at all, 32 bytes long!")),
		"a real payload with no MAC":       payload,
	} {
		t.Run(name, func(t *testing.T) {
			b.setCookie(handlers.FlashCookie, value)
			_, body := b.get("/login")
			if strings.Contains(body, "hacked") || strings.Contains(body, "signed out everywhere") {
				t.Fatalf("a forged flash cookie was shown:\n%s", body)
			}
		})
	}
}
