package models

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
)

// passwordParams are argon2id's RFC 9106 "second recommended" settings scaled to a 2-core server:
// 64 MiB and 1 pass cost about 40 ms here.
var passwordParams = &argon2id.Params{Memory: 64 * 1024, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// dummyHash is compared against when an email is unknown, so a failed login takes as long
// whether or not the account exists. It is an argon2id hash under passwordParams (a test keeps
// them equal), written out rather than computed at start-up: computing it took 64 MiB before
// the first request, which stayed resident in a process that never checks a password.
const dummyHash = "$argon2id$v=19$m=65536,t=1,p=2$AWPCiV4nZyvRtUHKRHyfBA$+1J0dQ6ENi0pgsoNwuxepb70VmpSNMCoKZydfih+YWA"

// DefaultHashWait is how long a password check waits for a free hashing slot before giving up
// with ErrBusy. Legitimate bursts clear within it; a flood gets 503s instead of the server
// running out of memory.
const DefaultHashWait = 2 * time.Second

// hashLimiter bounds how many argon2id computations run at once. Each holds passwordParams.Memory
// (64 MiB) while it runs, and more of them than there are cores only queue inside the CPU
// anyway, so one slot per core keeps memory at cores × 64 MiB without costing throughput.
// A store and its transactions share one limiter.
type hashLimiter struct {
	state atomic.Pointer[hashSlots] // replaced whole by LimitHashing, even while in use
}

type hashSlots struct {
	slots chan struct{}
	wait  time.Duration
	held  func() // test hook: runs while a slot is held, before hashing
}

func defaultHashLimiter() *hashLimiter {
	l := &hashLimiter{}
	l.state.Store(newHashSlots(runtime.NumCPU(), DefaultHashWait))
	return l
}

func newHashSlots(slots int, wait time.Duration) *hashSlots {
	return &hashSlots{slots: make(chan struct{}, max(slots, 0)), wait: wait}
}

// LimitHashing sets how many argon2id computations may run at once through this store (by
// default one per CPU) and how long a caller waits for a free slot before it gets ErrBusy (by
// default DefaultHashWait). Zero slots refuses every hash after the wait, as a saturated server
// would. Hashes already running finish under the old bound.
func (s *Store) LimitHashing(slots int, wait time.Duration) {
	s.hashing.state.Store(newHashSlots(slots, wait))
}

// run calls fn holding a slot, waiting for one at most the configured wait; ErrBusy when none
// came free, or the context's error when the caller gave up first.
func (l *hashLimiter) run(ctx context.Context, fn func()) error {
	h := l.state.Load()
	select {
	case h.slots <- struct{}{}:
	default:
		t := time.NewTimer(h.wait)
		defer t.Stop()
		select {
		case h.slots <- struct{}{}:
		case <-t.C:
			return ErrBusy
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-h.slots }()
	if h.held != nil {
		h.held()
	}
	fn()
	return nil
}

// hashPassword derives a new argon2id hash of password, within the hashing bound.
func (s *Store) hashPassword(ctx context.Context, password string) (hash string, err error) {
	if lerr := s.hashing.run(ctx, func() { hash, err = argon2id.CreateHash(password, passwordParams) }); lerr != nil {
		return "", lerr
	}
	return hash, err
}

// checkPassword compares password with an argon2id hash, within the hashing bound.
func (s *Store) checkPassword(ctx context.Context, password, hash string) (ok bool, err error) {
	if lerr := s.hashing.run(ctx, func() { ok, err = argon2id.ComparePasswordAndHash(password, hash) }); lerr != nil {
		return false, lerr
	}
	return ok, err
}
