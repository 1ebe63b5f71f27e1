package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/devportal/devportal/models"
)

// Issue #12, item 7 (audit records dropped under SQLite write contention): concurrent sign-ups
// on SQLite, half of whose later session writes fail as a contended write does ("database is
// locked"). Every account that was created has its user.signup audit record, whatever became
// of the rest of its request.
func TestSignupAuditedUnderWriteContention(t *testing.T) {
	path := filepath.Join(t.TempDir(), "devportal.db")
	store, err := models.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	raw, err := gorm.Open(sqlite.Open("file:"+path+"?_busy_timeout=10000"), &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)})
	if err != nil {
		t.Fatal(err)
	}
	if db, err := raw.DB(); err == nil {
		t.Cleanup(func() { db.Close() })
	}
	// Test-only SQLite: the session write of every other account fails after its user row
	// has been committed, as a write that loses the lock does.
	if err := raw.Exec(`CREATE TRIGGER lose_session BEFORE INSERT ON sessions WHEN NEW.user_id % 2 = 0
		BEGIN SELECT RAISE(FAIL, 'database is locked'); END`).Error; err != nil {
		t.Fatal(err)
	}
	env := newTestEnvWith(t, store)

	const n = 8 // under the sign-up throttle of one IP
	browsers := make([]*browser, n)
	for i := range browsers {
		browsers[i] = newBrowser(t, env.URL)
		browsers[i].get("/signup")
	}
	statuses := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, b := range browsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{"email": {fmt.Sprintf("new%d@example.com", i)}, "password": {testPassword}, "csrf_token": {b.csrf}}
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/signup", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", env.URL)
			resp, err := b.c.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	// On a loaded machine some sign-ups may wait too long for the password hasher and get 503
	// (the hashing bound, docs/security.md): those create no account, and count for nothing.
	ok, busy := 0, 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("sign-up %d: %v", i, err)
		}
		switch statuses[i] {
		case http.StatusSeeOther:
			ok++
		case http.StatusServiceUnavailable:
			busy++
		}
	}
	if ok == 0 || ok == n-busy {
		t.Fatalf("%d of %d sign-ups succeeded (%d refused as busy); the trigger should fail about half", ok, n, busy)
	}
	var users []models.User
	if err := raw.Table("users").Find(&users).Error; err != nil {
		t.Fatal(err)
	}
	if len(users) != n-busy {
		t.Fatalf("%d accounts, want %d (%d sign-ups, %d refused as busy)", len(users), n-busy, n, busy)
	}
	events, err := store.AuditEvents(context.Background(), models.AuditFilter{Type: models.AuditSignup, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	audited := map[string]bool{}
	for _, e := range events {
		audited[e.Target] = true
	}
	for _, u := range users {
		if !audited[u.Email] {
			t.Errorf("account %s (id %d) exists without its %s audit record", u.Email, u.ID, models.AuditSignup)
		}
	}
}
