package models_test

import (
	"context"
	"testing"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// Issue 12 item 6: a flush of more than one INSERT batch (200 rows each) whose later batch
// fails must not duplicate the earlier batches. The old code committed the first 200 rows, then
// re-inserted all 250 one by one: 449 rows for 250 events. Now the batch rolls back whole, the
// retry stores each event once, and the one event it could not store is counted as dropped.
func TestEventBufferLaterBatchFailsNoDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c, _ := mustClient(t, s, nil, models.ClientMachine, "INVOICE.READ")
		b := models.NewEventBuffer(s, 1000)
		const n = 250
		for i := range n {
			id := c.ID
			if i == 230 { // in the second INSERT: an application that does not exist (foreign key)
				id = "no-such-client"
			}
			b.Record(models.ClientEvent{ClientID: id, Kind: models.EventToken, GrantType: "client_credentials"})
		}
		if err := b.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := mustRows(t, s, "client_events"); got != n-1 {
			t.Fatalf("%d rows for %d events of which 1 cannot be stored, want %d", got, n, n-1)
		}
		if got := b.Dropped(); got != 1 {
			t.Fatalf("Dropped() = %d, want 1", got)
		}
	})
}

// Issue 14 ("GORM's prepared statement cache grows with each distinct batch size"): flushes of
// every size from 1 to 300 events prepare only the few INSERT shapes of eventBatchSizes, so the
// statement cache, and the memory it holds on every connection, stays bounded however the
// buffer fills between flushes.
func TestEventFlushesPrepareFewStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c, _ := mustClient(t, s, nil, models.ClientMachine, "INVOICE.READ")
		b := models.NewEventBuffer(s, 1000)
		flush := func(n int) {
			t.Helper()
			for range n {
				b.Record(models.ClientEvent{ClientID: c.ID, Kind: models.EventToken, GrantType: "client_credentials"})
			}
			if err := b.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		flush(1) // the transaction's own statements, prepared once
		before := models.PreparedStatements(s)
		total := 1
		for n := 1; n <= 300; n++ {
			flush(n)
			total += n
		}
		if got := models.PreparedStatements(s) - before; got > 3 {
			t.Errorf("300 flushes of distinct sizes prepared %d new statements, want at most 3 (one per batch size but the one already used)", got)
		}
		if got := mustRows(t, s, "client_events"); got != int64(total) {
			t.Errorf("%d rows for %d events", got, total)
		}
	})
}
