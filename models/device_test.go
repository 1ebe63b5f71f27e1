package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

func mustDeviceAuthorization(t *testing.T, s *models.Store, clientID, status string, expires time.Time) *models.DeviceAuthorization {
	t.Helper()
	d := &models.DeviceAuthorization{ID: models.NewID(16), DeviceCodeHash: models.NewID(32), UserCodeHash: models.NewID(32), ClientID: clientID,
		Scope: models.Words{"INVOICE.READ"}, Status: status, IntervalSeconds: 5, CreatedAt: expires.Add(-10 * time.Minute), ExpiresAt: expires}
	if err := s.CreateDeviceAuthorization(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

// RFC 8628 §3.5 with RFC 6749 §10.5: of any number of polls consuming one approved device
// authorization at once, exactly one wins, so its tokens are issued once.
func TestConsumeDeviceAuthorizationOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		owner := mustUser(t, s, "device-owner@example.test")
		c, _ := mustClient(t, s, owner, models.ClientNative, "INVOICE.READ")
		d := mustDeviceAuthorization(t, s, c.ID, models.DevicePending, time.Now().UTC().Add(time.Minute))
		if won, err := s.ConsumeDeviceAuthorization(ctx, d.ID); err != nil || won {
			t.Fatalf("consuming a pending request = %v, %v; want false", won, err)
		}
		if err := s.DecideDeviceAuthorization(ctx, d.ID, models.DeviceDecision{Approve: true, UserID: owner.ID, Subject: owner.Subject}, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		const racers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		start := make(chan struct{})
		for range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				won, err := s.ConsumeDeviceAuthorization(ctx, d.ID)
				if err != nil && !models.Unavailable(err) {
					t.Error(err)
				}
				mu.Lock()
				if won {
					wins++
				}
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d of %d consumers won; want exactly 1", wins, racers)
		}
	})
}

// RFC 8628 §3.5: a poll is recorded only over the version it read, so two instances polling
// the same code at once cannot both pass the interval check.
func TestRecordDevicePollCompareAndSwap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		owner := mustUser(t, s, "device-poll@example.test")
		c, _ := mustClient(t, s, owner, models.ClientNative, "INVOICE.READ")
		d := mustDeviceAuthorization(t, s, c.ID, models.DevicePending, time.Now().UTC().Add(time.Minute))
		now := time.Now().UTC()
		if won, err := s.RecordDevicePoll(ctx, d.ID, d.Polls, now); err != nil || !won {
			t.Fatalf("first poll = %v, %v", won, err)
		}
		if won, err := s.RecordDevicePoll(ctx, d.ID, d.Polls, now); err != nil || won {
			t.Fatalf("a second poll over the same version = %v, %v; want false", won, err)
		}
		if err := s.SlowDownDevice(ctx, d.ID, 5, now); err != nil {
			t.Fatal(err)
		}
		got, err := s.DeviceAuthorizationByDeviceCode(ctx, d.DeviceCodeHash)
		if err != nil || got.IntervalSeconds != 10 || got.Polls != 2 {
			t.Fatalf("after a slow_down: %+v, %v; want interval 10 and 2 polls", got, err)
		}
	})
}

// `devportal purge` removes expired device authorizations, in batches, and keeps live ones.
func TestPurgeDeviceAuthorizations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		owner := mustUser(t, s, "device-purge@example.test")
		c, _ := mustClient(t, s, owner, models.ClientNative, "INVOICE.READ")
		now := time.Now().UTC()
		for range 5 {
			mustDeviceAuthorization(t, s, c.ID, models.DeviceUsed, now.Add(-time.Hour))
		}
		live := mustDeviceAuthorization(t, s, c.ID, models.DevicePending, now.Add(time.Minute))
		var batches []int64
		report, err := s.PurgeExpired(ctx, models.PurgePolicy{BatchSize: 2, AfterBatch: func(kind string, n int64) {
			if kind == "device authorizations" {
				batches = append(batches, n)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		var deleted int64
		for _, r := range report {
			if r.Kind == "device authorizations" {
				deleted = r.Deleted
			}
		}
		if deleted != 5 || len(batches) != 3 {
			t.Fatalf("deleted %d in batches %v; want 5 in batches of at most 2", deleted, batches)
		}
		if _, err := s.DeviceAuthorizationByDeviceCode(ctx, live.DeviceCodeHash); err != nil {
			t.Fatalf("live request: %v", err)
		}
	})
}

// devicePlanQueries are the statements of the device flow (RFC 8628): /device looks a user code
// up under its throttles, each poll reads and updates one row by its device code.
var devicePlanQueries = []planQuery{
	{"FindDeviceAuthorization", func(ctx context.Context, s *models.Store) error {
		_, err := s.FindDeviceAuthorization(ctx, 1, "192.0.2.1", "hash", time.Now().UTC())
		return ignoreNotFound(err)
	}, nil},
	{"DeviceAuthorizationByDeviceCode", func(ctx context.Context, s *models.Store) error {
		_, err := s.DeviceAuthorizationByDeviceCode(ctx, "hash")
		return ignoreNotFound(err)
	}, nil},
	{"RecordDevicePoll", func(ctx context.Context, s *models.Store) error {
		_, err := s.RecordDevicePoll(ctx, "x", 0, time.Now().UTC())
		return err
	}, nil},
	{"SlowDownDevice", func(ctx context.Context, s *models.Store) error {
		return s.SlowDownDevice(ctx, "x", 5, time.Now().UTC())
	}, nil},
	{"DecideDeviceAuthorization", func(ctx context.Context, s *models.Store) error {
		return ignoreNotFound(s.DecideDeviceAuthorization(ctx, "x", models.DeviceDecision{Approve: true, UserID: 1}, time.Now().UTC()))
	}, nil},
	{"ConsumeDeviceAuthorization", func(ctx context.Context, s *models.Store) error {
		_, err := s.ConsumeDeviceAuthorization(ctx, "x")
		return err
	}, nil},
}

func ignoreNotFound(err error) error {
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	return err
}
