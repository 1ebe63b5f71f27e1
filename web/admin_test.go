package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
	"github.com/devportal/devportal/web"
)

// eachBackend runs fn against a server on SQLite and, when DEVPORTAL_TEST_POSTGRES_URL is set,
// on PostgreSQL, since the admin console's searches and filters are SQL of their own.
func eachBackend(t *testing.T, fn func(t *testing.T, env *testEnv)) {
	storetest.Each(t, func(t *testing.T, s *models.Store) { fn(t, newTestEnvWith(t, s)) })
}

// follow loads where a redirect points, so the test sees the page and its flash.
func (b *browser) follow(resp *http.Response) string {
	b.t.Helper()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		b.t.Fatalf("%s %s: status %d, want a redirect", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode)
	}
	_, body := b.get(resp.Header.Get("Location"))
	return body
}

// adminRoute is one admin URL with a concrete path and what an admin's request should get.
type adminRoute struct {
	method, route, path string
	form                url.Values
	admin               int
}

// Every admin route refuses a signed-out visitor and a non-admin, and serves an admin. The table
// is checked against the server's own route list, so a new admin route cannot go untested.
func TestAdminRoutesRequireAnAdmin(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		dev := env.mustUser(t, "dev@example.com", false)
		env.mustUser(t, "admin@example.com", true)
		target := env.mustUser(t, "target@example.com", false)
		client, _ := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
		requester, _, err := env.Store.CreateClient(ctx, models.NewClient{Name: "Requester", Type: models.ClientMachine, OwnerID: &dev.ID,
			Scopes: []string{"INVOICE.READ"}, PendingScopes: []string{"EWALLET.WRITE", "VIRTUAL_ACCOUNT.WRITE"}})
		if err != nil {
			t.Fatal(err)
		}
		uid := strconv.FormatInt(target.ID, 10)
		cid := client.ID
		routeAPI := &models.API{Name: "Route API", Identifier: "https://route.example.test"}
		if err := env.Store.CreateAPI(ctx, routeAPI); err != nil {
			t.Fatal(err)
		}
		aid := strconv.FormatInt(routeAPI.ID, 10)
		regToken, _, err := env.Store.CreateRegistrationToken(ctx, time.Hour, 1, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		// In the order an admin runs them, so each one applies (suspend before reinstate, …).
		table := []adminRoute{
			{"GET", "/admin", "/admin", nil, http.StatusOK},
			{"GET", "/admin/clients", "/admin/clients?q=test&status=active", nil, http.StatusOK},
			{"GET", "/admin/clients/:id", "/admin/clients/" + cid, nil, http.StatusOK},
			{"GET", "/admin/clients/:id/suspend", "/admin/clients/" + cid + "/suspend?return=%2Fadmin%2Fclients", nil, http.StatusOK},
			{"POST", "/admin/clients/:id/suspend", "/admin/clients/" + cid + "/suspend", nil, http.StatusSeeOther},
			{"GET", "/admin/clients/:id/reinstate", "/admin/clients/" + cid + "/reinstate", nil, http.StatusOK},
			{"POST", "/admin/clients/:id/reinstate", "/admin/clients/" + cid + "/reinstate", nil, http.StatusSeeOther},
			{"GET", "/admin/clients/:id/introspection", "/admin/clients/" + cid + "/introspection?allow=1", nil, http.StatusOK},
			{"POST", "/admin/clients/:id/introspection", "/admin/clients/" + cid + "/introspection", url.Values{"allow": {"1"}}, http.StatusSeeOther},
			{"GET", "/admin/clients/:id/revoke", "/admin/clients/" + cid + "/revoke", nil, http.StatusOK},
			{"POST", "/admin/clients/:id/revoke", "/admin/clients/" + cid + "/revoke", nil, http.StatusSeeOther},
			{"GET", "/admin/apis", "/admin/apis", nil, http.StatusOK},
			{"POST", "/admin/apis", "/admin/apis", url.Values{"name": {"Another"}, "identifier": {"https://another.example.test"}}, http.StatusSeeOther},
			{"GET", "/admin/apis/:id", "/admin/apis/" + aid, nil, http.StatusOK},
			{"POST", "/admin/apis/:id", "/admin/apis/" + aid, url.Values{"name": {"Route API"}, "identifier": {"https://route.example.test/v2"}}, http.StatusSeeOther},
			{"GET", "/admin/apis/:id/delete", "/admin/apis/" + aid + "/delete", nil, http.StatusOK},
			{"POST", "/admin/apis/:id/delete", "/admin/apis/" + aid + "/delete", nil, http.StatusSeeOther},
			{"GET", "/admin/scopes", "/admin/scopes", nil, http.StatusOK},
			{"POST", "/admin/scopes", "/admin/scopes", url.Values{"name": {"ROUTE.TEST"}, "description": {"Test the routes"}}, http.StatusSeeOther},
			{"GET", "/admin/scopes/:name", "/admin/scopes/ROUTE.TEST", nil, http.StatusOK},
			{"POST", "/admin/scopes/:name", "/admin/scopes/ROUTE.TEST", url.Values{"description": {"Test the routes again"}, "sensitive": {"true"}}, http.StatusSeeOther},
			{"GET", "/admin/scopes/:name/retire", "/admin/scopes/ROUTE.TEST/retire", nil, http.StatusOK},
			{"POST", "/admin/scopes/:name/retire", "/admin/scopes/ROUTE.TEST/retire", nil, http.StatusSeeOther},
			{"GET", "/admin/scope-requests/:client/:scope/approve", "/admin/scope-requests/" + requester.ID + "/EWALLET.WRITE/approve", nil, http.StatusOK},
			{"POST", "/admin/scope-requests/:client/:scope/approve", "/admin/scope-requests/" + requester.ID + "/EWALLET.WRITE/approve", nil, http.StatusSeeOther},
			{"GET", "/admin/scope-requests/:client/:scope/reject", "/admin/scope-requests/" + requester.ID + "/VIRTUAL_ACCOUNT.WRITE/reject", nil, http.StatusOK},
			{"POST", "/admin/scope-requests/:client/:scope/reject", "/admin/scope-requests/" + requester.ID + "/VIRTUAL_ACCOUNT.WRITE/reject", nil, http.StatusSeeOther},
			{"GET", "/admin/users", "/admin/users?q=target", nil, http.StatusOK},
			{"GET", "/admin/users/:id", "/admin/users/" + uid, nil, http.StatusOK},
			{"GET", "/admin/users/:id/disable", "/admin/users/" + uid + "/disable", nil, http.StatusOK},
			{"POST", "/admin/users/:id/disable", "/admin/users/" + uid + "/disable", nil, http.StatusSeeOther},
			{"GET", "/admin/users/:id/enable", "/admin/users/" + uid + "/enable", nil, http.StatusOK},
			{"POST", "/admin/users/:id/enable", "/admin/users/" + uid + "/enable", nil, http.StatusSeeOther},
			{"GET", "/admin/users/:id/grant-admin", "/admin/users/" + uid + "/grant-admin", nil, http.StatusOK},
			{"POST", "/admin/users/:id/grant-admin", "/admin/users/" + uid + "/grant-admin", nil, http.StatusSeeOther},
			{"GET", "/admin/users/:id/remove-admin", "/admin/users/" + uid + "/remove-admin", nil, http.StatusOK},
			{"POST", "/admin/users/:id/remove-admin", "/admin/users/" + uid + "/remove-admin", nil, http.StatusSeeOther},
			{"GET", "/admin/users/:id/reset-two-factor", "/admin/users/" + uid + "/reset-two-factor", nil, http.StatusOK},
			{"POST", "/admin/users/:id/reset-two-factor", "/admin/users/" + uid + "/reset-two-factor", nil, http.StatusSeeOther},
			{"GET", "/admin/users/:id/send-reset", "/admin/users/" + uid + "/send-reset", nil, http.StatusOK},
			{"POST", "/admin/users/:id/send-reset", "/admin/users/" + uid + "/send-reset", nil, http.StatusSeeOther},
			{"GET", "/admin/users/:id/unlock", "/admin/users/" + uid + "/unlock", nil, http.StatusOK},
			{"POST", "/admin/users/:id/unlock", "/admin/users/" + uid + "/unlock", nil, http.StatusSeeOther},
			{"GET", "/admin/users/:id/verify-publisher", "/admin/users/" + uid + "/verify-publisher", nil, http.StatusOK},
			{"POST", "/admin/users/:id/verify-publisher", "/admin/users/" + uid + "/verify-publisher", nil, http.StatusSeeOther},
			{"GET", "/admin/users/:id/unverify-publisher", "/admin/users/" + uid + "/unverify-publisher", nil, http.StatusOK},
			{"POST", "/admin/users/:id/unverify-publisher", "/admin/users/" + uid + "/unverify-publisher", nil, http.StatusSeeOther},
			{"GET", "/admin/registration-tokens", "/admin/registration-tokens", nil, http.StatusOK},
			{"POST", "/admin/registration-tokens", "/admin/registration-tokens", url.Values{"expires_in": {"1h"}, "uses": {"2"}}, http.StatusSeeOther},
			{"GET", "/admin/registration-tokens/:id/revoke", "/admin/registration-tokens/" + regToken.ID + "/revoke", nil, http.StatusOK},
			{"POST", "/admin/registration-tokens/:id/revoke", "/admin/registration-tokens/" + regToken.ID + "/revoke", nil, http.StatusSeeOther},
			{"GET", "/admin/audit", "/admin/audit?type=client.suspended", nil, http.StatusOK},
			{"GET", "/admin/client-hosts", "/admin/client-hosts", nil, http.StatusOK},
			{"POST", "/admin/client-hosts", "/admin/client-hosts", url.Values{"host": {"route.example"}}, http.StatusSeeOther},
			{"GET", "/admin/client-hosts/:host/unblock", "/admin/client-hosts/route.example/unblock", nil, http.StatusOK},
			{"POST", "/admin/client-hosts/:host/unblock", "/admin/client-hosts/route.example/unblock", nil, http.StatusSeeOther},
		}

		t.Run("the table covers every admin route", func(t *testing.T) {
			cfg, err := web.ConfigFromEnv(func(k string) string {
				return map[string]string{"DEVPORTAL_ISSUER": env.URL, "DEVPORTAL_SECRET": strings.Repeat("s", 32)}[k]
			})
			if err != nil {
				t.Fatal(err)
			}
			var served, tested []string
			for _, r := range web.New(cfg, web.Deps{Store: env.Store, OAuth: env.OAuth}).Routes() {
				if (r.Method == http.MethodGet || r.Method == http.MethodPost) && (r.Path == "/admin" || strings.HasPrefix(r.Path, "/admin/")) {
					served = append(served, r.Method+" "+r.Path)
				}
			}
			for _, r := range table {
				tested = append(tested, r.method+" "+r.route)
			}
			slices.Sort(served)
			slices.Sort(tested)
			if !slices.Equal(served, tested) {
				t.Fatalf("admin routes served:\n%s\ntested:\n%s", strings.Join(served, "\n"), strings.Join(tested, "\n"))
			}
		})

		send := func(b *browser, r adminRoute) (*http.Response, string) {
			t.Helper()
			if r.method == http.MethodGet {
				return b.get(r.path)
			}
			form := url.Values{}
			for k, v := range r.form {
				form[k] = v
			}
			return b.post(r.path, form)
		}

		t.Run("signed out", func(t *testing.T) {
			b := newBrowser(t, env.URL)
			for _, r := range table {
				b.get("/login") // a valid CSRF token, so only the missing session can refuse
				resp, _ := send(b, r)
				switch {
				case r.method == http.MethodGet && (resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/login?next="+url.QueryEscape(r.path)):
					t.Errorf("GET %s: %d → %q, want a redirect to log in", r.path, resp.StatusCode, resp.Header.Get("Location"))
				case r.method == http.MethodPost && resp.StatusCode != http.StatusUnauthorized:
					t.Errorf("POST %s: %d, want 401", r.path, resp.StatusCode)
				}
			}
		})

		t.Run("signed in, not an admin", func(t *testing.T) {
			b := newBrowser(t, env.URL)
			b.mustLogin("dev@example.com")
			for _, r := range table {
				b.get("/apps")
				resp, body := send(b, r)
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "for administrators") {
					t.Errorf("%s %s: %d, want 403 from the admin check", r.method, r.path, resp.StatusCode)
				}
			}
			got, err := env.Store.ClientByID(ctx, cid)
			if err != nil || got.Status != models.ClientActive {
				t.Fatalf("after a non-admin's attempts the client is %v (%v)", got.Status, err)
			}
			if s, _ := env.Store.ScopesByName(ctx, []string{"ROUTE.TEST"}); len(s) != 0 {
				t.Fatal("a non-admin created a scope")
			}
		})

		t.Run("admin", func(t *testing.T) {
			b := newBrowser(t, env.URL)
			b.mustLogin("admin@example.com")
			for _, r := range table {
				b.get("/admin/clients")
				resp, body := send(b, r)
				if resp.StatusCode != r.admin {
					t.Errorf("%s %s: %d, want %d\n%s", r.method, r.path, resp.StatusCode, r.admin, body)
				}
			}
			if got, _ := env.Store.ClientByID(ctx, cid); got.Status != models.ClientRevoked {
				t.Errorf("client %s, want revoked", got.Status)
			}
			if u, _ := env.Store.UserByID(ctx, target.ID); u.IsAdmin || u.DisabledAt != nil {
				t.Errorf("target user %+v, want enabled and not an admin", u)
			}
		})
	})
}

