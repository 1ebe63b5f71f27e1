package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// SetHashHook makes every password hash through s call f while it holds a hashing slot, so a
// test can hold slots and count how many are held at once.
func SetHashHook(s *Store, f func()) {
	h := *s.hashing.state.Load()
	h.held = f
	s.hashing.state.Store(&h)
}

// AddLoginAttempt stores an attempt as if made at at ("login" or "signup").
func AddLoginAttempt(s *Store, kind, email, ip string, at time.Time) error {
	return s.db.Create(&LoginAttempt{Kind: kind, Email: email, IP: ip, CreatedAt: at.UTC()}).Error
}

// AddThrottleRefusal stores a refusal mark for a window that started at start.
func AddThrottleRefusal(s *Store, rule, subject string, start time.Time) error {
	return s.db.Create(&throttleRefusal{Rule: rule, Subject: subject, WindowStart: start.UTC()}).Error
}

// CountRows counts the rows of a table.
func CountRows(s *Store, table string) (int64, error) {
	var n int64
	err := s.db.Table(table).Count(&n).Error
	return n, err
}

// RawDB is s's database handle, for tests that write or read rows the Store has no method for.
func RawDB(s *Store) *gorm.DB { return s.db }

// PreparedStatements counts the distinct statements the store's pool has prepared.
func PreparedStatements(s *Store) int {
	return len(s.db.ConnPool.(*gorm.PreparedStmtDB).Stmts.Keys())
}

// SetSQLiteBusyTimeout changes the busy timeout of SQLite stores opened after it, and restores
// it when the test ends.
func SetSQLiteBusyTimeout(t interface{ Cleanup(func()) }, d time.Duration) {
	old := sqliteBusyTimeout
	sqliteBusyTimeout = d
	t.Cleanup(func() { sqliteBusyTimeout = old })
}

// ReuseAfterTx runs query (a one-column SELECT) in a transaction of s, then runs the statement
// the cache kept for it outside any transaction: a statement that belonged to the finished
// transaction fails with "statement is closed".
func ReuseAfterTx(s *Store, query string, args ...any) error {
	var n int
	if err := s.InTx(context.Background(), func(tx *Store) error {
		return tx.db.Raw(query, args...).Scan(&n).Error
	}); err != nil {
		return err
	}
	st, ok := s.db.ConnPool.(*gorm.PreparedStmtDB).Stmts.Get(query)
	if !ok {
		return errors.New("the statement was not cached")
	}
	return st.QueryRow(args...).Scan(&n)
}
