package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// Issue 12 (logging): the server's log of a whole flow (sign-up, a wrong password, an app, its
// secret, consent, the code, tokens, refresh, introspection, userinfo, a wrong client secret)
// holds none of the secrets used in it, in either log format.
func TestLogsHoldNoSecrets(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			logs := &syncBuffer{}
			env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{logs: logs, vars: map[string]string{"DEVPORTAL_LOG_FORMAT": format}})
			dev := env.mustUser(t, "dev@example.com", false)
			u := env.mustUser(t, "user@example.com", false)
			const redirect = "https://rp.example/cb"
			client, secret := env.mustClient(t, dev, models.ClientWeb, []string{redirect}, "openid", "email", "offline_access", "INVOICE.READ")

			b := newBrowser(t, env.URL)
			const wrong = "not the password at all"
			b.get("/login")
			b.post("/login", url.Values{"email": {u.Email}, "password": {wrong}})
			b.mustLogin(u.Email)
			session := b.cookie("devportal_session")
			loc := authorizeInBrowser(t, b, "/oauth/authorize?"+url.Values{"client_id": {client.ID}, "redirect_uri": {redirect}, "response_type": {"code"},
				"scope": {"openid email offline_access"}, "state": {"st"}}.Encode(), "allow")
			code := loc.Query().Get("code")
			post := func(path string, form url.Values, user, pass string) map[string]any {
				req, _ := http.NewRequest(http.MethodPost, env.URL+path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(user, pass)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var out map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&out)
				return out
			}
			tok := post("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}, client.ID, secret)
			at, _ := tok["access_token"].(string)
			rt, _ := tok["refresh_token"].(string)
			idt, _ := tok["id_token"].(string)
			if at == "" || rt == "" || idt == "" {
				t.Fatalf("token response %v", tok)
			}
			refreshed := post("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, client.ID, secret)
			rt2, _ := refreshed["refresh_token"].(string)
			post("/oauth/introspect", url.Values{"token": {at}}, client.ID, secret)
			post("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt2}}, client.ID, "a wrong client secret")
			post("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}, client.ID, secret) // a replayed code
			req, _ := http.NewRequest(http.MethodGet, env.URL+"/oauth/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+at)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}

			log := logs.String()
			if !strings.Contains(log, "/oauth/token") {
				t.Fatalf("the log does not show the flow at all:\n%s", log)
			}
			for name, s := range map[string]string{
				"password": testPassword, "wrong password": wrong, "client secret": secret, "code": code, "access token": at,
				"refresh token": rt, "rotated refresh token": rt2, "ID token": idt, "session cookie": session,
			} {
				if s == "" {
					t.Fatalf("%s is empty: the flow did not run", name)
				}
				if strings.Contains(log, s) {
					t.Errorf("the %s log holds the %s", format, name)
				}
			}
		})
	}
}