// issueMachineToken asks the token endpoint for a client-credentials token.
func issueMachineToken(t *testing.T, env *testEnv, id, secret string) (*http.Response, map[string]any) {
	t.Helper()
	return postForm(t, env.URL+"/oauth/token", id, secret, url.Values{"grant_type": {"client_credentials"}})
}

// tokenChecks reports how a resource server sees an access token: through introspection, as
// the resource-server client rs, and through the sample protected API.
type tokenChecks struct {
	env      *testEnv
	rs       *models.Client
	rsSecret string
}

func newTokenChecks(t *testing.T, env *testEnv) *tokenChecks {
	t.Helper()
	rs, secret, err := env.Store.CreateClient(context.Background(), models.NewClient{Name: "Invoice API", Type: models.ClientMachine, CanIntrospect: true})
	if err != nil {
		t.Fatal(err)
	}
	return &tokenChecks{env: env, rs: rs, rsSecret: secret}
}

// honoured reports whether introspection calls the token active and the API answers 200; the
// two must agree.
func (tc *tokenChecks) honoured(t *testing.T, access string) bool {
	t.Helper()
	resp, out := postForm(t, tc.env.URL+"/oauth/introspect", tc.rs.ID, tc.rsSecret, url.Values{"token": {access}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("introspection: %d %v", resp.StatusCode, out)
	}
	api, _ := call(t, "GET", tc.env.URL+"/api/v1/invoices", "", "", map[string]string{"Authorization": "Bearer " + access})
	active := out["active"] == true
	switch {
	case active && api.StatusCode == http.StatusOK:
		return true
	case !active && api.StatusCode == http.StatusUnauthorized:
		return false
	}
	t.Fatalf("introspection says active=%v but the API answers %d", out["active"], api.StatusCode)
	return false
}

func TestAdminSuspendReinstateRevokeClient(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		dev := env.mustUser(t, "dev@example.com", false)
		env.mustUser(t, "admin@example.com", true)
		machine, secret := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
		other, _ := env.mustClient(t, nil, models.ClientNative, []string{"http://127.0.0.1:9/cb"}, "INVOICE.READ")
		checks := newTokenChecks(t, env)

		resp, tok := issueMachineToken(t, env, machine.ID, secret)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("token: %d %v", resp.StatusCode, tok)
		}
		access := tok["access_token"].(string)
		if !checks.honoured(t, access) {
			t.Fatal("a fresh token is refused")
		}

		admin := newBrowser(t, env.URL)
		admin.mustLogin("admin@example.com")

		t.Run("search and filter", func(t *testing.T) {
			_, body := admin.get("/admin/clients")
			for _, want := range []string{machine.ID, other.ID, checks.rs.ID, "dev@example.com", "none (command line)", `class="badge badge-active"`} {
				if !strings.Contains(body, want) {
					t.Errorf("the list lacks %q", want)
				}
			}
			for q, want := range map[string][]string{
				"?q=DEV@example":        {machine.ID},
				"?q=" + other.ID:        {other.ID},
				"?q=invoice+api":        {checks.rs.ID},
				"?status=suspended":     {},
				"?q=nothing-like-this":  {},
				"?q=%25":                {}, // LIKE wildcards are searched for literally
				"?status=active&q=test": {machine.ID, other.ID},
			} {
				_, body := admin.get("/admin/clients" + q)
				for _, id := range []string{machine.ID, other.ID, checks.rs.ID} {
					if strings.Contains(body, id) != slices.Contains(want, id) {
						t.Errorf("%s: shows %s = %v", q, id, !slices.Contains(want, id))
					}
				}
				if len(want) == 0 && !strings.Contains(body, "No client matches this search") {
					t.Errorf("%s: no empty state", q)
				}
			}
			if _, body := admin.get("/admin/clients?q=dev&status=active"); !strings.Contains(body, `value="dev"`) || !strings.Contains(body, `<option value="active" selected>`) {
				t.Error("the search form does not keep the query")
			}
		})

		t.Run("suspend stops the client and its tokens at once", func(t *testing.T) {
			back := "/admin/clients?q=" + machine.ID
			admin.get(back)
			resp := admin.mustConfirm("/admin/clients/"+machine.ID+"/suspend?return="+url.QueryEscape(back), "Suspend", "")
			if resp.Header.Get("Location") != back {
				t.Fatalf("suspend went to %q, want back to %q", resp.Header.Get("Location"), back)
			}
			body := admin.follow(resp)
			if !strings.Contains(body, "was suspended") || !strings.Contains(body, `class="badge badge-suspended"`) || !strings.Contains(body, ">Reinstate</button>") {
				t.Fatal("the list does not show the suspension")
			}
			if resp, out := issueMachineToken(t, env, machine.ID, secret); resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_client" {
				t.Fatalf("token request of a suspended client: %d %v, want 401 invalid_client", resp.StatusCode, out)
			}
			if checks.honoured(t, access) {
				t.Fatal("a suspended client's token is still honoured")
			}
			// An open redirect is not a place to return to.
			resp, _ = admin.post("/admin/clients/"+machine.ID+"/suspend", url.Values{"return": {"//evil.example/admin/clients"}})
			if resp.Header.Get("Location") != "/admin/clients" {
				t.Fatalf("return to %q", resp.Header.Get("Location"))
			}
			if body := admin.follow(resp); !strings.Contains(body, "is not active, so it cannot be suspended") {
				t.Fatal("suspending twice is not refused")
			}
		})

		t.Run("reinstate lets it work again", func(t *testing.T) {
			resp := admin.mustConfirm("/admin/clients/"+machine.ID+"/reinstate", "Reinstate", "")
			if body := admin.follow(resp); !strings.Contains(body, "was reinstated") {
				t.Fatal("no confirmation")
			}
			if resp, out := issueMachineToken(t, env, machine.ID, secret); resp.StatusCode != http.StatusOK {
				t.Fatalf("token after reinstating: %d %v", resp.StatusCode, out)
			}
			if !checks.honoured(t, access) {
				t.Fatal("the existing token is still refused after reinstating")
			}
		})

		t.Run("revoke is permanent", func(t *testing.T) {
			resp, body := admin.get("/admin/clients/" + machine.ID + "/revoke")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "cannot be reinstated") || !strings.Contains(body, `action="/admin/clients/`+machine.ID+`/revoke"`) {
				t.Fatalf("confirm page: %d", resp.StatusCode)
			}
			resp = admin.mustConfirm("/admin/clients/"+machine.ID+"/revoke", "Revoke", "")
			if body := admin.follow(resp); !strings.Contains(body, "was revoked") {
				t.Fatal("no confirmation")
			}
			if resp, out := issueMachineToken(t, env, machine.ID, secret); resp.StatusCode != http.StatusUnauthorized || out["error"] != "invalid_client" {
				t.Fatalf("token request of a revoked client: %d %v", resp.StatusCode, out)
			}
			if checks.honoured(t, access) {
				t.Fatal("a revoked client's token is still honoured")
			}
			for _, action := range []string{"reinstate", "suspend"} {
				admin.get("/admin/clients")
				resp, _ := admin.post("/admin/clients/"+machine.ID+"/"+action, url.Values{})
				if body := admin.follow(resp); !strings.Contains(body, "cannot be") {
					t.Errorf("%s of a revoked client: no refusal shown", action)
				}
				if got, _ := env.Store.ClientByID(ctx, machine.ID); got.Status != models.ClientRevoked {
					t.Fatalf("after %s the revoked client is %s", action, got.Status)
				}
			}
			if resp, out := issueMachineToken(t, env, machine.ID, secret); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("token request after a refused reinstate: %d %v", resp.StatusCode, out)
			}
			_, body = admin.get("/admin/clients?q=" + machine.ID)
			if !strings.Contains(body, `class="badge badge-revoked"`) {
				t.Fatal("the list does not show the revocation")
			}
			for _, b := range []string{">Suspend</button>", ">Reinstate</button>", ">Revoke</button>"} {
				if strings.Contains(body, b) {
					t.Errorf("a revoked client still offers %s", b)
				}
			}
			if resp, _ := admin.get("/admin/clients/dp_nope/revoke"); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("unknown client: %d", resp.StatusCode)
			}
		})
	})
}

