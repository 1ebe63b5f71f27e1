package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
	"github.com/devportal/devportal/web"
)

// Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document-02; section
// numbers are -02's), through the real server.

var cimdVars = map[string]string{"DEVPORTAL_CIMD": "on", "DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH": "true"}

// cimdApp serves a client's metadata document on loopback: its URL is the client_id.
type cimdApp struct {
	ClientID, Redirect string
	srv                *httptest.Server
}

func newCIMDApp(t *testing.T, tweak func(doc map[string]any)) *cimdApp {
	t.Helper()
	app := &cimdApp{Redirect: "http://127.0.0.1:9/callback"}
	app.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc := map[string]any{"client_id": app.ClientID, "client_name": "Loopback Agent", "redirect_uris": []string{app.Redirect},
			"grant_types": []string{"authorization_code", "refresh_token"}, "token_endpoint_auth_method": "none",
			"scope": "INVOICE.READ offline_access"}
		if tweak != nil {
			tweak(doc)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=600")
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(app.srv.Close)
	app.ClientID = app.srv.URL + "/oauth/client.json"
	return app
}

func (a *cimdApp) config(env *testEnv) *oauth2.Config {
	return &oauth2.Config{ClientID: a.ClientID, RedirectURL: a.Redirect, Scopes: []string{"INVOICE.READ", "offline_access"},
		Endpoint: oauth2.Endpoint{AuthURL: env.URL + "/oauth/authorize", TokenURL: env.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
}

// TestCIMDEndToEnd: a public client known only by the URL of its metadata document completes
// code + PKCE with golang.org/x/oauth2 (§5: the server fetches the document at the authorization
// request); the consent page names its host and says it is not registered here; an admin's
// block of the host then stops its refresh token at the token endpoint, and unblocking (on its
// confirmation page) lets it work again.
func TestCIMDEndToEnd(t *testing.T) {
	env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{vars: cimdVars})
	ctx := context.Background()
	env.mustUser(t, "user@example.com", false)
	env.mustUser(t, "admin@example.com", true)
	app := newCIMDApp(t, nil)
	conf := app.config(env)

	b := newBrowser(t, env.URL)
	b.mustLogin("user@example.com")
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier))
	resp, body := b.get(authURL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize: status %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{"Loopback Agent", "This application is not registered with devportal; it identifies itself by", `<strong class="consent-host">127.0.0.1</strong>`} {
		if !strings.Contains(body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	back := authorizeInBrowser(t, b, authURL, "allow")
	code := back.Query().Get("code")
	if code == "" || back.Query().Get("state") != "st-1" {
		t.Fatalf("redirect back = %s", back)
	}
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("token = %+v", tok)
	}
	c, err := env.Store.ClientByID(ctx, app.ClientID)
	if err != nil || !c.MetadataDocument || c.Type != models.ClientNative {
		t.Fatalf("clients row = %+v, %v", c, err)
	}

	admin := newBrowser(t, env.URL)
	admin.mustLogin("admin@example.com")
	if resp, body := admin.get("/admin/client-hosts"); resp.StatusCode != http.StatusOK || !strings.Contains(body, ">Block host</button>") || !strings.Contains(body, `<label for="host" class="required">Host</label>`) {
		t.Fatalf("client hosts page: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := admin.post("/admin/client-hosts", url.Values{"host": {"127.0.0.1"}, "reason": {"test block"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("block: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := admin.post("/admin/client-hosts", url.Values{"host": {"not a host!"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter a host name") {
		t.Fatalf("bad host: %d\n%s", resp.StatusCode, body)
	}
	if _, body := admin.get("/admin/client-hosts"); !strings.Contains(body, "<code>127.0.0.1</code>") || !strings.Contains(body, "test block") {
		t.Fatalf("blocked host not listed:\n%s", body)
	}

	refresh := func() (*http.Response, map[string]any) {
		resp, err := http.PostForm(env.URL+"/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {app.ClientID}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}
	resp, out := refresh()
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusBadRequest || out["error"] != "invalid_client" || !strings.Contains(out["error_description"].(string), "blocked") {
		t.Fatalf("refresh of a blocked host: %d %v", resp.StatusCode, out)
	}
	resp, body = b.get(authURL)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "This application is blocked on this server") {
		t.Fatalf("authorize of a blocked host: %d\n%s", resp.StatusCode, body)
	}

	resp, body = admin.get("/admin/client-hosts/127.0.0.1/unblock")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, ">Unblock</button>") || !strings.Contains(body, "Reason") {
		t.Fatalf("unblock confirmation: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := admin.post("/admin/client-hosts/127.0.0.1/unblock", url.Values{"reason": {"false alarm"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unblock: %d\n%s", resp.StatusCode, body)
	}
	if resp, out := refresh(); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh after unblock: %d %v", resp.StatusCode, out)
	}
	for _, typ := range []string{models.AuditHostBlocked, models.AuditHostUnblocked, models.AuditMetadataClientSeen} {
		events, err := env.Store.AuditEvents(ctx, models.AuditFilter{Type: typ})
		if err != nil || len(events) != 1 {
			t.Errorf("audit %s: %v %v", typ, events, err)
		}
	}
	events, _ := env.Store.AuditEvents(ctx, models.AuditFilter{Type: models.AuditHostBlocked})
	if len(events) == 1 && (events[0].Actor != "admin@example.com" || !strings.Contains(events[0].Detail, "test block")) {
		t.Errorf("block audit = %+v", events[0])
	}

	t.Run("the user's authorized apps and the admin console link it by its escaped id", func(t *testing.T) {
		escaped := url.PathEscape(app.ClientID)
		if _, body := b.get("/account/apps"); !strings.Contains(body, "/account/apps/"+escaped+"/revoke") {
			t.Fatalf("authorized apps page lacks the revoke link:\n%s", body)
		}
		if resp, body := b.get("/account/apps/" + escaped + "/revoke"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Loopback Agent") {
			t.Fatalf("revoke confirmation: %d\n%s", resp.StatusCode, body)
		}
		if _, body := admin.get("/admin/clients"); !strings.Contains(body, `href="/admin/clients/`+escaped+`"`) {
			t.Fatalf("admin list lacks the client's link:\n%s", body)
		}
		if _, body := admin.get("/admin/clients"); !strings.Contains(body, ">metadata document</span>") {
			t.Errorf("admin list does not mark the client as identified by its metadata document")
		}
		if resp, body := admin.get("/admin/clients/" + escaped); resp.StatusCode != http.StatusOK || !strings.Contains(body, app.ClientID) {
			t.Fatalf("admin client page: %d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("an admin's suspension through the console stops it", func(t *testing.T) {
		path := "/admin/clients/" + url.PathEscape(app.ClientID) + "/suspend"
		if resp, body := admin.get(path); resp.StatusCode != http.StatusOK {
			t.Fatalf("suspend confirmation: %d\n%s", resp.StatusCode, body)
		}
		if resp, body := admin.post(path, url.Values{}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("suspend: %d\n%s", resp.StatusCode, body)
		}
		resp, body := b.get(authURL)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "This application is not available") {
			t.Fatalf("authorize of a suspended client: %d\n%s", resp.StatusCode, body)
		}
	})
}

// TestCIMDRefusals: what the authorization endpoint shows a person when the URL client_id
// cannot be used. §8.6: without DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH the server never fetches from
// loopback, even through a name; §4: a document whose client_id is not its URL is refused.
func TestCIMDRefusals(t *testing.T) {
	user := func(t *testing.T, env *testEnv) *browser {
		env.mustUser(t, "user@example.com", false)
		b := newBrowser(t, env.URL)
		b.mustLogin("user@example.com")
		return b
	}
	authorize := func(t *testing.T, b *browser, env *testEnv, clientID, redirect string) (int, string) {
		q := url.Values{"client_id": {clientID}, "response_type": {"code"}, "redirect_uri": {redirect},
			"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
		resp, body := b.get("/oauth/authorize?" + q.Encode())
		return resp.StatusCode, body
	}
	t.Run("loopback is refused without the development flag", func(t *testing.T) {
		env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{vars: map[string]string{"DEVPORTAL_CIMD": "on"}})
		b := user(t, env)
		hits := 0
		tlsApp := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
		defer tlsApp.Close()
		for _, id := range []string{
			strings.Replace(tlsApp.URL, "127.0.0.1", "localhost", 1) + "/client.json", // a name that dials loopback
			tlsApp.URL + "/client.json",
			"http://127.0.0.1:9/client.json",
		} {
			status, body := authorize(t, b, env, id, "http://127.0.0.1:9/callback")
			if status != http.StatusBadRequest || !strings.Contains(body, "invalid_client") {
				t.Fatalf("%s: status %d\n%s", id, status, body)
			}
			if strings.HasPrefix(id, "https") && !strings.Contains(body, "loopback") {
				t.Errorf("%s: the page does not say the address is loopback:\n%s", id, body)
			}
		}
		if hits != 0 {
			t.Fatalf("%d requests reached the loopback server", hits)
		}
	})
	t.Run("a private address is refused", func(t *testing.T) {
		env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{vars: cimdVars})
		b := user(t, env)
		for _, id := range []string{"https://10.0.0.1/client.json", "https://169.254.169.254/latest/client.json"} {
			status, body := authorize(t, b, env, id, "http://127.0.0.1:9/callback")
			if status != http.StatusBadRequest || !strings.Contains(body, "private") && !strings.Contains(body, "link-local") {
				t.Fatalf("%s: status %d\n%s", id, status, body)
			}
		}
	})
	t.Run("§4: a document whose client_id is not its URL", func(t *testing.T) {
		env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{vars: cimdVars})
		b := user(t, env)
		app := newCIMDApp(t, func(doc map[string]any) { doc["client_id"] = "https://app.example.com/client.json" })
		status, body := authorize(t, b, env, app.ClientID, app.Redirect)
		if status != http.StatusBadRequest || !strings.Contains(body, "This application could not be identified") || !strings.Contains(body, "must be exactly the URL") {
			t.Fatalf("status %d\n%s", status, body)
		}
		if _, err := env.Store.ClientByID(context.Background(), app.ClientID); err == nil {
			t.Fatal("a refused document made a clients row")
		}
	})
	t.Run("off: a URL client_id is refused without a fetch", func(t *testing.T) {
		env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{})
		b := user(t, env)
		hits := 0
		app := newCIMDApp(t, func(map[string]any) { hits++ })
		status, body := authorize(t, b, env, app.ClientID, app.Redirect)
		if status != http.StatusBadRequest || !strings.Contains(body, "does not accept client ID metadata documents") || hits != 0 {
			t.Fatalf("status %d, %d fetches\n%s", status, hits, body)
		}
	})
}

// TestCIMDMetadataAdvertised: RFC 8414 and OpenID discovery advertise
// client_id_metadata_document_supported (§6) exactly when DEVPORTAL_CIMD is on.
func TestCIMDMetadataAdvertised(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want bool
	}{{nil, false}, {map[string]string{"DEVPORTAL_CIMD": "off"}, false}, {map[string]string{"DEVPORTAL_CIMD": "on"}, true}} {
		env := newTestEnvOpts(t, storetest.SQLite(t), envOptions{vars: tc.vars})
		for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
			resp, err := http.Get(env.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			var md map[string]any
			json.NewDecoder(resp.Body).Decode(&md)
			resp.Body.Close()
			got, present := md["client_id_metadata_document_supported"]
			if present != tc.want || (present && got != true) {
				t.Errorf("%v %s: client_id_metadata_document_supported = %v (present %v), want %v", tc.vars, path, got, present, tc.want)
			}
		}
	}
}

func TestCIMDConfig(t *testing.T) {
	base := map[string]string{"DEVPORTAL_SECRET": strings.Repeat("s", 32)}
	for _, tc := range []struct {
		vars     map[string]string
		cimd, lb bool
		bad      string
	}{
		{nil, false, false, ""},
		{map[string]string{"DEVPORTAL_CIMD": "on"}, true, false, ""},
		{map[string]string{"DEVPORTAL_CIMD": "on", "DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH": "true"}, true, true, ""},
		{map[string]string{"DEVPORTAL_CIMD": "yes"}, false, false, "DEVPORTAL_CIMD"},
		{map[string]string{"DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH": "1"}, false, false, "DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH"},
	} {
		cfg, err := web.ConfigFromEnv(func(k string) string {
			if v, ok := tc.vars[k]; ok {
				return v
			}
			return base[k]
		})
		switch {
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("%v: err = %v, want one naming %s", tc.vars, err, tc.bad)
		case tc.bad == "" && err != nil:
			t.Errorf("%v: %v", tc.vars, err)
		case tc.bad == "" && (cfg.CIMD != tc.cimd || cfg.DevAllowLoopbackFetch != tc.lb):
			t.Errorf("%v: CIMD %v, loopback %v", tc.vars, cfg.CIMD, cfg.DevAllowLoopbackFetch)
		}
	}
}
