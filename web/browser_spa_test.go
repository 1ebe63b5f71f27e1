package web_test

import (
	"encoding/json"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/devportal/devportal/models"
)

// spaPage is a single-page application as a developer would write one with no library: it
// discovers the server from its metadata, signs in with the authorization code flow and PKCE
// S256, and calls the token endpoint with fetch. It is served by the test, never by the product,
// so its script is inline. When it is done it adds <p id="done"> and puts what it got in
// <pre id="result"> as JSON.
var spaPage = template.Must(template.New("spa").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Test SPA</title></head>
<body>
<h1>Test SPA</h1>
<button id="signin" type="button" disabled>Sign in with devportal</button>
<pre id="result"></pre>
<script>
const issuer = {{.Issuer}}, clientID = {{.ClientID}}, redirectURI = location.origin + "/callback";
const b64url = bytes => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const discover = async () => {
  const r = await fetch(issuer + "/.well-known/oauth-authorization-server");
  if (!r.ok) throw new Error("metadata: HTTP " + r.status);
  return r.json();
};
const post = async (endpoint, params, asJSON) => {
  const r = await fetch(endpoint, asJSON
    ? {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(params)}
    : {method: "POST", body: new URLSearchParams(params)});
  return {status: r.status, body: await r.json()};
};
const finish = result => {
  document.getElementById("result").textContent = JSON.stringify(result);
  const done = document.createElement("p");
  done.id = "done";
  done.textContent = "done";
  document.body.append(done);
};
const run = async () => {
  if (location.pathname === "/") {
    const md = await discover();
    const button = document.getElementById("signin");
    button.onclick = async () => {
      const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
      const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
      const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
      sessionStorage.setItem("verifier", verifier);
      sessionStorage.setItem("state", state);
      const u = new URL(md.authorization_endpoint);
      u.search = new URLSearchParams({response_type: "code", client_id: clientID, redirect_uri: redirectURI,
        scope: "INVOICE.READ", state, code_challenge: challenge, code_challenge_method: "S256"});
      location.assign(u);
    };
    button.disabled = false;
    return;
  }
  const q = new URLSearchParams(location.search);
  if (q.get("state") !== sessionStorage.getItem("state")) throw new Error("state does not match");
  if (q.get("iss") !== issuer) throw new Error("iss is " + q.get("iss"));
  const md = await discover();
  const exchange = await post(md.token_endpoint, {grant_type: "authorization_code", code: q.get("code"),
    redirect_uri: redirectURI, code_verifier: sessionStorage.getItem("verifier"), client_id: clientID});
  const refresh = await post(md.token_endpoint, {grant_type: "refresh_token", refresh_token: exchange.body.refresh_token, client_id: clientID});
  // A JSON body is not a "simple" request: the browser sends a preflight first.
  const compat = await post(issuer + "/oauth/tokens", {grant_type: "refresh_token", refresh_token: refresh.body.refresh_token, client_id: clientID}, true);
  const failure = await post(md.token_endpoint, {grant_type: "authorization_code", code: "dpc_unknown",
    redirect_uri: redirectURI, code_verifier: sessionStorage.getItem("verifier"), client_id: clientID});
  finish({exchange, refresh, compat, failure});
};
run().catch(e => finish({error: String(e)}));
</script>
</body></html>`))

// otherPage is a page on an origin the application does not allow, holding a stolen refresh
// token: it can read the public metadata, but the browser hides the token endpoint's answer
// from it, and the server refuses the request before rotating anything.
var otherPage = template.Must(template.New("other").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Another site</title></head>
<body>
<pre id="result"></pre>
<script>
const issuer = {{.Issuer}}, clientID = {{.ClientID}}, refreshToken = {{.RefreshToken}};
(async () => {
  const out = {};
  try {
    const md = await (await fetch(issuer + "/.well-known/oauth-authorization-server")).json();
    out.metadata = md.issuer;
    try {
      const r = await fetch(md.token_endpoint, {method: "POST", body: new URLSearchParams({grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientID})});
      out.token = "readable: HTTP " + r.status;
    } catch (e) {
      out.token = "blocked";
    }
  } catch (e) {
    out.error = String(e);
  }
  document.getElementById("result").textContent = JSON.stringify(out);
  const done = document.createElement("p");
  done.id = "done";
  done.textContent = "done";
  document.body.append(done);
})();
</script>
</body></html>`))

type spaResult struct {
	Error    string       `json:"error"`
	Exchange spaResponse  `json:"exchange"`
	Refresh  spaResponse  `json:"refresh"`
	Compat   spaResponse  `json:"compat"`
	Failure  spaErrorBody `json:"failure"`
}

type spaResponse struct {
	Status int            `json:"status"`
	Body   map[string]any `json:"body"`
}

type spaErrorBody struct {
	Status int               `json:"status"`
	Body   map[string]string `json:"body"`
}

// serveLoopback serves h on a fresh loopback port and returns its origin under host (localhost
// or 127.0.0.1), so the test can give the SPA an origin of its own.
func serveLoopback(t *testing.T, host string, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return "http://" + host + ":" + port
}