func TestAdminScopes(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		dev := env.mustUser(t, "dev@example.com", false)
		env.mustUser(t, "admin@example.com", true)
		admin := newBrowser(t, env.URL)
		admin.mustLogin("admin@example.com")
		scope := func(name string) models.Scope {
			t.Helper()
			found, err := env.Store.ScopesByName(ctx, []string{name})
			if err != nil || len(found) != 1 {
				t.Fatalf("scope %s: %v %v", name, found, err)
			}
			return found[0]
		}

		t.Run("the catalog is listed", func(t *testing.T) {
			_, body := admin.get("/admin/scopes")
			for _, want := range []string{"INVOICE.READ", "VIRTUAL_ACCOUNT.WRITE", "No requests are waiting", `<label for="scope-name" class="required">Name</label>`} {
				if !strings.Contains(body, want) {
					t.Errorf("the scopes page lacks %q", want)
				}
			}
		})

		t.Run("validation", func(t *testing.T) {
			for _, tc := range []struct{ name, description, want string }{
				{"payout.write", "Send payouts", "Use uppercase letters"},
				{"PAYOUT WRITE", "Send payouts", "Use uppercase letters"},
				{"PAYOUT..WRITE", "Send payouts", "Use uppercase letters"},
				{".PAYOUT", "Send payouts", "Use uppercase letters"},
				{"", "Send payouts", "Enter a name"},
				{"PAYOUT.WRITE", "  ", "Enter a description"},
				{"INVOICE.READ", "See your invoices", "already exists"},
			} {
				admin.get("/admin/scopes")
				resp, body := admin.post("/admin/scopes", url.Values{"name": {tc.name}, "description": {tc.description}})
				if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) || !strings.Contains(body, `aria-invalid="true"`) {
					t.Errorf("%q/%q: %d, want 422 saying %q", tc.name, tc.description, resp.StatusCode, tc.want)
				}
				if strings.TrimSpace(tc.description) != "" && !strings.Contains(body, `value="`+tc.description+`"`) {
					t.Errorf("%q: the form lost the description", tc.name)
				}
			}
		})

		t.Run("create, edit, mark sensitive", func(t *testing.T) {
			admin.get("/admin/scopes")
			resp, _ := admin.post("/admin/scopes", url.Values{"name": {"PAYOUT.WRITE"}, "description": {"Send payouts"}})
			if body := admin.follow(resp); !strings.Contains(body, "PAYOUT.WRITE was added") {
				t.Fatal("no confirmation")
			}
			if s := scope("PAYOUT.WRITE"); s.Description != "Send payouts" || s.Sensitive || s.RetiredAt != nil {
				t.Fatalf("created %+v", s)
			}
			resp, body := admin.get("/admin/scopes/PAYOUT.WRITE")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="Send payouts"`) || !strings.Contains(body, `<label for="scope-description" class="required">Description</label>`) {
				t.Fatalf("edit page: %d", resp.StatusCode)
			}
			for _, sensitive := range []bool{true, false, true} {
				form := url.Values{"description": {"Send payouts from your balance"}}
				if sensitive {
					form.Set("sensitive", "true")
				}
				admin.get("/admin/scopes/PAYOUT.WRITE")
				resp, _ := admin.post("/admin/scopes/PAYOUT.WRITE", form)
				if resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("save: %d", resp.StatusCode)
				}
				if s := scope("PAYOUT.WRITE"); s.Description != "Send payouts from your balance" || s.Sensitive != sensitive {
					t.Fatalf("saved %+v, want sensitive=%v", s, sensitive)
				}
			}
			if _, body := admin.get("/admin/scopes"); !strings.Contains(body, `<span class="badge badge-sensitive">sensitive</span>`) {
				t.Error("no sensitive badge")
			}
			admin.get("/admin/scopes/PAYOUT.WRITE")
			if resp, body := admin.post("/admin/scopes/PAYOUT.WRITE", url.Values{"description": {""}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter a description") {
				t.Errorf("empty description: %d", resp.StatusCode)
			}
			if resp, _ := admin.get("/admin/scopes/NOPE.NOPE"); resp.StatusCode != http.StatusNotFound {
				t.Errorf("unknown scope: %d", resp.StatusCode)
			}
		})

		redirect := "https://shop.example/cb"
		approved, _, err := env.Store.CreateClient(ctx, models.NewClient{Name: "Payout Shop", Type: models.ClientWeb, OwnerID: &dev.ID,
			RedirectURIs: []string{redirect}, Scopes: []string{"INVOICE.READ"}, PendingScopes: []string{"PAYOUT.WRITE"}})
		if err != nil {
			t.Fatal(err)
		}
		rejected, _, err := env.Store.CreateClient(ctx, models.NewClient{Name: "Dubious Shop", Type: models.ClientWeb, OwnerID: &dev.ID,
			RedirectURIs: []string{redirect}, Scopes: []string{"INVOICE.READ"}, PendingScopes: []string{"PAYOUT.WRITE"}})
		if err != nil {
			t.Fatal(err)
		}
		authorize := func() (*http.Response, string) {
			t.Helper()
			q := url.Values{"client_id": {approved.ID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"PAYOUT.WRITE"}, "state": {"s"},
				"code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
			return newBrowser(t, env.URL).get("/oauth/authorize?" + q.Encode())
		}

		t.Run("approve and reject sensitive-scope requests", func(t *testing.T) {
			_, body := admin.get("/admin/scopes")
			for _, want := range []string{"Payout Shop", "Dubious Shop", approved.ID, "dev@example.com", ">Approve</button>", ">Reject</button>"} {
				if !strings.Contains(body, want) {
					t.Errorf("pending requests lack %q", want)
				}
			}
			resp := admin.mustConfirm("/admin/scope-requests/"+approved.ID+"/PAYOUT.WRITE/approve", "Approve", "")
			if body := admin.follow(resp); !strings.Contains(body, "PAYOUT.WRITE was approved") {
				t.Fatal("no confirmation")
			}
			resp = admin.mustConfirm("/admin/scope-requests/"+rejected.ID+"/PAYOUT.WRITE/reject", "Reject", "")
			if body := admin.follow(resp); !strings.Contains(body, "PAYOUT.WRITE was rejected") || !strings.Contains(body, "No requests are waiting") {
				t.Fatal("the rejection is not shown")
			}
			for _, tc := range []struct {
				client *models.Client
				status string
				joined bool
			}{{approved, models.RequestApproved, true}, {rejected, models.RequestRejected, false}} {
				got, _ := env.Store.ClientByID(ctx, tc.client.ID)
				if slices.Contains(got.Scopes, "PAYOUT.WRITE") != tc.joined {
					t.Errorf("%s: scopes %v", tc.client.Name, got.Scopes)
				}
				reqs, _ := env.Store.ScopeRequestsFor(ctx, tc.client.ID)
				if len(reqs) != 1 || reqs[0].Status != tc.status {
					t.Errorf("%s: requests %+v, want %s", tc.client.Name, reqs, tc.status)
				}
			}
			resp, _ = admin.post("/admin/scope-requests/"+rejected.ID+"/PAYOUT.WRITE/approve", url.Values{})
			if body := admin.follow(resp); !strings.Contains(body, "already decided") {
				t.Error("deciding twice is not refused")
			}
			if got, _ := env.Store.ClientByID(ctx, rejected.ID); slices.Contains(got.Scopes, "PAYOUT.WRITE") {
				t.Error("a rejected request was approved afterwards")
			}
			if resp, _ := authorize(); resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
				t.Fatalf("authorization request for the approved scope: %d → %s, want the login page", resp.StatusCode, resp.Header.Get("Location"))
			}
		})

		t.Run("retire", func(t *testing.T) {
			resp, body := admin.get("/admin/scopes/PAYOUT.WRITE/retire")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Retire PAYOUT.WRITE?") || !strings.Contains(body, ">Retire scope</button>") {
				t.Fatalf("confirm page: %d", resp.StatusCode)
			}
			resp, _ = admin.post("/admin/scopes/PAYOUT.WRITE/retire", url.Values{})
			if body := admin.follow(resp); !strings.Contains(body, "PAYOUT.WRITE was retired") || !strings.Contains(body, ">retired</span>") {
				t.Fatal("the retirement is not shown")
			}
			if s := scope("PAYOUT.WRITE"); s.RetiredAt == nil {
				t.Fatal("not retired")
			}
			// A signed-out visitor is offered the error as a link (RFC 9700 §4.11.2).
			resp, body = authorize()
			loc := returnLink(body)
			if resp.StatusCode != http.StatusBadRequest || loc == nil || !strings.HasPrefix(loc.String(), redirect) || loc.Query().Get("error") != "invalid_scope" {
				t.Fatalf("authorization request for a retired scope: %d → %v, want invalid_scope", resp.StatusCode, loc)
			}
			if _, body := admin.get("/apps/new"); strings.Contains(body, "PAYOUT.WRITE") {
				t.Error("the registration form still offers a retired scope")
			}
			if resp, _ := admin.get("/admin/scopes/PAYOUT.WRITE/retire"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("retiring twice: %d, want a redirect back", resp.StatusCode)
			}
		})
	})
}

// grantToken runs the authorization code flow as the signed-in browser b and returns the access
// token of the grant.
func grantToken(t *testing.T, env *testEnv, b *browser, client *models.Client, secret, redirect string) string {
	t.Helper()
	verifier, authURL := authorizationURL(env.URL, client.ID, redirect, "INVOICE.READ", "st")
	back := authorizeInBrowser(t, b, authURL, "allow")
	tok := mustRedeem(t, env.URL, client.ID, secret, url.Values{"grant_type": {"authorization_code"}, "code": {back.Query().Get("code")},
		"redirect_uri": {redirect}, "code_verifier": {verifier}})
	return tok.AccessToken
}

func TestAdminUsers(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		dev := env.mustUser(t, "dev@example.com", false)
		admin := env.mustUser(t, "admin@example.com", true)
		user := env.mustUser(t, "user@example.com", false)
		redirect := "https://shop.example/cb"
		client, secret := env.mustClient(t, dev, models.ClientWeb, []string{redirect}, "INVOICE.READ")
		checks := newTokenChecks(t, env)
		id := func(u *models.User) string { return strconv.FormatInt(u.ID, 10) }

		ub := newBrowser(t, env.URL)
		ub.mustLogin("user@example.com")
		access := grantToken(t, env, ub, client, secret, redirect)
		if !checks.honoured(t, access) {
			t.Fatal("a fresh grant's token is refused")
		}
		ab := newBrowser(t, env.URL)
		ab.mustLogin("admin@example.com")

		t.Run("search", func(t *testing.T) {
			_, body := ab.get("/admin/users?q=USER@")
			if !strings.Contains(body, "user@example.com") || strings.Contains(body, "dev@example.com") || !strings.Contains(body, `value="USER@"`) {
				t.Error("search by email")
			}
			if _, body := ab.get("/admin/users?q=_"); strings.Contains(body, "example.com</td>") || !strings.Contains(body, "No user") {
				t.Error("an underscore matches any character")
			}
		})

		t.Run("disable ends sessions and tokens", func(t *testing.T) {
			back := "/admin/users?q=user"
			ab.get(back)
			resp := ab.mustConfirm("/admin/users/"+id(user)+"/disable?return="+url.QueryEscape(back), "Disable", "")
			if resp.Header.Get("Location") != back {
				t.Fatalf("went to %q", resp.Header.Get("Location"))
			}
			if body := ab.follow(resp); !strings.Contains(body, "user@example.com was disabled") || !strings.Contains(body, `class="badge badge-suspended">disabled`) {
				t.Fatal("the list does not show the change")
			}
			if resp, _ := ub.get("/apps"); resp.StatusCode != http.StatusFound {
				t.Fatalf("the disabled user's session still works: %d", resp.StatusCode)
			}
			if checks.honoured(t, access) {
				t.Fatal("a disabled user's token is still honoured")
			}
			ub.get("/login")
			if resp, _ := ub.post("/login", url.Values{"email": {"user@example.com"}, "password": {testPassword}}); resp.StatusCode == http.StatusSeeOther {
				t.Fatal("a disabled user can log in")
			}
		})

		t.Run("enable", func(t *testing.T) {
			resp := ab.mustConfirm("/admin/users/"+id(user)+"/enable", "Enable", "")
			if body := ab.follow(resp); !strings.Contains(body, "user@example.com was enabled") {
				t.Fatal("no confirmation")
			}
			ub.mustLogin("user@example.com")
		})

		t.Run("an admin cannot disable themselves", func(t *testing.T) {
			_, body := ab.get("/admin/users?q=admin@")
			if strings.Contains(body, ">Disable</button>") {
				t.Error("the admin's own row offers Disable")
			}
			resp, _ := ab.post("/admin/users/"+id(admin)+"/disable", url.Values{})
			if body := ab.follow(resp); !strings.Contains(body, "cannot disable your own account") {
				t.Fatal("no refusal")
			}
			if u, _ := env.Store.UserByID(ctx, admin.ID); u.DisabledAt != nil {
				t.Fatal("the admin disabled themselves")
			}
		})

		t.Run("the last admin cannot be demoted", func(t *testing.T) {
			resp := ab.mustConfirm("/admin/users/"+id(admin)+"/remove-admin", "Remove admin", "")
			if body := ab.follow(resp); !strings.Contains(body, "last enabled administrator") {
				t.Fatal("no refusal")
			}
			if u, _ := env.Store.UserByID(ctx, admin.ID); !u.IsAdmin {
				t.Fatal("the last admin was demoted")
			}
		})

		t.Run("grant and remove admin", func(t *testing.T) {
			resp := ab.mustConfirm("/admin/users/"+id(user)+"/grant-admin", "Grant admin", "")
			if body := ab.follow(resp); !strings.Contains(body, "user@example.com is now an administrator") {
				t.Fatal("no confirmation")
			}
			if resp, _ := ub.get("/admin/clients"); resp.StatusCode != http.StatusOK {
				t.Fatalf("the new admin gets %d", resp.StatusCode)
			}
			// With a second admin, the first may step down, and is shown out of the console.
			resp = ab.mustConfirm("/admin/users/"+id(admin)+"/remove-admin", "Remove admin", "")
			if resp.Header.Get("Location") != "/account" {
				t.Fatalf("stepping down went to %q", resp.Header.Get("Location"))
			}
			if resp, _ := ab.get("/admin/users"); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("a former admin gets %d", resp.StatusCode)
			}
			ub.get("/admin/users")
			resp, _ = ub.post("/admin/users/"+id(user)+"/remove-admin", url.Values{})
			if body := ub.follow(resp); !strings.Contains(body, "last enabled administrator") {
				t.Fatal("the new last admin could step down")
			}
		})
	})
}

var (
	auditTypeCell = regexp.MustCompile(`<td><code>([a-z_.]+)</code></td>`)
	auditDetail   = regexp.MustCompile(`<td>(event-\d+)</td>`)
	olderLink     = regexp.MustCompile(`<a href="([^"]+)" rel="next">Older events</a>`)
	newerLink     = regexp.MustCompile(`<a href="([^"]+)" rel="prev">Newer events</a>`)
)

