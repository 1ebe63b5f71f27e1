package models_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
	"gorm.io/gorm/logger"
)

// planFixture is what the growth queries name: a developer, their client with a grant, a
// refresh token and an authorization code.
type planFixture struct {
	owner  *models.User
	client *models.Client
	token  string
}

// growthPlanQueries are the queries of issue 14's growth table outside the admin console.
func growthPlanQueries(f planFixture) []planQuery {
	return []planQuery{
		// Refresh grant on a popular client: the client is checked on the token's own grant.
		{"UseRefreshToken", func(ctx context.Context, s *models.Store) error {
			_, err := s.UseRefreshToken(ctx, models.HashToken(f.token), f.client.ID, time.Now().UTC())
			return err
		}, nil},
		// /apps/{id}/activity: the chart from the daily roll-ups, the latest events by (client_id, id).
		{"ClientEventCounts", func(ctx context.Context, s *models.Store) error {
			_, err := s.ClientEventCounts(ctx, f.client.ID, time.Now().UTC().AddDate(0, 0, -29))
			return err
		}, nil},
		{"ClientEvents", func(ctx context.Context, s *models.Store) error {
			_, err := s.ClientEvents(ctx, f.client.ID, 50)
			return err
		}, nil},
		{"ScopeRequestsFor", func(ctx context.Context, s *models.Store) error {
			_, err := s.ScopeRequestsFor(ctx, f.client.ID)
			return err
		}, nil},
		// /apps: the developer's clients and which of them wait for an admin.
		{"ClientsByOwner", func(ctx context.Context, s *models.Store) error {
			_, err := s.ClientsByOwner(ctx, f.owner.ID)
			return err
		}, nil},
		{"PendingScopeClients", func(ctx context.Context, s *models.Store) error {
			_, err := s.PendingScopeClients(ctx, f.owner.ID)
			return err
		}, nil},
		// /admin/scopes: one page of the queue, the first and a later one.
		{"PendingScopeRequests", func(ctx context.Context, s *models.Store) error {
			_, err := s.PendingScopeRequests(ctx, models.ScopeRequestCursor{}, 51)
			return err
		}, nil},
		{"PendingScopeRequests after", func(ctx context.Context, s *models.Store) error {
			_, err := s.PendingScopeRequests(ctx, models.ScopeRequestCursor{RequestedAt: time.Now().UTC(), ClientID: f.client.ID, Scope: "EWALLET.WRITE"}, 51)
			return err
		}, nil},
		// /account/apps.
		{"AuthorizedApps", func(ctx context.Context, s *models.Store) error {
			_, err := s.AuthorizedApps(ctx, f.owner.ID)
			return err
		}, nil},
		// The event flush's roll-up upsert, and the purge of old days.
		{"AddClientEvents", func(ctx context.Context, s *models.Store) error {
			_, err := s.AddClientEvents(ctx, []models.ClientEvent{{ClientID: f.client.ID, Kind: models.EventToken, CreatedAt: time.Now().UTC()}})
			return err
		}, nil},
		{"PurgeExpired activity", func(ctx context.Context, s *models.Store) error {
			_, err := s.PurgeExpired(ctx, models.PurgePolicy{RetainActivity: 90 * 24 * time.Hour})
			return err
		}, nil},
		// Deleting a client: every batch by an indexed foreign-key column. Last: it deletes the fixture.
		{"DeleteClient", func(ctx context.Context, s *models.Store) error {
			return s.DeleteClient(ctx, f.client.ID)
		}, nil},
	}
}

// Issue 14, growth table ("every operation flat"): the refresh grant, the activity tab, the
// developer's console, the scope-request queue, /account/apps, the event flush and purge, and
// deleting a client: every statement served by indexes on both databases (checkPlans). And the
// activity chart reads the daily roll-ups, never a month of raw events per view.
func TestGrowthQueriesUseIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		owner := mustUser(t, s, "plan@example.test")
		client, _ := mustClient(t, s, owner, models.ClientWeb, "INVOICE.READ")
		if err := s.RequestScopes(ctx, client.ID, []string{"EWALLET.WRITE"}); err != nil {
			t.Fatal(err)
		}
		g := mustGrant(t, s, client.ID, &owner.ID, "INVOICE.READ")
		f := planFixture{owner: owner, client: client, token: mustRefreshToken(t, s, g)}
		mustAuthCode(t, s, client, owner)

		rec := &sqlRecorder{Interface: logger.Default.LogMode(logger.Silent)}
		if _, err := models.Traced(s, rec).ClientEventCounts(ctx, client.ID, time.Now().UTC().AddDate(0, 0, -29)); err != nil {
			t.Fatal(err)
		}
		for _, q := range rec.take() {
			if regexp.MustCompile(`\bclient_events\b`).MatchString(q) {
				t.Errorf("the activity chart reads the raw events: %s", q)
			}
		}
		checkPlans(t, s, growthPlanQueries(f))
	})
}
