package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/devportal/devportal/models"
)

var (
	confirmingForm = regexp.MustCompile(`<form[^>]*method="post"[^>]*action="([^"]+)"`)
	confirmHidden  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)
)

// mustConfirm opens an action's confirmation page at path, checks that it asks (a POST button
// with the words of the button that led there, Cancel, a Reason field) and that nothing
// happened yet is the caller's to check, then confirms with reason. It returns the response
// to the confirming POST.
func (b *browser) mustConfirm(path, button, reason string) *http.Response {
	b.t.Helper()
	resp, body := b.get(path)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s: %d, want its confirmation page\n%s", path, resp.StatusCode, body)
	}
	_, form, ok := strings.Cut(body, `<main`)
	m := confirmingForm.FindStringSubmatch(form)
	if !ok || m == nil {
		b.t.Fatalf("GET %s: no confirming form\n%s", path, body)
	}
	action := html.UnescapeString(m[1])
	form = form[strings.Index(form, m[0]):]
	form, _, _ = strings.Cut(form, "</form>")
	for _, want := range []string{">" + button + "</button>", ">Cancel</a>", `<label for="reason">`, `name="reason"`} {
		if !strings.Contains(form, want) {
			b.t.Errorf("GET %s: the confirmation lacks %q\n%s", path, want, form)
		}
	}
	values := url.Values{"reason": {reason}}
	for _, h := range confirmHidden.FindAllStringSubmatch(form, -1) {
		if h[1] != "csrf_token" {
			values.Set(h[1], html.UnescapeString(h[2]))
		}
	}
	resp, _ = b.post(action, values)
	return resp
}

// lastAudit is the newest audit event of type typ about target.
func lastAudit(t *testing.T, env *testEnv, typ, target string) models.AuditEvent {
	t.Helper()
	events, err := env.Store.AuditEvents(context.Background(), models.AuditFilter{Type: typ, Target: target, Limit: 1})
	if err != nil || len(events) == 0 {
		t.Fatalf("no %s audit event for %s (%v)", typ, target, err)
	}
	return events[0]
}

// Issue 13 ("One click does what should be asked"): the lists offer each destructive or
// privilege-changing action as a way to its confirmation page, never as a form that does it.
func TestAdminListsOnlyLeadToConfirmations(t *testing.T) {
	env := newTestEnv(t)
	dev := env.mustUser(t, "dev@example.com", false)
	env.mustUser(t, "admin@example.com", true)
	web, _ := env.mustClient(t, dev, models.ClientWeb, []string{"https://shop.example/cb"}, "INVOICE.READ")
	suspended, _ := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
	if err := env.Store.ChangeClientStatus(context.Background(), suspended.ID, models.ClientActive, models.ClientSuspended); err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.Store.CreateClient(context.Background(), models.NewClient{Name: "Asker", Type: models.ClientMachine, OwnerID: &dev.ID,
		Scopes: []string{"INVOICE.READ"}, PendingScopes: []string{"EWALLET.WRITE"}}); err != nil {
		t.Fatal(err)
	}
	admin := newBrowser(t, env.URL)
	admin.mustLogin("admin@example.com")

	for page, buttons := range map[string][]string{
		"/admin/clients":           {"Suspend", "Reinstate", "Allow introspection", "Revoke"},
		"/admin/users":             {"Disable", "Grant admin", "Remove admin", "Send password reset", "Unlock", "Mark verified publisher"},
		"/admin/scopes":            {"Approve", "Reject"},
		"/admin/clients/" + web.ID: {"Suspend", "Allow introspection", "Revoke"},
		"/admin/users/" + strconv.FormatInt(dev.ID, 10): {"Disable", "Grant admin"},
	} {
		_, body := admin.get(page)
		_, main, _ := strings.Cut(body, "<main")
		for _, m := range confirmingForm.FindAllStringSubmatch(main, -1) {
			if m[1] != "/admin/scopes" { // the new-scope form creates, it does not act on anything
				t.Errorf("%s: a form posts to %s straight from the page", page, m[1])
			}
		}
		for _, b := range buttons {
			if !strings.Contains(main, `">`+b+`</button></form>`) {
				t.Errorf("%s: no %q button", page, b)
			}
		}
	}
}

