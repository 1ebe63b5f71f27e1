package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// submit posts a form like b.post but returns errors instead of failing the test, so it can run
// on goroutines other than the test's.
func (b *browser) submit(path string, form url.Values) (int, http.Header, error) {
	form.Set("csrf_token", b.csrf)
	req, err := http.NewRequest(http.MethodPost, b.abs(path), strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	resp, err := b.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header, nil
}

// mustRetryAfter asserts a Retry-After of whole seconds (RFC 9110 §10.2.3), at least one.
func mustRetryAfter(t *testing.T, h http.Header, most time.Duration) {
	t.Helper()
	n, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || n < 1 || time.Duration(n)*time.Second > most {
		t.Fatalf("Retry-After %q, want whole seconds between 1 and %s", h.Get("Retry-After"), most)
	}
}

func auditEvents(t *testing.T, env *testEnv, typ string) []models.AuditEvent {
	t.Helper()
	evs, err := env.Store.AuditEvents(context.Background(), models.AuditFilter{Type: typ, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// Issue #8 finding 3: 40 simultaneous guesses were all verified against a limit of 10. Over HTTP,
// on every backend, at most 10 of them are checked (401); the rest are refused (429).
func TestLoginThrottleUnderConcurrentGuesses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		env := newTestEnvWith(t, s)
		env.mustUser(t, "target@example.com", false)
		env.Store.LimitHashing(runtime.NumCPU(), time.Minute) // about the throttle, not the hashing bound
		const guesses = 40
		browsers := make([]*browser, guesses)
		for i := range browsers {
			browsers[i] = newBrowser(t, env.URL)
			browsers[i].get("/login")
		}
		start := time.Now().UTC().Truncate(models.LoginEmailWindow)
		statuses := make([]int, guesses)
		headers := make([]http.Header, guesses)
		errs := make([]error, guesses)
		var wg sync.WaitGroup
		for i, b := range browsers {
			wg.Go(func() {
				statuses[i], headers[i], errs[i] = b.submit("/login", url.Values{"email": {"target@example.com"}, "password": {"a wrong guess, number " + strconv.Itoa(i)}})
			})
		}
		wg.Wait()
		checked := 0
		for i, st := range statuses {
			switch {
			case errs[i] != nil:
				t.Fatal(errs[i])
			case st == http.StatusUnauthorized:
				checked++
			case st == http.StatusTooManyRequests:
				mustRetryAfter(t, headers[i], models.LoginEmailWindow)
			default:
				t.Fatalf("guess %d: status %d, want 401 or 429", i, st)
			}
		}
		if checked > models.LoginEmailMax {
			t.Fatalf("%d of %d concurrent guesses were checked, want at most %d", checked, guesses, models.LoginEmailMax)
		}
		if got := len(auditEvents(t, env, models.AuditLoginFailed)); got != checked {
			t.Errorf("%d failed-login events for %d checked guesses", got, checked)
		}
		if got := len(auditEvents(t, env, models.AuditLoginThrottled)); got != 1 && time.Now().UTC().Truncate(models.LoginEmailWindow).Equal(start) {
			t.Errorf("%d throttle events for one burst, want 1", got)
		}
	})
}

// Issue #8 finding 4: guessing one password against many accounts from one address is limited
// per IP: 429 with Retry-After, and one audit event however many requests are refused.
func TestLoginThrottlePerIP(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "real@example.com", false)
	b := newBrowser(t, env.URL)
	for i := range models.LoginIPMax {
		b.get("/login")
		if resp, body := b.post("/login", url.Values{"email": {fmt.Sprintf("guess%d@example.com", i)}, "password": {testPassword}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d\n%s", i, resp.StatusCode, body)
		}
	}
	for i, email := range []string{"one-more@example.com", "another@example.com", "real@example.com"} {
		b.get("/login")
		resp, body := b.post("/login", url.Values{"email": {email}, "password": {testPassword}})
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed attempts from your network") {
			t.Fatalf("refusal %d (%s): %d, want 429 naming the network\n%s", i, email, resp.StatusCode, body)
		}
		mustRetryAfter(t, resp.Header, models.LoginIPWindow)
	}
	evs := auditEvents(t, env, models.AuditLoginThrottled)
	if len(evs) != 1 || evs[0].Target != "127.0.0.1" || evs[0].IP != "127.0.0.1" {
		t.Fatalf("throttle events %+v, want one about 127.0.0.1", evs)
	}
	if got := len(auditEvents(t, env, models.AuditLoginFailed)); got != models.LoginIPMax {
		t.Fatalf("%d failed-login events, want %d: refusals are not failures", got, models.LoginIPMax)
	}
}

