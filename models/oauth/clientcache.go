package oauth

import (
	"context"
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

// clientCache keeps client records, each trusted for ttl after it was read. It is emptied
// whenever the Store announces a client-record change (models.Store.OnClientChange); a read that
// started before a change is not kept, so a reader racing a writer cannot store the old record
// after the change was announced.
type clientCache struct {
	ttl time.Duration
	*lru[*models.Client]
}

func newClientCache(ttl time.Duration, size int) *clientCache {
	if ttl == 0 {
		ttl = DefaultClientCacheTTL
	}
	if size <= 0 {
		size = DefaultClientCacheSize
	}
	return &clientCache{ttl: ttl, lru: newLRU[*models.Client](size)}
}

// enabled reports whether records are kept at all (a negative TTL turns the cache off).
func (c *clientCache) enabled() bool { return c.ttl > 0 }

// clientByID reads a client through the cache. The record returned is a copy the caller may
// change; its slices are shared and must not be written.
func (s *Server) clientByID(ctx context.Context, id string) (*models.Client, error) {
	if IsMetadataClientID(id) {
		return s.metadataClient(ctx, id) // cached no longer than its document allows
	}
	if !s.clients.enabled() {
		return s.store.ClientByID(ctx, id)
	}
	now := s.now()
	cached, ok, epoch := s.clients.get(id, now)
	if !ok {
		c, err := s.store.ClientByID(ctx, id)
		if err != nil {
			return nil, err
		}
		s.clients.put(id, c, epoch, now, now.Add(s.clients.ttl))
		cached = c
	}
	c := *cached
	return &c, nil
}