func TestAdminAuditLog(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		dev := env.mustUser(t, "dev@example.com", false)
		env.mustUser(t, "admin@example.com", true)
		user := env.mustUser(t, "user@example.com", false)
		client, _ := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
		ab := newBrowser(t, env.URL)
		ab.mustLogin("admin@example.com")

		for _, step := range []struct {
			path string
			form url.Values
		}{
			{"/admin/clients/" + client.ID + "/suspend", url.Values{}},
			{"/admin/clients/" + client.ID + "/reinstate", url.Values{}},
			{"/admin/clients/" + client.ID + "/suspend", url.Values{}},
			{"/admin/scopes", url.Values{"name": {"AUDIT.READ"}, "description": {"Read the audit"}}},
			{"/admin/users/" + strconv.FormatInt(user.ID, 10) + "/disable", url.Values{}},
		} {
			ab.get("/admin/clients")
			if resp, body := ab.post(step.path, step.form); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: %d\n%s", step.path, resp.StatusCode, body)
			}
		}
		types := func(body string) []string {
			var out []string
			for _, m := range auditTypeCell.FindAllStringSubmatch(body, -1) {
				out = append(out, m[1])
			}
			return out
		}

		t.Run("actions appear, newest first", func(t *testing.T) {
			_, body := ab.get("/admin/audit")
			got := types(body)
			want := []string{models.AuditUserDisabled, models.AuditScopeCreated, models.AuditClientSuspended, models.AuditClientReinstated, models.AuditClientSuspended}
			if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
				t.Fatalf("types %v, want %v first", got, want)
			}
			for _, s := range []string{"admin@example.com", client.ID, "AUDIT.READ", "user@example.com", "<td class=\"mono\">127.0.0.1</td>", `<time class="relative" datetime="`} {
				if !strings.Contains(body, s) {
					t.Errorf("the log lacks %q", s)
				}
			}
		})

		t.Run("filters", func(t *testing.T) {
			for q, want := range map[string][]string{
				"?type=client.suspended":                           {models.AuditClientSuspended, models.AuditClientSuspended},
				"?target=" + client.ID:                             {models.AuditClientSuspended, models.AuditClientReinstated, models.AuditClientSuspended},
				"?target=" + client.ID + "&type=client.reinstated": {models.AuditClientReinstated},
				"?actor=admin%40example.com&type=scope.created":    {models.AuditScopeCreated},
				"?actor=dev%40example.com&type=scope.created":      nil,
			} {
				_, body := ab.get("/admin/audit" + q)
				if got := types(body); !slices.Equal(got, want) {
					t.Errorf("%s: %v, want %v", q, got, want)
				}
				if want == nil && !strings.Contains(body, "No events here") {
					t.Errorf("%s: no empty state", q)
				}
			}
			if _, body := ab.get("/admin/audit?type=client.suspended&actor=admin%40example.com"); !strings.Contains(body, `<option value="client.suspended" selected>`) || !strings.Contains(body, `value="admin@example.com"`) {
				t.Error("the filter form does not keep the filters")
			}
			if resp, _ := ab.get("/admin/audit?before=abc"); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("a malformed cursor: %d", resp.StatusCode)
			}
		})

		t.Run("pagination follows the keyset cursor", func(t *testing.T) {
			const n = 120
			for i := range n {
				if err := env.Store.Audit(ctx, &models.AuditEvent{Type: models.AuditLogin, Actor: "pager@example.com", Target: "pager@example.com", Detail: fmt.Sprintf("event-%03d", i)}); err != nil {
					t.Fatal(err)
				}
			}
			var seen []string
			pages, last := 0, ""
			for next := "/admin/audit?target=pager%40example.com"; next != ""; pages++ {
				last = next
				if pages > 5 {
					t.Fatal("the pages do not end")
				}
				_, body := ab.get(next)
				for _, m := range auditDetail.FindAllStringSubmatch(body, -1) {
					seen = append(seen, m[1])
				}
				next = ""
				if m := olderLink.FindStringSubmatch(body); m != nil {
					next = htmlUnescape(m[1])
					if !strings.Contains(next, "target=pager%40example.com") {
						t.Fatalf("the next page %q drops the filter", next)
					}
				}
				if pages > 0 && !strings.Contains(body, ">Newest events</a>") {
					t.Error("an older page has no way back to the newest")
				}
			}
			if pages != 3 {
				t.Errorf("%d pages, want 3 of 50, 50 and 20", pages)
			}
			// Back from the last page by "Newer events" (issue 14: a keyset read up from the
			// cursor): the same events, each page just newer than the one before.
			var back []string
			for url := last; url != ""; {
				_, body := ab.get(url)
				var events []string
				for _, m := range auditDetail.FindAllStringSubmatch(body, -1) {
					events = append(events, m[1])
				}
				back = append(events, back...)
				url = ""
				if m := newerLink.FindStringSubmatch(body); m != nil {
					url = htmlUnescape(m[1])
				}
			}
			if !slices.Equal(back, seen) {
				t.Errorf("back by Newer events: %d events, want the %d seen forward", len(back), len(seen))
			}
			if len(seen) != n {
				t.Fatalf("%d events seen, want %d", len(seen), n)
			}
			for i, d := range seen {
				if want := fmt.Sprintf("event-%03d", n-1-i); d != want {
					t.Fatalf("event %d is %s, want %s: newest first, no repeats", i, d, want)
				}
			}
		})
	})
}

