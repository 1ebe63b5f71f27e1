package oauth

import (
	"container/list"
	"sync"
	"time"
)

// lru is a bounded cache of values trusted until a per-entry instant, least recently used out
// first. flush empties it and refuses every put whose read began before (see get's epoch), so a
// value read while a change was being made cannot be kept after the change was announced.
type lru[V any] struct {
	max int

	mu    sync.Mutex
	epoch uint64 // bumped by every flush
	byKey map[string]*list.Element
	order list.List // front: most recently used; values are *lruEntry[V]
}

type lruEntry[V any] struct {
	key   string
	value V
	read  time.Time // when the value was read: a clock set back before it distrusts it
	until time.Time
}

func newLRU[V any](size int) *lru[V] { return &lru[V]{max: size, byKey: map[string]*list.Element{}} }

// get returns key's value if it is trusted at now, and the epoch a read starting now must give
// put.
func (c *lru[V]) get(key string, now time.Time) (v V, ok bool, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, found := c.byKey[key]; found {
		e := el.Value.(*lruEntry[V])
		if now.Before(e.until) && !now.Before(e.read) {
			c.order.MoveToFront(el)
			return e.value, true, c.epoch
		}
		c.remove(el)
	}
	return v, false, c.epoch
}

// put keeps v, read at now, until until, unless the cache was flushed since epoch.
func (c *lru[V]) put(key string, v V, epoch uint64, now, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch || !now.Before(until) {
		return
	}
	if el, ok := c.byKey[key]; ok {
		c.remove(el)
	}
	c.byKey[key] = c.order.PushFront(&lruEntry[V]{key: key, value: v, read: now, until: until})
	for c.order.Len() > c.max {
		c.remove(c.order.Back())
	}
}

// forget drops key's value.
func (c *lru[V]) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.remove(el)
	}
}

// flush drops every value and refuses the reads in flight.
func (c *lru[V]) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.byKey)
	c.order.Init()
}

func (c *lru[V]) remove(el *list.Element) {
	delete(c.byKey, el.Value.(*lruEntry[V]).key)
	c.order.Remove(el)
}

// len is how many values are kept.
func (c *lru[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
