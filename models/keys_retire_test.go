package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/storetest"
)

// Issue 12 (`devportal keys retire`): two retires of the last two keys of an algorithm, at
// once on PostgreSQL, must not both succeed, or the algorithm is left without a key to sign
// with (RFC 7517 §5: the JWKS would publish none). The test holds a lock on one key's row so
// that the first retire is caught mid-way, then starts the second: without the retire locking
// the algorithm's keys, the second commits while the first still believes the other key in use.
func TestRetireKeyConcurrentLastTwo(t *testing.T) {
	store := storetest.Postgres(t)
	ctx := context.Background()
	srv, err := oauth.NewServer(oauth.Config{Issuer: "https://auth.example.test"}, store, []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.LoadKeys(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.RotateKeys(ctx); err != nil {
		t.Fatal(err)
	}
	keys, err := store.SigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byAlg := map[string][]string{}
	for _, k := range keys {
		byAlg[k.Algorithm] = append(byAlg[k.Algorithm], k.ID)
	}
	pair := byAlg["RS256"]
	if len(pair) != 2 {
		t.Fatalf("RS256 keys after one rotation: %v, want 2", pair)
	}

	db := models.RawDB(store)
	holder := db.Begin()
	if holder.Error != nil {
		t.Fatal(holder.Error)
	}
	defer holder.Rollback()
	if err := holder.Exec("SELECT id FROM signing_keys WHERE id = ? FOR UPDATE", pair[0]).Error; err != nil {
		t.Fatal(err)
	}
	var holderPID int64
	if err := holder.Raw("SELECT pg_backend_pid()").Scan(&holderPID).Error; err != nil {
		t.Fatal(err)
	}
	// waiting is how many sessions wait, directly or behind another waiter, for the held row
	// (other tests share the server, so only waits on this session count).
	waiting := func() int64 {
		var n int64
		q := `SELECT COUNT(*) FROM pg_stat_activity a WHERE ? = ANY(pg_blocking_pids(a.pid)) OR EXISTS (
			SELECT 1 FROM pg_stat_activity b WHERE b.pid = ANY(pg_blocking_pids(a.pid)) AND ? = ANY(pg_blocking_pids(b.pid)))`
		if err := db.Raw(q, holderPID, holderPID).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(30 * time.Second)
	first, second := make(chan error, 1), make(chan error, 1)
	go func() { first <- srv.RetireKey(ctx, pair[0]) }()
	for waiting() < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the first retire never waited for the held key row")
		}
	}
	go func() { second <- srv.RetireKey(ctx, pair[1]) }()
	var secondErr error
	secondDone := false
	for !secondDone && waiting() < 2 {
		select {
		case secondErr = <-second:
			secondDone = true
		default:
			if time.Now().After(deadline) {
				t.Fatal("the second retire neither finished nor waited")
			}
		}
	}
	if err := holder.Commit().Error; err != nil {
		t.Fatal(err)
	}
	firstErr := <-first
	if !secondDone {
		secondErr = <-second
	}
	if (firstErr == nil) == (secondErr == nil) {
		t.Fatalf("retires of the last two RS256 keys: %v and %v, want exactly one to succeed", firstErr, secondErr)
	}
	left, err := store.SigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range left {
		if k.Algorithm == "RS256" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("RS256 keys in use afterwards: %d, want 1", n)
	}
}