// Issue 13: every admin action goes through its confirmation page, and the reason given there
// lands in the audit entry's detail; a reason over the limit is refused with the page shown
// again and nothing done.
func TestAdminConfirmationsKeepTheReason(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		dev := env.mustUser(t, "dev@example.com", false)
		env.mustUser(t, "admin@example.com", true)
		machine, _ := env.mustClient(t, dev, models.ClientMachine, nil, "INVOICE.READ")
		asker, _, err := env.Store.CreateClient(ctx, models.NewClient{Name: "Asker", Type: models.ClientMachine, OwnerID: &dev.ID,
			Scopes: []string{"INVOICE.READ"}, PendingScopes: []string{"EWALLET.WRITE", "VIRTUAL_ACCOUNT.WRITE"}})
		if err != nil {
			t.Fatal(err)
		}
		admin := newBrowser(t, env.URL)
		admin.mustLogin("admin@example.com")
		uid := strconv.FormatInt(dev.ID, 10)
		detail := "/admin/clients/" + machine.ID

		t.Run("a reason too long is refused and nothing happens", func(t *testing.T) {
			admin.get(detail + "/suspend")
			resp, body := admin.post(detail+"/suspend", url.Values{"reason": {strings.Repeat("x", models.MaxAuditReason+1)}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "at most 500 characters") || !strings.Contains(body, `aria-invalid="true"`) {
				t.Fatalf("too long a reason: %d\n%s", resp.StatusCode, body)
			}
			if got, _ := env.Store.ClientByID(ctx, machine.ID); got.Status != models.ClientActive {
				t.Fatalf("the client is %s after a refused suspension", got.Status)
			}
		})

		t.Run("the confirmation page changes nothing, its button does", func(t *testing.T) {
			admin.get(detail + "/suspend")
			if got, _ := env.Store.ClientByID(ctx, machine.ID); got.Status != models.ClientActive {
				t.Fatal("opening the confirmation page suspended the client")
			}
		})

		for _, step := range []struct {
			name, path, button, typ, target, detail string
			back                                    string // where the action returns
		}{
			{"suspend from the client's page", detail + "/suspend?return=" + url.QueryEscape(detail), "Suspend", models.AuditClientSuspended, machine.ID, machine.Name + "; reason: leaked secret", detail},
			{"reinstate from the list", detail + "/reinstate?return=" + url.QueryEscape("/admin/clients?status=suspended"), "Reinstate", models.AuditClientReinstated, machine.ID, machine.Name + "; reason: rotated", "/admin/clients?status=suspended"},
			{"allow introspection", detail + "/introspection?allow=1", "Allow introspection", models.AuditIntrospectOn, machine.ID, machine.Name + "; reason: the invoice API", "/admin/clients"},
			{"stop introspection", detail + "/introspection?allow=0", "Stop introspection", models.AuditIntrospectOff, machine.ID, machine.Name + "; reason: moved", "/admin/clients"},
			{"approve", "/admin/scope-requests/" + asker.ID + "/EWALLET.WRITE/approve", "Approve", models.AuditScopeApproved, asker.ID, "scope EWALLET.WRITE; reason: contract signed", "/admin/scopes"},
			{"reject", "/admin/scope-requests/" + asker.ID + "/VIRTUAL_ACCOUNT.WRITE/reject", "Reject", models.AuditScopeRejected, asker.ID, "scope VIRTUAL_ACCOUNT.WRITE; reason: not needed", "/admin/scopes"},
			{"disable", "/admin/users/" + uid + "/disable?return=%2Fadmin%2Fusers%2F" + uid, "Disable", models.AuditUserDisabled, dev.Email, "reason: phishing reports", "/admin/users/" + uid},
			{"enable", "/admin/users/" + uid + "/enable", "Enable", models.AuditUserEnabled, dev.Email, "reason: cleared", "/admin/users"},
			{"grant admin", "/admin/users/" + uid + "/grant-admin", "Grant admin", models.AuditAdminGranted, dev.Email, "reason: on call", "/admin/users"},
			{"remove admin", "/admin/users/" + uid + "/remove-admin", "Remove admin", models.AuditAdminRemoved, dev.Email, "reason: rotation ended", "/admin/users"},
			{"send reset", "/admin/users/" + uid + "/send-reset", "Send password reset", models.AuditPasswordResetSent, dev.Email, "reason: asked by phone", "/admin/users"},
			{"unlock", "/admin/users/" + uid + "/unlock", "Unlock", models.AuditLoginUnlocked, dev.Email, "failed logins cleared; reason: was them", "/admin/users"},
			{"verify publisher", "/admin/users/" + uid + "/verify-publisher", "Mark verified publisher", models.AuditPublisherVerified, dev.Email, "reason: checked the company register", "/admin/users"},
			{"unverify publisher", "/admin/users/" + uid + "/unverify-publisher", "Remove verified publisher", models.AuditPublisherRemoved, dev.Email, "reason: company closed", "/admin/users"},
			{"revoke", detail + "/revoke", "Revoke", models.AuditClientRevoked, machine.ID, machine.Name + "; reason: abandoned", "/admin/clients"},
		} {
			t.Run(step.name, func(t *testing.T) {
				_, reason, _ := strings.Cut(step.detail, "reason: ")
				resp := admin.mustConfirm(step.path, step.button, "  "+strings.ReplaceAll(reason, " ", " \n ")+" ")
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != step.back {
					t.Fatalf("%s: %d → %q, want back to %q", step.button, resp.StatusCode, resp.Header.Get("Location"), step.back)
				}
				if got := lastAudit(t, env, step.typ, step.target); got.Detail != step.detail {
					t.Errorf("audit detail %q, want %q", got.Detail, step.detail)
				}
			})
		}
		if got, _ := env.Store.ClientByID(ctx, machine.ID); got.Status != models.ClientRevoked {
			t.Errorf("after the steps the client is %s", got.Status)
		}
		if got, _ := env.Store.ClientByID(ctx, asker.ID); strings.Join(got.Scopes, " ") != "INVOICE.READ EWALLET.WRITE" {
			t.Errorf("after approve and reject the client has %v", got.Scopes)
		}

		t.Run("a decided request has no confirmation page", func(t *testing.T) {
			resp, _ := admin.get("/admin/scope-requests/" + asker.ID + "/EWALLET.WRITE/approve")
			if body := admin.follow(resp); !strings.Contains(body, "already decided") {
				t.Error("a decided request is offered again")
			}
		})
		t.Run("an admin cannot open the page that disables themselves", func(t *testing.T) {
			me, _ := env.Store.UserByEmail(ctx, "admin@example.com")
			resp, _ := admin.get("/admin/users/" + strconv.FormatInt(me.ID, 10) + "/disable")
			if body := admin.follow(resp); !strings.Contains(body, "cannot disable your own account") {
				t.Error("the self-disable page is shown")
			}
		})
		t.Run("return goes only to the list or the thing's page", func(t *testing.T) {
			resp := admin.mustConfirm("/admin/users/"+uid+"/grant-admin?return="+url.QueryEscape("//evil.example/admin/users"), "Grant admin", "")
			if resp.Header.Get("Location") != "/admin/users" {
				t.Errorf("returned to %q", resp.Header.Get("Location"))
			}
			if got := lastAudit(t, env, models.AuditAdminGranted, dev.Email); got.Detail != "" {
				t.Errorf("no reason given, detail %q", got.Detail)
			}
		})
	})
}

