package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// SQLite has one writer at a time. When two connections of the pool want it, the loser does not
// queue: SQLite's busy handler polls, sleeping 1, 2, 5, 10 … 100 ms between tries, so eight
// concurrent token exchanges spent most of their time asleep (p50 6 ms, p99 190 ms for a
// transaction of well under a millisecond). The writeGate makes this process's writers queue in
// Go instead, where the next one starts the moment the last one commits; the busy handler
// remains for writers in other processes (the CLI). Only statements that take SQLite's write
// lock pass through it: transactions (which start IMMEDIATE) and writes outside one. Reads never
// do, so WAL readers keep running beside the writer. PostgreSQL has no gate.
type writeGate chan struct{}

// writeGateKey marks a statement that holds the gate, for the callback that releases it.
const writeGateKey = "devportal:write_gate"

// WriteGateWait is how long a writer waits for the gate before giving up with ErrUnavailable:
// the busy timeout SQLite was given, so a stuck writer fails the same way it did before.
const WriteGateWait = 10 * time.Second

func (g writeGate) enter(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(WriteGateWait)
	defer t.Stop()
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return ErrUnavailable
	}
}

func (g writeGate) leave() { <-g }

// transaction runs fn in a database transaction, through the write gate on SQLite. Every
// transaction of the Store starts here (InTx, and the few GORM-level ones).
func (s *Store) transaction(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	if s.gate != nil && !inTx(db) {
		if err := s.gate.enter(ctx); err != nil {
			return err
		}
		defer s.gate.leave()
	}
	return db.Transaction(fn)
}

// inTx tells whether db already runs inside a transaction (a nested call joins it).
func inTx(db *gorm.DB) bool {
	_, ok := db.Statement.ConnPool.(gorm.TxCommitter)
	return ok
}

// guardWrites registers the callbacks that take the gate around a write issued outside a
// transaction (GORM runs every callback of a chain even after an error, so the release runs).
func guardWrites(db *gorm.DB, g writeGate) error {
	before := func(db *gorm.DB) {
		if inTx(db) {
			return
		}
		ctx := db.Statement.Context
		if ctx == nil {
			ctx = context.Background()
		}
		if err := g.enter(ctx); err != nil {
			_ = db.AddError(err)
			return
		}
		db.InstanceSet(writeGateKey, true)
	}
	after := func(db *gorm.DB) {
		if held, _ := db.InstanceGet(writeGateKey); held == true {
			db.InstanceSet(writeGateKey, false)
			g.leave()
		}
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Create().Before("gorm:create").Register("devportal:gate_enter", before),
		cb.Create().After("gorm:create").Register("devportal:gate_leave", after),
		cb.Update().Before("gorm:update").Register("devportal:gate_enter", before),
		cb.Update().After("gorm:update").Register("devportal:gate_leave", after),
		cb.Delete().Before("gorm:delete").Register("devportal:gate_enter", before),
		cb.Delete().After("gorm:delete").Register("devportal:gate_leave", after),
		cb.Raw().Before("gorm:raw").Register("devportal:gate_enter", before),
		cb.Raw().After("gorm:raw").Register("devportal:gate_leave", after),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
