package models_test

import (
	"context"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// TestPoolBoundsBackends is issue 12, item 3: one instance opened ~97 PostgreSQL backends under
// 150 concurrent refreshes until the server refused more ("too many clients already"). With
// MaxConns 3, 50 concurrent transactions all succeed (the excess waits for a connection) and
// pg_stat_activity, read while every connection is taken, shows at most 3 backends of this store.
func TestPoolBoundsBackends(t *testing.T) {
	const maxConns, workers = 3, 50
	ctx := context.Background()
	u, err := url.Parse(storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	schema := "t_" + models.NewID(8)
	app := "devportal-pool-" + models.NewID(8) // names this store's backends in pg_stat_activity
	admin, err := gorm.Open(postgres.Open(u.String()), &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)})
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		mustCloseDB(t, admin)
	})
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	s, err := models.OpenWith(u.String(), models.Options{MaxConns: maxConns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	user := mustUser(t, s, "pool@example.com")
	backends := func() int64 {
		t.Helper()
		var n int64
		if err := admin.Raw("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?", app).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Each worker queries inside a transaction and keeps its connection until release closes,
	// so the pool is as full as the load can make it when pg_stat_activity is read.
	release := make(chan struct{})
	var inside atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.InTx(ctx, func(tx *models.Store) error {
				if _, err := tx.UserByID(ctx, user.ID); err != nil {
					return err
				}
				inside.Add(1)
				<-release
				return nil
			})
		}()
	}
	// Full means: every worker holds a connection (an unbounded pool), or maxConns do and the
	// rest are queued for one.
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := inside.Load()
		if n == workers || (n == maxConns && s.PoolStats().WaitCount >= workers-maxConns) {
			break
		}
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("the load never filled the pool: %d inside, stats %+v", n, s.PoolStats())
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline, not waiting for time
	}
	peak := backends()
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a transaction failed: %v", err)
		}
	}
	if peak > maxConns {
		t.Errorf("pg_stat_activity showed %d backends of this store under load, want at most %d", peak, maxConns)
	}
	if n := backends(); n > maxConns {
		t.Errorf("%d backends after the load, want at most %d", n, maxConns)
	}
}