// TestBrowserSinglePageApp is finding 9 of issue #8 end to end in headless Chromium: a page on
// another loopback origin (http://localhost:…, the portal being http://127.0.0.1:…) discovers the
// server, signs a user in with the code flow and PKCE S256, and exchanges and refreshes with
// fetch, which works only because the token endpoint answers CORS for the application's origin
// (RFC 9700, "Usage of CORS"). A page on an origin the application does not allow can read the
// metadata but not the token endpoint, and its request changes nothing.
func TestBrowserSinglePageApp(t *testing.T) {
	chromium := mustChromium(t)
	env := newTestEnv(t)
	ctx := newChromium(t, chromium)
	const endUser = "end.user@example.com"
	dev := env.mustUser(t, "developer@example.com", false)
	env.mustUser(t, endUser, false)

	var clientID string
	spaMux := http.NewServeMux()
	spaMux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		spaPage.Execute(w, map[string]string{"Issuer": env.URL, "ClientID": clientID})
	})
	spaMux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		spaPage.Execute(w, map[string]string{"Issuer": env.URL, "ClientID": clientID})
	})
	spa := serveLoopback(t, "localhost", spaMux)
	client, _ := env.mustClient(t, dev, models.ClientNative, []string{spa + "/callback"}, "INVOICE.READ")
	clientID = client.ID

	mustDo(t, ctx, "open the single-page app and let it discover the server",
		chromedp.Navigate(spa+"/"),
		chromedp.WaitVisible(chromedp.Search(`//p[@id="done"] | //button[normalize-space()="Sign in with devportal" and not(@disabled)]`)),
	)
	if failed := mustRun(t, ctx, "read the app's state", chromedp.Text(chromedp.ID("result"))); failed != "" {
		t.Fatalf("the app could not start: %s", failed)
	}
	mustDo(t, ctx, "sign in: the app sends the browser to the authorization endpoint",
		chromedp.Click(button("Sign in with devportal")),
		chromedp.WaitVisible(button("Log in")),
	)
	if loc := mustRun(t, ctx, "read location", chromedp.Location()); !strings.HasPrefix(loc, env.URL+"/login?next=") {
		t.Fatalf("the app's sign-in went to %s; want the portal's log-in page", loc)
	}
	mustDo(t, ctx, "log in as the end user",
		chromedp.SendKeys(byLabel("Email"), endUser),
		chromedp.SendKeys(byLabel("Password"), testPassword),
		chromedp.Click(button("Log in")),
		chromedp.WaitVisible(button("Allow")),
	)
	mustDo(t, ctx, "allow: the browser returns to the app, which calls the token endpoint",
		chromedp.Click(button("Allow")),
		chromedp.WaitVisible(chromedp.ID("done")),
	)
	if loc := mustRun(t, ctx, "read location", chromedp.Location()); !strings.HasPrefix(loc, spa+"/callback?") {
		t.Fatalf("after Allow the browser is at %s; want the app's callback", loc)
	}
	raw := mustRun(t, ctx, "read what the app got", chromedp.Text(chromedp.ID("result")))
	var got spaResult
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatalf("the app's result %q: %v", raw, err)
	}
	if got.Error != "" {
		t.Fatalf("the app failed: %s", got.Error)
	}
	for name, r := range map[string]spaResponse{"exchange": got.Exchange, "refresh": got.Refresh, "compatibility refresh": got.Compat} {
		at, _ := r.Body["access_token"].(string)
		if r.Status != http.StatusOK || strings.Count(at, ".") != 2 || r.Body["refresh_token"] == nil {
			t.Fatalf("%s as the page read it: %+v; want 200 with an access token and a refresh token", name, r)
		}
		claims, err := env.OAuth.ValidateAccessToken(t.Context(), at)
		if err != nil || claims.ClientID != client.ID || claims.Scope != "INVOICE.READ" {
			t.Fatalf("%s: the page's access token: %+v, %v", name, claims, err)
		}
	}
	if got.Exchange.Body["token_type"] != "Bearer" || got.Compat.Body["expires_at"] == nil ||
		got.Exchange.Body["refresh_token"] == got.Refresh.Body["refresh_token"] || got.Refresh.Body["refresh_token"] == got.Compat.Body["refresh_token"] {
		t.Fatalf("token responses: %+v", got)
	}
	if got.Failure.Status != http.StatusBadRequest || got.Failure.Body["error"] != "invalid_grant" {
		t.Fatalf("the page could not read an error response: %+v", got.Failure)
	}

	// Another origin, holding the latest refresh token, gets nothing from the token endpoint.
	latest := got.Compat.Body["refresh_token"].(string)
	other := serveLoopback(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherPage.Execute(w, map[string]string{"Issuer": env.URL, "ClientID": client.ID, "RefreshToken": latest})
	}))
	mustDo(t, ctx, "open a page on another origin", chromedp.Navigate(other+"/"), chromedp.WaitVisible(chromedp.ID("done")))
	raw = mustRun(t, ctx, "read what the other page got", chromedp.Text(chromedp.ID("result")))
	var stolen map[string]string
	if err := json.Unmarshal([]byte(raw), &stolen); err != nil {
		t.Fatalf("the other page's result %q: %v", raw, err)
	}
	if stolen["metadata"] != env.URL || stolen["token"] != "blocked" {
		t.Fatalf("the other page got %v; want the metadata readable and the token endpoint blocked", stolen)
	}
	if _, out := postForm(t, env.URL+"/oauth/token", "", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {latest}, "client_id": {client.ID}}); out["access_token"] == nil {
		t.Fatalf("the refresh token no longer works after the other page's attempt: %v", out)
	}
}
