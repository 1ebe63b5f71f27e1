package oauth

import (
	"fmt"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
)

// TestClientCacheRefusesReadsThatRacedAChange: a record read before a change was announced may
// be the old one (on SQLite a reader sees the last commit, and a transaction's change is
// announced before it commits), so put drops it instead of keeping it for the whole lifetime.
// Issue 14: a cached record must never outlive an invalidation on the same instance.
func TestClientCacheRefusesReadsThatRacedAChange(t *testing.T) {
	c := newClientCache(time.Minute, 10)
	now := time.Now()
	until := now.Add(c.ttl)
	_, ok, epoch := c.get("dp_a", now)
	if ok {
		t.Fatal("an empty cache answered")
	}
	c.flush() // a change lands while the read is under way
	c.put("dp_a", &models.Client{ID: "dp_a", Status: models.ClientActive}, epoch, now, until)
	if _, ok, _ := c.get("dp_a", now); ok {
		t.Fatal("a record read before a flush was kept after it")
	}
	_, _, epoch = c.get("dp_a", now)
	c.put("dp_a", &models.Client{ID: "dp_a"}, epoch, now, until)
	if _, ok, _ := c.get("dp_a", now); !ok {
		t.Fatal("a record read after the flush was not kept")
	}
}

// TestClientCacheBounds: a record is trusted for the TTL and no longer, and the cache never
// holds more than its size (issue 14: "Bounded size (LRU or similar), no unbounded maps").
func TestClientCacheBounds(t *testing.T) {
	const size = 3
	c := newClientCache(5*time.Second, size)
	now := time.Now()
	for i := range 10 {
		_, _, epoch := c.get(fmt.Sprint(i), now)
		c.put(fmt.Sprint(i), &models.Client{ID: fmt.Sprint(i)}, epoch, now, now.Add(c.ttl))
		c.get("7", now) // once present, the most recently used survives
	}
	if n := c.len(); n != size {
		t.Fatalf("%d records kept, want %d", n, size)
	}
	for _, id := range []string{"7", "9", "8"} {
		if _, ok, _ := c.get(id, now); !ok {
			t.Errorf("record %s evicted, want the least recently used to go first", id)
		}
	}
	if _, ok, _ := c.get("9", now.Add(5*time.Second-time.Nanosecond)); !ok {
		t.Error("a record was dropped before its TTL")
	}
	if _, ok, _ := c.get("9", now.Add(5*time.Second)); ok {
		t.Error("a record was trusted for longer than its TTL")
	}
	if _, ok, _ := c.get("8", now.Add(-time.Second)); ok {
		t.Error("a record was trusted with the clock set back before its read")
	}
	off := newClientCache(-1, 0)
	if off.enabled() {
		t.Error("a negative TTL did not turn the cache off")
	}
}
