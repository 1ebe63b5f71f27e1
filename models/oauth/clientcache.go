package oauth

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/devportal/devportal/models"
)

// Client cache bounds. The token, introspection and revocation endpoints authenticate a client
// on every request; reading it (with its secrets and its owner's state) was half the cost of a
// client-credentials token. Verified records are kept this long, at most this many of them.
const (
	// DefaultClientCacheTTL is how long a client record read from the database is trusted.
	// A change made on this instance (suspension, revocation, a secret rotated or retired, an
	// edit, a deletion, the owner disabled) empties the cache at once; a change made on another
	// instance is seen here within this bound.
	DefaultClientCacheTTL = 5 * time.Second
	// DefaultClientCacheSize bounds the cache; the least recently used record goes first.
	DefaultClientCacheSize = 10_000
)

// clientCache is a bounded LRU of client records, each trusted for ttl after it was read. It is
// emptied whenever the Store announces a client-record change (models.Store.OnClientChange).
// A read that started before a change is not kept, so a reader racing a writer cannot store the
// old record after the change was announced.
type clientCache struct {
	ttl time.Duration
	max int

	mu    sync.Mutex
	epoch uint64 // bumped by every flush
	byID  map[string]*list.Element
	lru   list.List // front: most recently used; values are *cachedClient
}

type cachedClient struct {
	client *models.Client
	until  time.Time
	read   time.Time
}

func newClientCache(ttl time.Duration, size int) *clientCache {
	if ttl == 0 {
		ttl = DefaultClientCacheTTL
	}
	if size <= 0 {
		size = DefaultClientCacheSize
	}
	return &clientCache{ttl: ttl, max: size, byID: map[string]*list.Element{}}
}

// enabled reports whether records are kept at all (a negative TTL turns the cache off).
func (c *clientCache) enabled() bool { return c != nil && c.ttl > 0 }

// get returns the cached record of id if it is still trusted at now, and otherwise the epoch a
// read starting now must present to put.
func (c *clientCache) get(id string, now time.Time) (*models.Client, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		e := el.Value.(*cachedClient)
		// A clock that went back (tests step it) distrusts the entry too.
		if now.Before(e.until) && !now.Before(e.read) {
			c.lru.MoveToFront(el)
			return e.client, c.epoch
		}
		c.remove(el)
	}
	return nil, c.epoch
}

// put keeps client, read at now, unless the cache was flushed since the read began (epoch).
func (c *clientCache) put(client *models.Client, epoch uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch {
		return
	}
	if el, ok := c.byID[client.ID]; ok {
		c.remove(el)
	}
	c.byID[client.ID] = c.lru.PushFront(&cachedClient{client: client, until: now.Add(c.ttl), read: now})
	for c.lru.Len() > c.max {
		c.remove(c.lru.Back())
	}
}

// forget drops id's record, as after its secret's last use was written.
func (c *clientCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		c.remove(el)
	}
}

// flush drops every record and refuses the reads in flight.
func (c *clientCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.byID)
	c.lru.Init()
}

func (c *clientCache) remove(el *list.Element) {
	delete(c.byID, el.Value.(*cachedClient).client.ID)
	c.lru.Remove(el)
}

// len is how many records are kept.
func (c *clientCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// clientByID reads a client through the cache. The record returned is a copy the caller may
// change; its slices are shared and must not be written.
func (s *Server) clientByID(ctx context.Context, id string) (*models.Client, error) {
	if !s.clients.enabled() {
		return s.store.ClientByID(ctx, id)
	}
	now := s.now()
	cached, epoch := s.clients.get(id, now)
	if cached == nil {
		c, err := s.store.ClientByID(ctx, id)
		if err != nil {
			return nil, err
		}
		s.clients.put(c, epoch, now)
		cached = c
	}
	c := *cached
	return &c, nil
}