// Issue 13 (admin console): one page about a client and one about a user, linked from the
// lists, with their history, and the overview with counts and security events.
func TestAdminDetailPagesAndOverview(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		client, secret, redirect, user := env.mustShopAndUser(t)
		env.mustUser(t, "admin@example.com", true)
		mustTokens(t, env, user, client, secret, redirect, "INVOICE.READ")
		if resp, _ := issueMachineToken(t, env, client.ID, "wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a wrong secret: %d", resp.StatusCode)
		}
		owner, err := env.Store.UserByID(ctx, *client.OwnerID)
		if err != nil {
			t.Fatal(err)
		}
		me, _ := env.Store.UserByEmail(ctx, "user@example.com")
		admin := newBrowser(t, env.URL)
		admin.mustLogin("admin@example.com")
		page := "/admin/clients/" + client.ID
		if resp := admin.mustConfirm(page+"/suspend?return="+url.QueryEscape(page), "Suspend", "fraud report"); resp.Header.Get("Location") != page {
			t.Fatalf("suspend went to %q", resp.Header.Get("Location"))
		}
		if err := env.Events.Flush(ctx); err != nil {
			t.Fatal(err)
		}

		if _, body := admin.get("/admin/clients"); !strings.Contains(body, `<a href="`+page+`">`+client.Name+`</a>`) {
			t.Error("the clients list does not link the client's page")
		}
		ownerPage := "/admin/users/" + strconv.FormatInt(owner.ID, 10)
		_, body := admin.get(page)
		for _, want := range []string{
			"<h1>" + client.Name + "</h1>", "<code>" + client.ID + "</code>", `<a href="` + ownerPage + `">` + owner.Email + `</a>`,
			`class="badge badge-suspended"`, "client.suspended", client.Name + "; reason: fraud report", // status history with the reason
			"<dt>Active grants</dt><dd>1</dd>", "…" + secret[len(secret)-4:], // the secret's hint
			"Authorization", "Token", "invalid_client", // recent activity
			`>Reinstate</button>`, `>Revoke</button>`, `datetime="`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the client's page lacks %q", want)
			}
		}
		if _, body := admin.get("/admin/clients/dp_nonexistent"); !strings.Contains(body, "There is no client with that id.") {
			t.Error("an unknown client has no clear page")
		}

		_, body = admin.get("/admin/users/" + strconv.FormatInt(me.ID, 10))
		for _, want := range []string{
			"<h1>user@example.com</h1>", "authenticator app off", "0 passkeys", "1 live", "last seen",
			"Applications authorized", `<a href="` + page + `">` + client.Name + `</a>`, "INVOICE.READ",
			"consent.granted", ">Disable</button>", ">Grant admin</button>",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the user's page lacks %q", want)
			}
		}
		if _, body := admin.get(ownerPage); !strings.Contains(body, "Applications owned") || !strings.Contains(body, `<a href="`+page+`">`+client.Name+`</a>`) {
			t.Error("the owner's page does not list the owned app")
		}

		// The audit log names the client instead of showing its bare id.
		_, body = admin.get("/admin/audit?type=client.suspended")
		if !strings.Contains(body, `<a href="`+page+`">`+client.Name+`</a>`) || !strings.Contains(body, "<code>"+client.ID+"</code>") {
			t.Errorf("the audit log does not name the client\n%s", body)
		}

		_, body = admin.get("/admin")
		for _, want := range []string{"<dt>Users</dt><dd><a href=\"/admin/users\">3</a></dd>", "<dt>Suspended clients</dt><dd><a href=\"/admin/clients?status=suspended\">1</a></dd>",
			"Recent security events", "client.suspended", `<a href="` + page + `">` + client.Name + `</a>`} {
			if !strings.Contains(body, want) {
				t.Errorf("the overview lacks %q", want)
			}
		}
		if strings.Contains(body, "consent.granted") || strings.Contains(body, "user.login<") {
			t.Error("the overview's security events list ordinary events")
		}
	})
}