func TestAdminNavigation(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "admin@example.com", true)

	dev := newBrowser(t, env.URL)
	dev.mustLogin("dev@example.com")
	for _, p := range []string{"/apps", "/account", "/docs"} {
		if _, body := dev.get(p); strings.Contains(body, `href="/admin`) {
			t.Errorf("%s shows a non-admin a link to the admin console", p)
		}
	}

	admin := newBrowser(t, env.URL)
	admin.mustLogin("admin@example.com")
	if _, body := admin.get("/apps"); !regexp.MustCompile(`<a href="/admin/clients"[^>]*>Admin</a>`).MatchString(body) {
		t.Error("an admin has no Admin link")
	}
	if resp, body := admin.get("/admin"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "<h1>Admin overview</h1>") {
		t.Errorf("/admin: %d, want the overview", resp.StatusCode)
	}
	labelFor := regexp.MustCompile(`<label[^>]* for="([^"]+)"`)
	fieldID := regexp.MustCompile(`<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"`)
	for _, s := range []struct{ path, label string }{
		{"/admin", "Overview"}, {"/admin/clients", "Clients"}, {"/admin/scopes", "Scopes"}, {"/admin/users", "Users"}, {"/admin/audit", "Audit log"},
	} {
		resp, body := admin.get(s.path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", s.path, resp.StatusCode)
		}
		if !strings.Contains(body, `<a href="/admin/clients" aria-current="page">Admin</a>`) {
			t.Errorf("%s: the top bar does not mark Admin as current", s.path)
		}
		_, sub, _ := strings.Cut(body, `<nav class="topnav" aria-label="Admin">`)
		sub, _, _ = strings.Cut(sub, "</nav>")
		if got := strings.Count(sub, `aria-current="page"`); got != 1 || !strings.Contains(sub, `<a href="`+s.path+`" aria-current="page">`+s.label+`</a>`) {
			t.Errorf("%s: sub-navigation %q, want only %s current", s.path, sub, s.label)
		}
		for _, l := range []string{"Overview", "Clients", "Scopes", "Users", "Audit log"} {
			if !strings.Contains(sub, ">"+l+"</a>") {
				t.Errorf("%s: the sub-navigation lacks %s", s.path, l)
			}
		}
		var labelled []string
		for _, m := range labelFor.FindAllStringSubmatch(body, -1) {
			labelled = append(labelled, m[1])
		}
		for _, m := range fieldID.FindAllStringSubmatch(body, -1) {
			if !slices.Contains(labelled, m[1]) {
				t.Errorf("%s: field %s has no <label for>", s.path, m[1])
			}
		}
		if strings.Contains(body, "<th>") {
			t.Errorf("%s: a header cell without scope", s.path)
		}
	}
}