// Issue #8 finding 4: sign-ups are limited per IP, 429 with Retry-After and one audit event.
func TestSignupThrottlePerIP(t *testing.T) {
	env := newTestEnv(t)
	for i := range models.SignupIPMax + 2 {
		b := newBrowser(t, env.URL)
		b.get("/signup")
		resp, body := b.post("/signup", url.Values{"email": {fmt.Sprintf("new%d@example.com", i)}, "password": {testPassword}})
		if i < models.SignupIPMax {
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-up %d: %d", i, resp.StatusCode)
			}
			continue
		}
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many accounts were created from your network") {
			t.Fatalf("sign-up %d: %d, want 429\n%s", i, resp.StatusCode, body)
		}
		if !strings.Contains(body, fmt.Sprintf(`value="new%d@example.com"`, i)) {
			t.Error("the refused form lost the email")
		}
		mustRetryAfter(t, resp.Header, models.SignupIPWindow)
	}
	if evs := auditEvents(t, env, models.AuditSignupThrottled); len(evs) != 1 || evs[0].Target != "127.0.0.1" {
		t.Fatalf("throttle events %+v, want one about 127.0.0.1", evs)
	}
	if n, _ := env.Store.CountUsers(context.Background()); n != models.SignupIPMax {
		t.Fatalf("%d accounts, want %d", n, models.SignupIPMax)
	}
}

// Issue #8 finding 4: when every hashing slot stays taken (a flood of logins), the password forms
// answer 503 with Retry-After on their own page instead of queueing without bound.
func TestHashingBusyAnswers503(t *testing.T) {
	env := newTestEnv(t)
	env.mustUser(t, "ada@example.com", false)
	signedIn := newBrowser(t, env.URL)
	signedIn.mustLogin("ada@example.com")
	env.Store.LimitHashing(0, time.Millisecond) // saturated: no slot ever comes free

	for _, tc := range []struct {
		name, page, path string
		b                *browser
		form             url.Values
	}{
		{"log in", "/login", "/login", newBrowser(t, env.URL), url.Values{"email": {"ada@example.com"}, "password": {testPassword}}},
		{"sign up", "/signup", "/signup", newBrowser(t, env.URL), url.Values{"email": {"new@example.com"}, "password": {testPassword}}},
		{"change password", "/account", "/account/password", signedIn, url.Values{"current_password": {testPassword}, "new_password": {testPassword + " again"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.b.get(tc.page)
			resp, body := tc.b.post(tc.path, tc.form)
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "The server is busy right now") || !strings.Contains(body, `name="csrf_token"`) {
				t.Fatalf("status %d, want 503 on the form's page\n%s", resp.StatusCode, body)
			}
			mustRetryAfter(t, resp.Header, time.Minute)
		})
	}
	if got := len(auditEvents(t, env, models.AuditLoginFailed)); got != 0 {
		t.Fatalf("%d failed-login events, want none: the password was never checked", got)
	}
	env.Store.LimitHashing(1, time.Minute)
	if got := loginWith(newBrowser(t, env.URL), "ada@example.com", testPassword); got != http.StatusSeeOther {
		t.Fatalf("login once a slot is free: %d (a busy refusal must not count as a failure)", got)
	}
}
