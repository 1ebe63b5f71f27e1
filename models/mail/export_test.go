package mail

import "time"

// SetClock replaces o's clock, for tests that step past a backoff.
func SetClock(o *Outbox, now func() time.Time) { o.now = now }
