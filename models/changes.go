package models

import (
	"regexp"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
)

// Client-record changes. Whatever caches clients (the token endpoint keeps verified client
// records for a few seconds, see oauth.ClientCacheTTL) must forget them the moment one changes
// on this instance: a suspended client, a retired secret or a disabled owner must stop working
// here at once, not when a cache entry happens to expire. Rather than trusting every Store
// method, today's and tomorrow's, to remember a call, GORM callbacks watch every statement that
// writes the tables a client record is read from (clients, client_secrets, and users for the
// owner's state) and tell the subscribers. A write inside a transaction is announced when it is
// executed and again after the transaction ends, so a reader that loaded the old row between
// the two (the write not yet committed) cannot keep it.

// clientTables are the tables ClientByID reads.
var clientTables = map[string]bool{"clients": true, "client_secrets": true, "users": true}

// rawClientWrite spots a raw statement (Exec) that may write one of clientTables.
var rawClientWrite = regexp.MustCompile(`(?i)^\s*(UPDATE|DELETE|INSERT|REPLACE|ALTER|DROP)\b[\s\S]*\b(clients|client_secrets|users)\b`)

// Settings keys carried by a *gorm.DB: the transaction's change flag, and the mark of a write
// that does not change what a client may do (see quietClientWrite).
const (
	txChangesKey = "devportal:client_changes"
	quietKey     = "devportal:quiet_client_write"
)

// changeHooks are the subscribers of one database's client-record changes, shared by the Store
// and every transaction's Store.
type changeHooks struct {
	mu   sync.RWMutex
	subs []func()
}

func (h *changeHooks) notify() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, fn := range h.subs {
		fn()
	}
}

// OnClientChange calls fn after every write, on this Store or any of its transactions, that may
// change a client record as ClientByID returns it (the client, its secrets, its owner), and again
// when a transaction that made one ends. fn must be quick and must not use the Store.
func (s *Store) OnClientChange(fn func()) {
	s.changes.mu.Lock()
	defer s.changes.mu.Unlock()
	s.changes.subs = append(s.changes.subs, fn)
}

// watchClientChanges registers the callbacks that feed h.
func watchClientChanges(db *gorm.DB, h *changeHooks) error {
	after := func(creating bool) func(db *gorm.DB) {
		return func(db *gorm.DB) {
			if db.Error != nil {
				return
			}
			table := db.Statement.Table
			if table == "" && db.Statement.Schema != nil {
				table = db.Statement.Schema.Table
			}
			// A new account owns no client yet: sign-ups need not empty the caches.
			if clientTables[table] && !(creating && table == "users") {
				changed(db, h)
			}
		}
	}
	raw := func(db *gorm.DB) {
		if db.Error == nil && rawClientWrite.MatchString(db.Statement.SQL.String()) {
			changed(db, h)
		}
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Create().After("gorm:create").Register("devportal:client_changes", after(true)),
		cb.Update().After("gorm:update").Register("devportal:client_changes", after(false)),
		cb.Delete().After("gorm:delete").Register("devportal:client_changes", after(false)),
		cb.Raw().After("gorm:raw").Register("devportal:client_changes", raw),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

func changed(db *gorm.DB, h *changeHooks) {
	if _, quiet := db.Get(quietKey); quiet {
		return
	}
	if flag, ok := db.Get(txChangesKey); ok {
		flag.(*atomic.Bool).Store(true)
	}
	h.notify()
}

// quietClientWrite marks a write that changes nothing a client may do (a secret's last use),
// so caches keep their records.
func quietClientWrite(db *gorm.DB) *gorm.DB { return db.Set(quietKey, true) }
