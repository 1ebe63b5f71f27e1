package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
)

// authenticatesAt tells whether secret authenticates client at the given moment, through a
// protocol core on the same database whose clock reads at.
func authenticatesAt(t *testing.T, env *testEnv, at time.Time, clientID, secret string) bool {
	t.Helper()
	srv, err := oauth.NewServer(oauth.Config{Issuer: env.URL, Now: func() time.Time { return at }}, env.Store, []byte(strings.Repeat("s", 32)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = srv.AuthenticateClient(context.Background(), clientID, secret)
	return err == nil
}

// mustSecretRow finds a stored (unretired) secret by its value.
func mustSecretRow(t *testing.T, env *testEnv, clientID, secret string) *models.ClientSecret {
	t.Helper()
	c, err := env.Store.ClientByID(context.Background(), clientID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Secrets {
		if c.Secrets[i].Hash == models.HashToken(secret) {
			return &c.Secrets[i]
		}
	}
	t.Fatalf("secret …%s is not among the unretired secrets", secret[len(secret)-4:])
	return nil
}

func TestRotateSecretKeepOptions(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	owner := newBrowser(t, env.URL)
	owner.mustLogin("dev@example.com")
	ctx := context.Background()

	for _, tc := range []struct {
		keep string
		for_ time.Duration // how long the old secret keeps working; 0: retired now, -1: until retired
	}{
		{"now", 0},
		{"1h", time.Hour},
		{"1d", 24 * time.Hour},
		{"7d", 7 * 24 * time.Hour},
		{"forever", -1},
	} {
		t.Run(tc.keep, func(t *testing.T) {
			client, old := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
			resp, body := owner.get("/apps/" + client.ID + "/rotate")
			for _, want := range []string{`<label for="keep">Keep the current secret working for</label>`, `<option value="now">Retire it now</option>`, `<option value="1h">1 hour</option>`,
				`<option value="1d" selected>1 day</option>`, `<option value="7d">7 days</option>`, `<option value="forever">Until I retire it</option>`, ">Rotate secret</button>"} {
				if !strings.Contains(body, want) {
					t.Errorf("rotate page does not show %s", want)
				}
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("rotate page: %d", resp.StatusCode)
			}
			before := time.Now()
			resp, body = owner.mustPostThenGet("/apps/"+client.ID+"/rotate", url.Values{"keep": {tc.keep}}, "/apps/"+client.ID)
			fresh := codeText(body, "client-secret")
			if resp.StatusCode != http.StatusOK || fresh == "" || fresh == old || resp.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("rotate: %d, secret %q", resp.StatusCode, fresh)
			}
			now := time.Now()
			if !authenticatesAt(t, env, now, client.ID, fresh) {
				t.Fatal("the new secret does not authenticate")
			}
			switch {
			case tc.for_ == 0:
				if _, err := env.OAuth.AuthenticateClient(ctx, client.ID, old); err == nil {
					t.Error("the old secret still authenticates after retire-now")
				}
			case tc.for_ < 0:
				if _, err := env.OAuth.AuthenticateClient(ctx, client.ID, old); err != nil {
					t.Errorf("the old secret stopped working: %v", err)
				}
				if row := mustSecretRow(t, env, client.ID, old); row.ExpiresAt != nil {
					t.Errorf("kept until retired, yet it expires at %v", row.ExpiresAt)
				}
				if !authenticatesAt(t, env, now.AddDate(5, 0, 0), client.ID, old) {
					t.Error("the old secret expires though it was kept until retired")
				}
			default:
				if _, err := env.OAuth.AuthenticateClient(ctx, client.ID, old); err != nil {
					t.Errorf("the old secret stopped working at once: %v", err)
				}
				row := mustSecretRow(t, env, client.ID, old)
				if row.ExpiresAt == nil || row.ExpiresAt.Before(before.Add(tc.for_).Add(-time.Second)) || row.ExpiresAt.After(now.Add(tc.for_).Add(time.Second)) {
					t.Fatalf("old secret expires at %v, want about %v from now", row.ExpiresAt, tc.for_)
				}
				if !authenticatesAt(t, env, row.ExpiresAt.Add(-time.Second), client.ID, old) {
					t.Error("the old secret does not work just before its expiry")
				}
				if authenticatesAt(t, env, row.ExpiresAt.Add(time.Second), client.ID, old) {
					t.Error("the old secret still works after its expiry")
				}
				if !authenticatesAt(t, env, row.ExpiresAt.Add(time.Second), client.ID, fresh) {
					t.Error("the new secret stops working with the old one")
				}
				if _, body := owner.get("/apps/" + client.ID); !strings.Contains(body, `datetime="`+row.ExpiresAt.UTC().Format(time.RFC3339)+`"`) {
					t.Error("the application page does not show the old secret's expiry")
				}
			}
			mustAuditCount(t, env, models.AuditSecretCreated, client.ID, 1)
		})
	}

	t.Run("refuses a third working secret", func(t *testing.T) {
		client, first := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
		owner.get("/apps/" + client.ID + "/rotate")
		_, body := owner.mustPostThenGet("/apps/"+client.ID+"/rotate", url.Values{"keep": {"forever"}}, "/apps/"+client.ID)
		second := codeText(body, "client-secret")
		if second == "" {
			t.Fatal("the second secret was refused")
		}
		if _, body := owner.get("/apps/" + client.ID + "/rotate"); !strings.Contains(body, "already has 2 working secrets") {
			t.Error("the rotate page does not warn that the application is at its limit")
		}
		for _, keep := range []string{"forever", "1d"} {
			resp, _ := owner.post("/apps/"+client.ID+"/rotate", url.Values{"keep": {keep}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/apps/"+client.ID {
				t.Fatalf("keep %s: a third secret: %d %s", keep, resp.StatusCode, resp.Header.Get("Location"))
			}
			_, body := owner.get("/apps/" + client.ID)
			if !strings.Contains(body, `class="flash-error"`) || !strings.Contains(body, "at most two active secrets") {
				t.Errorf("keep %s: no error flash", keep)
			}
			for _, s := range []string{first, second} {
				if row := mustSecretRow(t, env, client.ID, s); row.ExpiresAt != nil {
					t.Errorf("keep %s: a refused rotation set an expiry on …%s", keep, row.Hint)
				}
			}
		}
		if c, _ := env.Store.ClientByID(ctx, client.ID); len(c.Secrets) != 2 {
			t.Errorf("%d secrets after refused rotations, want 2", len(c.Secrets))
		}
		// Retiring the current ones at the same time is always possible.
		owner.get("/apps/" + client.ID + "/rotate")
		_, body = owner.mustPostThenGet("/apps/"+client.ID+"/rotate", url.Values{"keep": {"now"}}, "/apps/"+client.ID)
		if third := codeText(body, "client-secret"); third == "" || !authenticatesAt(t, env, time.Now(), client.ID, third) {
			t.Error("rotating with retire-now at the limit failed")
		}
		if authenticatesAt(t, env, time.Now(), client.ID, first) || authenticatesAt(t, env, time.Now(), client.ID, second) {
			t.Error("retire-now left an earlier secret working")
		}
	})

	t.Run("an unknown keep option is refused", func(t *testing.T) {
		client, old := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
		owner.get("/apps/" + client.ID + "/rotate")
		for _, keep := range []string{"", "2y"} {
			if resp, _ := owner.post("/apps/"+client.ID+"/rotate", url.Values{"keep": {keep}}); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("keep %q: %d, want 400", keep, resp.StatusCode)
			}
		}
		if !authenticatesAt(t, env, time.Now(), client.ID, old) {
			t.Error("a refused rotation retired the secret")
		}
	})
}

func TestRetireSecret(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	owner := newBrowser(t, env.URL)
	owner.mustLogin("dev@example.com")
	client, first := env.mustClient(t, dev, models.ClientWeb, []string{"https://shop.example/cb"}, "INVOICE.READ")
	owner.get("/apps/" + client.ID + "/rotate")
	_, body := owner.mustPostThenGet("/apps/"+client.ID+"/rotate", url.Values{"keep": {"forever"}}, "/apps/"+client.ID)
	second := codeText(body, "client-secret")
	a, b := mustSecretRow(t, env, client.ID, first), mustSecretRow(t, env, client.ID, second)

	_, body = owner.get("/apps/" + client.ID)
	for _, s := range []*models.ClientSecret{a, b} {
		if !strings.Contains(body, fmt.Sprintf(`action="/apps/%s/secrets/%d/retire"`, client.ID, s.ID)) || !strings.Contains(body, "…"+s.Hint) {
			t.Errorf("the secrets list has no Retire button for …%s", s.Hint)
		}
	}
	if !strings.Contains(body, ">Retire</button>") || !strings.Contains(body, "Last used") || !strings.Contains(body, "Expires") {
		t.Error("the secrets list lacks its columns or buttons")
	}

	retire := func(s *models.ClientSecret) (confirm string) {
		t.Helper()
		p := fmt.Sprintf("/apps/%s/secrets/%d/retire", client.ID, s.ID)
		resp, confirm := owner.get(p)
		if resp.StatusCode != http.StatusOK || !strings.Contains(confirm, ">Retire secret</button>") {
			t.Fatalf("confirm page: %d", resp.StatusCode)
		}
		resp, _ = owner.post(p, url.Values{})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/apps/"+client.ID {
			t.Fatalf("retire: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		return confirm
	}
	if confirm := retire(a); strings.Contains(confirm, "only working secret") {
		t.Error("the warning about the last secret shows while another works")
	}
	if authenticatesAt(t, env, time.Now(), client.ID, first) {
		t.Error("the retired secret still authenticates")
	}
	if !authenticatesAt(t, env, time.Now(), client.ID, second) {
		t.Error("retiring one secret stopped the other")
	}
	if confirm := retire(b); !strings.Contains(confirm, "only working secret") || !strings.Contains(confirm, "stops authenticating") {
		t.Error("retiring the last working secret gives no warning")
	}
	if authenticatesAt(t, env, time.Now(), client.ID, second) {
		t.Error("the last secret still authenticates after it was retired")
	}
	if _, body := owner.get("/apps/" + client.ID); !strings.Contains(body, "No working secret") {
		t.Error("the page does not say the application has no working secret")
	}
	if resp, _ := owner.get(fmt.Sprintf("/apps/%s/secrets/%d/retire", client.ID, a.ID)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("retiring a retired secret: %d, want 404", resp.StatusCode)
	}
	mustAuditCount(t, env, models.AuditSecretRetired, client.ID, 2)
}

func TestAppProfileEdit(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	dev := env.mustUser(t, "dev@example.com", false)
	admin := env.mustUser(t, "admin@example.com", true)
	env.mustUser(t, "user@example.com", false)
	owner := newBrowser(t, env.URL)
	owner.mustLogin("dev@example.com")
	redirect := "https://shop.example/cb"
	client, secret := env.mustClient(t, dev, models.ClientWeb, []string{redirect}, "INVOICE.READ")
	page := "/apps/" + client.ID

	_, body := owner.get(page)
	for _, label := range []string{"Name", "Logo URL", "Homepage", "Privacy policy URL", "Terms of service URL", "Redirect URIs", "Access token lifetime", "Refresh token lifetime"} {
		if !strings.Contains(body, ">"+label+"</label>") {
			t.Errorf("the settings form has no field labelled %q", label)
		}
	}
	if !strings.Contains(body, ">Save changes</button>") || !strings.Contains(body, ">Rotate secret</button>") || !strings.Contains(body, ">Delete application</button>") {
		t.Error("the application page lacks a button")
	}

	valid := func() url.Values {
		return url.Values{
			"name": {"Shop"}, "logo_url": {"https://shop.example/logo.png"}, "homepage_url": {"https://shop.example"},
			"privacy_url": {"https://shop.example/privacy"}, "terms_url": {"https://shop.example/terms"},
			"redirect_uris": {redirect + "\r\nhttp://127.0.0.1:8000/cb"}, "scopes": {"INVOICE.READ", "INVOICE.WRITE"},
			"access_ttl": {"10"}, "access_ttl_unit": {"minutes"}, "refresh_ttl": {"2"}, "refresh_ttl_unit": {"days"},
		}
	}
	t.Run("validation", func(t *testing.T) {
		for _, tc := range []struct {
			field, value, want string
		}{
			{"name", "  ", "Enter a name"},
			{"homepage_url", "http://shop.example", "Must use https"},
			{"homepage_url", "ftp://shop.example", "Must be an https URL"},
			{"privacy_url", "https://someone:secret@shop.example/privacy", "Must not contain a user name or password"},
			{"terms_url", "/terms", "Must be an absolute URL"},
			{"logo_url", "javascript:alert(1)", "Must be an absolute URL"},
			{"redirect_uris", "http://shop.example/cb", "only for loopback"},
			{"redirect_uris", "", "at least one redirect URI"},
			{"access_ttl", "1441", "Choose between 1 minute and 1 day."},
			{"access_ttl", "soon", "Enter a whole number of minutes"},
			{"access_ttl_unit", "weeks", "Choose minutes, hours or days."},
			{"refresh_ttl", "366", "Choose between 1 hour and 365 days."},
			{"refresh_ttl", "1.5", "Enter a whole number of days"},
			{"scopes", "", "at least one scope"},
			{"scopes", "NOPE.READ", "not in the scope catalog"},
		} {
			form := valid()
			if tc.value == "" {
				form.Del(tc.field)
			} else {
				form.Set(tc.field, tc.value)
			}
			owner.get(page)
			resp, body := owner.post(page, form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(htmlUnescape(body), tc.want) || !strings.Contains(body, `aria-invalid="true"`) {
				t.Errorf("%s=%q: status %d, want 422 mentioning %q", tc.field, tc.value, resp.StatusCode, tc.want)
				continue
			}
			if tc.field != "scopes" && tc.field != "access_ttl_unit" && strings.TrimSpace(tc.value) != "" && !strings.Contains(htmlUnescape(body), `value="`+strings.TrimSpace(tc.value)+`"`) && !strings.Contains(htmlUnescape(body), ">"+tc.value+"</textarea>") {
				t.Errorf("%s=%q: the form lost what was typed", tc.field, tc.value)
			}
		}
		if c, _ := env.Store.ClientByID(ctx, client.ID); c.HomepageURL != "" || c.AccessTTLSeconds != nil || len(c.RedirectURIs) != 1 {
			t.Fatalf("a refused edit was saved: %+v", c)
		}
	})

	form := valid()
	form.Set("logo_url", "http://localhost:8000/logo.png") // http is fine on loopback, while developing
	owner.get(page)
	resp, _ := owner.post(page, form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page {
		t.Fatalf("save: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	c, err := env.Store.ClientByID(ctx, client.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Shop" || c.HomepageURL != "https://shop.example" || c.PrivacyURL != "https://shop.example/privacy" || c.TermsURL != "https://shop.example/terms" ||
		c.LogoURL != "http://localhost:8000/logo.png" || len(c.RedirectURIs) != 2 || c.Scopes.String() != "INVOICE.READ INVOICE.WRITE" ||
		c.AccessTTLSeconds == nil || *c.AccessTTLSeconds != 600 || c.RefreshTTLSeconds == nil || *c.RefreshTTLSeconds != 48*3600 {
		t.Fatalf("stored %+v", c)
	}
	_, body = owner.get(page)
	if !strings.Contains(body, "Settings saved.") || !strings.Contains(body, `name="access_ttl" type="text" inputmode="numeric" value="10"`) ||
		!strings.Contains(body, `name="refresh_ttl" type="text" inputmode="numeric" value="2"`) || !strings.Contains(body, "<h1>Shop</h1>") {
		t.Error("the page does not show the saved settings")
	}
	mustAuditCount(t, env, models.AuditAppUpdated, client.ID, 1)

	t.Run("the consent page shows the links, and tokens the lifetime", func(t *testing.T) {
		user := newBrowser(t, env.URL)
		user.mustLogin("user@example.com")
		q := url.Values{"client_id": {client.ID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"INVOICE.READ"}, "state": {"s"}}
		_, body := user.get("/oauth/authorize?" + q.Encode())
		for _, want := range []string{`href="https://shop.example"`, `href="https://shop.example/privacy"`, `href="https://shop.example/terms"`, `src="http://localhost:8000/logo.png"`, "Shop"} {
			if !strings.Contains(body, want) {
				t.Errorf("consent page lacks %s", want)
			}
		}
		tok := mustTokens(t, env, user, c, secret, redirect, "INVOICE.READ")
		if tok["expires_in"] != float64(600) {
			t.Errorf("expires_in %v, want the application's 600", tok["expires_in"])
		}
	})

	t.Run("empty lifetimes return to the defaults", func(t *testing.T) {
		form := valid()
		form.Set("access_ttl", "")
		form.Set("refresh_ttl", " ")
		owner.get(page)
		if resp, _ := owner.post(page, form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", resp.StatusCode)
		}
		if c, _ := env.Store.ClientByID(ctx, client.ID); c.AccessTTLSeconds != nil || c.RefreshTTLSeconds != nil {
			t.Errorf("lifetimes %v %v, want the defaults (nil)", c.AccessTTLSeconds, c.RefreshTTLSeconds)
		}
	})

	t.Run("a sensitive scope becomes a pending request", func(t *testing.T) {
		if err := env.Store.UpdateScope(ctx, "EWALLET.WRITE", "Make e-wallet payments on your behalf", true); err != nil {
			t.Fatal(err)
		}
		form := valid()
		form["scopes"] = []string{"INVOICE.READ", "EWALLET.WRITE"}
		owner.get(page)
		resp, _ := owner.post(page, form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", resp.StatusCode)
		}
		c, _ := env.Store.ClientByID(ctx, client.ID)
		if c.Scopes.String() != "INVOICE.READ" {
			t.Errorf("scopes %v: a sensitive scope was granted without approval", c.Scopes)
		}
		reqs, _ := env.Store.ScopeRequestsFor(ctx, client.ID)
		if len(reqs) != 1 || reqs[0].Scope != "EWALLET.WRITE" || reqs[0].Status != models.RequestPending {
			t.Fatalf("requests %+v", reqs)
		}
		_, body := owner.get(page)
		if !strings.Contains(body, "EWALLET.WRITE is added once an administrator approves it") {
			t.Error("no flash about the pending request")
		}
		_, scopeBox, _ := strings.Cut(body, `id="scope-EWALLET.WRITE"`)
		scopeBox, _, _ = strings.Cut(scopeBox, "</label>")
		if !strings.Contains(scopeBox, "checked") || !strings.Contains(scopeBox, "pending approval") {
			t.Errorf("the EWALLET.WRITE checkbox is not ticked with a pending badge: %s", scopeBox)
		}
		if _, list := owner.get("/apps"); !strings.Contains(list, `<span class="badge badge-pending">pending approval</span>`) {
			t.Error("the applications list has no pending badge")
		}
		// Saving again keeps the request, and does not grant it.
		owner.get(page)
		owner.post(page, form)
		if c, _ := env.Store.ClientByID(ctx, client.ID); c.Scopes.String() != "INVOICE.READ" {
			t.Errorf("scopes %v after saving again", c.Scopes)
		}

		if err := env.Store.DecideScopeRequest(ctx, client.ID, "EWALLET.WRITE", true, admin.ID); err != nil {
			t.Fatal(err)
		}
		if _, body := owner.get(page); strings.Contains(body, "badge-pending") {
			t.Error("the pending badge stays after approval")
		}
		if _, list := owner.get("/apps"); strings.Contains(list, "badge-pending") {
			t.Error("the list's pending badge stays after approval")
		}
		// Dropping an approved scope and taking it back needs no second approval.
		form["scopes"] = []string{"INVOICE.READ"}
		owner.get(page)
		owner.post(page, form)
		form["scopes"] = []string{"INVOICE.READ", "EWALLET.WRITE"}
		owner.get(page)
		owner.post(page, form)
		if c, _ := env.Store.ClientByID(ctx, client.ID); c.Scopes.String() != "INVOICE.READ EWALLET.WRITE" {
			t.Errorf("scopes %v, want the approved scope back", c.Scopes)
		}
	})

	t.Run("machine applications have no redirect URIs or refresh lifetime", func(t *testing.T) {
		m, _ := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
		_, body := owner.get("/apps/" + m.ID)
		if strings.Contains(body, `id="redirect_uris"`) || strings.Contains(body, `id="refresh_ttl"`) {
			t.Error("the machine application's form asks for redirect URIs or a refresh lifetime")
		}
		resp, _ := owner.post("/apps/"+m.ID, url.Values{"name": {"Batch job"}, "scopes": {"INVOICE.READ"}, "access_ttl": {"1h"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", resp.StatusCode)
		}
		if c, _ := env.Store.ClientByID(ctx, m.ID); c.Name != "Batch job" || len(c.RedirectURIs) != 0 || *c.AccessTTLSeconds != 3600 {
			t.Errorf("stored %+v", c)
		}
	})
}

func TestAppActivity(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "user@example.com", false)
	owner := newBrowser(t, env.URL)
	owner.mustLogin("dev@example.com")
	redirect := "https://shop.example/cb"
	client, secret := env.mustClient(t, dev, models.ClientWeb, []string{redirect}, "INVOICE.READ")

	_, body := owner.get("/apps/" + client.ID + "/activity")
	if !strings.Contains(body, "Nothing yet") || strings.Contains(body, "<rect") || !strings.Contains(body, "No requests in this period") {
		t.Error("a new application's activity is not empty")
	}

	user := newBrowser(t, env.URL)
	user.mustLogin("user@example.com")
	mustTokens(t, env, user, client, secret, redirect, "INVOICE.READ") // an authorization, then a token
	q := url.Values{"client_id": {client.ID}, "redirect_uri": {redirect + "/"}, "response_type": {"code"}, "scope": {"INVOICE.READ"}}
	if resp, _ := user.get("/oauth/authorize?" + q.Encode()); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a wrong redirect_uri: %d, want 400", resp.StatusCode)
	}
	if resp, _ := postForm(t, env.URL+"/oauth/token", client.ID, "dps_wrong", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong secret: %d, want 401", resp.StatusCode)
	}
	if err := env.Events.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	resp, body := owner.get("/apps/" + client.ID + "/activity")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("activity: %d", resp.StatusCode)
	}
	text := htmlUnescape(body)
	for _, want := range []string{
		`"https://shop.example/cb/" differs from the registered "https://shop.example/cb" in its trailing slash`,
		"The client secret did not match an active secret",
		"invalid_client", "invalid_request", "<code>authorization_code</code>",
		">Authorization</span>", ">Token</span>", ">Failure</span>",
		`aria-current="page">Activity</a>`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("activity page lacks %s", want)
		}
	}
	// Newest first: the wrong secret came last, so it is listed before the token it followed.
	if strings.Index(text, "The client secret did not match") > strings.Index(text, ">Token</span>") {
		t.Error("the timeline is not newest first")
	}

	_, svg, ok := strings.Cut(body, "<svg")
	svg, _, _ = strings.Cut(svg, "</svg>")
	if !ok {
		t.Fatal("no chart")
	}
	if !strings.Contains(svg, `role="img"`) || !strings.Contains(svg, "2 successful, 0 denied, 2 failed") {
		t.Errorf("the chart's label does not sum the month up: %.300s", svg)
	}
	today := time.Now().UTC().Format("2 Jan 2006")
	for _, want := range []string{`<rect class="bar bar-success"`, `<rect class="bar bar-failure"`, "<title>" + today + ": 2 successful</title>", "<title>" + today + ": 2 failed</title>"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the chart lacks %s", want)
		}
	}
	if strings.Contains(svg, "style=") {
		t.Error("the chart uses inline styles, which the CSP refuses")
	}
	if n := strings.Count(body, "<tr><th scope=\"row\"><time"); n != 30 {
		t.Errorf("the chart's table has %d days, want 30", n)
	}
}

// Every route of an application answers 404 to anyone but its owner, reading or writing, and
// changes nothing.
func TestAppConsoleOwnership(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "other@example.com", false)
	client, secret := env.mustClient(t, dev, models.ClientWeb, []string{"https://shop.example/cb"}, "INVOICE.READ")
	row := mustSecretRow(t, env, client.ID, secret)
	base := "/apps/" + client.ID
	retire := fmt.Sprintf("%s/secrets/%d/retire", base, row.ID)

	stranger := newBrowser(t, env.URL)
	stranger.mustLogin("other@example.com")
	for _, p := range []string{base, base + "/activity", base + "/rotate", base + "/delete", retire} {
		if resp, _ := stranger.get(p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s by another developer: %d, want 404", p, resp.StatusCode)
		}
	}
	for _, p := range []string{base, base + "/rotate", base + "/delete", retire} {
		stranger.get("/apps") // a valid CSRF token, so only ownership can refuse
		form := url.Values{"name": {"Taken over"}, "redirect_uris": {"https://evil.example/cb"}, "scopes": {"INVOICE.READ"}, "keep": {"now"}}
		if resp, _ := stranger.post(p, form); resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s by another developer: %d, want 404", p, resp.StatusCode)
		}
	}
	c, err := env.Store.ClientByID(context.Background(), client.ID)
	if err != nil || c.Name != client.Name || len(c.Secrets) != 1 || c.Secrets[0].RetiredAt != nil || c.Secrets[0].ExpiresAt != nil {
		t.Fatalf("a stranger changed the application: %+v %v", c, err)
	}

	owner := newBrowser(t, env.URL)
	owner.mustLogin("dev@example.com")
	for _, p := range []string{base + "/secrets/999999/retire", base + "/secrets/abc/retire"} {
		if resp, _ := owner.get(p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, _ := newBrowser(t, env.URL).get(base + "/activity"); resp.StatusCode != http.StatusFound {
		t.Errorf("signed out: %d, want a redirect to log in", resp.StatusCode)
	}
}