// RFC 7662 §2.1: an admin decides which clients are resource servers, able to introspect tokens
// issued to other clients.
func TestAdminGrantsIntrospection(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "admin@example.com", true)
	issuer, issuerSecret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ")
	rs, rsSecret := env.mustClient(t, nil, models.ClientMachine, nil, "INVOICE.READ")
	_, tok := call(t, "POST", env.URL+"/oauth/token", "application/x-www-form-urlencoded",
		url.Values{"grant_type": {"client_credentials"}, "client_id": {issuer.ID}, "client_secret": {issuerSecret}}.Encode(), nil)
	introspect := func() any {
		_, out := postForm(t, env.URL+"/oauth/introspect", rs.ID, rsSecret, url.Values{"token": {tok["access_token"].(string)}})
		return out["active"]
	}
	if introspect() != false {
		t.Fatal("an ordinary client sees another client's token")
	}
	admin := newBrowser(t, env.URL)
	admin.mustLogin("admin@example.com")
	admin.get("/admin/clients")
	if resp, _ := admin.post("/admin/clients/"+rs.ID+"/introspection", url.Values{"allow": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("grant: %d", resp.StatusCode)
	}
	if introspect() != true {
		t.Fatal("a resource server cannot introspect another client's token")
	}
	if _, body := admin.get("/admin/clients"); !strings.Contains(body, "Stop introspection") || !strings.Contains(body, "resource server") {
		t.Error("the clients page does not show the capability")
	}
	admin.post("/admin/clients/"+rs.ID+"/introspection", url.Values{"allow": {"0"}})
	if introspect() != false {
		t.Fatal("removing the capability did not take")
	}
	events, _ := env.Store.AuditEvents(context.Background(), models.AuditFilter{Target: rs.ID})
	if len(events) != 2 || events[0].Type != models.AuditIntrospectOff || events[1].Type != models.AuditIntrospectOn {
		t.Errorf("audit %+v", events)
	}
}
