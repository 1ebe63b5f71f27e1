package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// Without the write gate, SQLite's busy handler was what made this process's writers wait for
// each other, polling with sleeps of up to 100 ms (issue 14: code exchange p99 190 ms). With a
// busy timeout of zero the handler is gone, so concurrent writers only succeed if they queue
// in the process: every transaction and every lone write here must.
func TestSQLiteWritersQueueInProcess(t *testing.T) {
	models.SetSQLiteBusyTimeout(t, 0)
	s := storetest.SQLite(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8*40)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				email := fmt.Sprintf("w%d-%d@example.com", w, i)
				var err error
				if i%2 == 0 {
					// read-then-write in one transaction, as the token endpoint does
					err = s.InTx(ctx, func(tx *models.Store) error {
						if _, err := models.CountRows(tx, "login_attempts"); err != nil {
							return err
						}
						return models.AddLoginAttempt(tx, "login", email, "192.0.2.1", time.Now())
					})
				} else {
					err = models.AddLoginAttempt(s, "login", email, "192.0.2.1", time.Now())
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A statement GORM first met inside a transaction used to be prepared on, and die with, that
// transaction, so every later transaction parsed it again (a seventh of a code exchange). It
// is prepared on the pool now, and still usable once the transaction is over.
func TestTransactionStatementsOutliveTheTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		q := "SELECT 1 AS n WHERE 1 = ?"
		if s.Dialect() == models.Postgres {
			q = "SELECT 1 AS n WHERE 1 = $1"
		}
		if err := models.ReuseAfterTx(s, q, 1); err != nil {
			t.Fatalf("the statement cached in a transaction: %v", err)
		}
	})
}
