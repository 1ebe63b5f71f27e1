package models

import (
	"context"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// Kinds of application activity.
const (
	EventAuthorization = "authorization" // a user allowed the app
	EventDenied        = "denied"        // a user denied it
	EventToken         = "token"         // a token was issued (authorization code or client credentials)
	EventRefresh       = "refresh"       // a refresh token was exchanged
	EventFailure       = "failure"       // a request failed; ErrorCode and Detail say why
)

// ClientEvent is one thing that happened to an application at the protocol endpoints.
type ClientEvent struct {
	ID        int64
	ClientID  string
	Kind      string
	GrantType string
	ErrorCode string
	Detail    string
	CreatedAt time.Time
}

// AddClientEvents stores a batch of events in one transaction, so a batch is either written
// whole or not at all, and adds them to the daily roll-ups (ClientEventDay) in the same
// transaction. If it fails (typically an application deleted since its events were recorded),
// nothing of it was kept, so the events are then stored one by one without duplicating any;
// it returns how many of them could not be stored even so.
func (s *Store) AddClientEvents(ctx context.Context, evs []ClientEvent) (skipped int, err error) {
	if len(evs) == 0 {
		return 0, nil
	}
	// Several INSERTs in one transaction: outside one a failure in a later INSERT would leave
	// the earlier ones committed, and the retry below would write them twice.
	err = s.transaction(ctx, s.q(ctx), func(tx *gorm.DB) error {
		for rest := evs; len(rest) > 0; {
			n := eventBatch(len(rest))
			if err := tx.Create(rest[:n]).Error; err != nil {
				return err
			}
			rest = rest[n:]
		}
		return addEventDays(tx, evs)
	})
	if err == nil {
		return 0, nil
	}
	for i := range evs {
		evs[i].ID = 0 // assigned by the rolled-back INSERT
		err := s.transaction(ctx, s.q(ctx), func(tx *gorm.DB) error {
			if err := tx.Create(&evs[i]).Error; err != nil {
				return err
			}
			return addEventDays(tx, evs[i:i+1])
		})
		if err != nil {
			skipped++
		}
	}
	return skipped, ctx.Err()
}

// ClientEventDay is how many events of one kind an application had on one UTC day: the
// roll-up the activity chart reads, so a view costs the same however busy the application is.
type ClientEventDay struct {
	ClientID string `gorm:"primaryKey"`
	Day      string `gorm:"primaryKey"` // YYYY-MM-DD, UTC
	Kind     string `gorm:"primaryKey"`
	N        int64  `gorm:"column:n"`
}

// eventDay is the roll-up day of an event time.
func eventDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// upsertEventDay adds to one roll-up row, creating it if need be. INSERT … ON CONFLICT … DO
// UPDATE is the same statement on SQLite (3.24+) and PostgreSQL, and atomic on both, so
// concurrent flushes of several instances add up instead of overwriting each other. It is one
// row per statement so the statement has a single shape (see eventBatchSizes).
const upsertEventDay = `INSERT INTO client_event_days (client_id, day, kind, n) VALUES (?, ?, ?, ?)
ON CONFLICT (client_id, day, kind) DO UPDATE SET n = client_event_days.n + excluded.n`

// addEventDays counts evs into the daily roll-ups, one upsert per application, day and kind.
func addEventDays(tx *gorm.DB, evs []ClientEvent) error {
	counts := map[ClientEventDay]int64{}
	var order []ClientEventDay
	for _, e := range evs {
		k := ClientEventDay{ClientID: e.ClientID, Day: eventDay(e.CreatedAt), Kind: e.Kind}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	for _, k := range order {
		if err := tx.Exec(upsertEventDay, k.ClientID, k.Day, k.Kind, counts[k]).Error; err != nil {
			return err
		}
	}
	return nil
}

// backfillClientEventDays counts the events stored before migration 20 into the roll-ups.
func backfillClientEventDays(ctx context.Context, tx *Store) error {
	day := "substr(created_at, 1, 10)" // go-sqlite3 stores UTC times as "YYYY-MM-DD hh:mm:ss…"
	if tx.dialect == Postgres {
		day = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return tx.q(ctx).Exec("INSERT INTO client_event_days (client_id, day, kind, n) SELECT client_id, " + day +
		", kind, COUNT(*) FROM client_events GROUP BY client_id, " + day + ", kind").Error
}

// eventBatchSizes are the only row counts an INSERT of events has. Each distinct count is a
// distinct statement, which the connection pool prepares and keeps per connection: batches of
// whatever size a flush happened to collect grew that cache (and the process's memory) with
// every new size, up to one statement per size per connection.
var eventBatchSizes = []int{128, 32, 8, 1}

// eventBatch is the size of the next INSERT for n events still to write: the largest of
// eventBatchSizes that n fills.
func eventBatch(n int) int {
	for _, size := range eventBatchSizes {
		if n >= size {
			return size
		}
	}
	return n
}

// ClientEvents lists an application's latest events, newest first.
func (s *Store) ClientEvents(ctx context.Context, clientID string, limit int) ([]ClientEvent, error) {
	var out []ClientEvent
	err := s.q(ctx).Where("client_id = ?", clientID).Order("id DESC").Limit(limit).Find(&out).Error
	return out, err
}

// DayCount is how many events of a kind an application had on one UTC day (YYYY-MM-DD).
type DayCount struct {
	Day  string
	Kind string
	N    int64
}

// ClientEventCounts counts an application's events per UTC day and kind from since's UTC day
// on, from the daily roll-ups: at most one row per day and kind, on the roll-ups' primary key.
func (s *Store) ClientEventCounts(ctx context.Context, clientID string, since time.Time) ([]DayCount, error) {
	var out []DayCount
	err := s.q(ctx).Model(&ClientEventDay{}).Select("day, kind, n").
		Where("client_id = ? AND day >= ?", clientID, eventDay(since)).Order("day, kind").Scan(&out).Error
	return out, err
}

// EventBuffer collects activity off the request path and writes it in batches, so recording an
// event costs the token endpoint a channel send rather than a database write. Each instance has
// its own buffer; nothing in it is shared state. serve writes what is left after the last
// request has finished; events still buffered when the process is killed are lost, which is
// acceptable for activity charts (the audit log is written synchronously).
type EventBuffer struct {
	store   *Store
	ch      chan ClientEvent
	dropped atomic.Int64
}

// NewEventBuffer makes a buffer holding up to size events between flushes.
func NewEventBuffer(store *Store, size int) *EventBuffer {
	return &EventBuffer{store: store, ch: make(chan ClientEvent, size)}
}

// Record queues an event; when the buffer is full the event is dropped and counted.
func (b *EventBuffer) Record(e ClientEvent) {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now().UTC()
	}
	select {
	case b.ch <- e:
	default:
		b.dropped.Add(1)
	}
}

// Dropped is how many events were lost: to a full buffer, or because the database refused
// them (an application deleted in the meantime). Metrics export it.
func (b *EventBuffer) Dropped() int64 { return b.dropped.Load() }

// Queued is how many events wait for the next flush; metrics export it as the queue depth.
func (b *EventBuffer) Queued() int { return len(b.ch) }

// Flush writes everything queued so far.
func (b *EventBuffer) Flush(ctx context.Context) error {
	var batch []ClientEvent
	for len(batch) < cap(b.ch) {
		select {
		case e := <-b.ch:
			batch = append(batch, e)
		default:
			return b.write(ctx, batch)
		}
	}
	return b.write(ctx, batch)
}

func (b *EventBuffer) write(ctx context.Context, batch []ClientEvent) error {
	skipped, err := b.store.AddClientEvents(ctx, batch)
	b.dropped.Add(int64(skipped))
	return err
}

// Run flushes every interval until ctx ends, then once more.
func (b *EventBuffer) Run(ctx context.Context, every time.Duration, onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := b.Flush(context.WithoutCancel(ctx)); err != nil {
				onErr(err)
			}
			return
		case <-t.C:
			if err := b.Flush(ctx); err != nil {
				onErr(err)
			}
		}
	}
}
