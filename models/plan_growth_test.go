package models_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// growingTables are the tables that grow with use; a plan that reads one whole is a page or an
// endpoint whose cost grows with it.
var growingTables = []string{"users", "clients", "grants", "refresh_tokens", "auth_codes", "consents", "invoices",
	"scope_requests", "client_events", "client_event_days", "audit_events"}

// planCase is one store call whose every statement must be served by indexes: no full scan of
// a growing table, no sort of the rows it reads (table-shaped so the rows merge into the
// shared plan test).
type planCase struct {
	name string
	run  func(ctx context.Context, s *models.Store, f planFixture) error
	// avoid are tables none of the call's statements may read at all (the raw rows a
	// roll-up replaces).
	avoid []string
}

// planFixture is what the calls name: a developer, their client with a grant, a refresh token
// and an authorization code.
type planFixture struct {
	owner  *models.User
	client *models.Client
	token  string
}

// growthPlanCases are the queries of issue 14's growth table that lane P3b made flat.
var growthPlanCases = []planCase{
	// Refresh grant on a popular client: the client is checked on the token's own grant.
	{"UseRefreshToken", func(ctx context.Context, s *models.Store, f planFixture) error {
		_, err := s.UseRefreshToken(ctx, models.HashToken(f.token), f.client.ID, time.Now().UTC())
		return err
	}, nil},
	// /apps/{id}/activity: the chart from the daily roll-ups, the latest events by (client_id, id).
	{"ClientEventCounts", func(ctx context.Context, s *models.Store, f planFixture) error {
		_, err := s.ClientEventCounts(ctx, f.client.ID, time.Now().UTC().AddDate(0, 0, -29))
		return err
	}, []string{"client_events"}},
	{"ClientEvents", func(ctx context.Context, s *models.Store, f planFixture) error {
		_, err := s.ClientEvents(ctx, f.client.ID, 50)
		return err
	}, nil},
	{"ScopeRequestsFor", func(ctx context.Context, s *models.Store, f planFixture) error {
		_, err := s.ScopeRequestsFor(ctx, f.client.ID)
		return err
	}, nil},
	// /apps: the developer's clients and which of them wait for an admin.
	{"ClientsByOwner", func(ctx context.Context, s *models.Store, f planFixture) error {
		_, err := s.ClientsByOwner(ctx, f.owner.ID)
		return err
	}, nil},
	{"PendingScopeClients", func(ctx context.Context, s *models.Store, f planFixture) error {
		_, err := s.PendingScopeClients(ctx, f.owner.ID)
		return err
	}, nil},
	// /admin/scopes: one page of the queue, the first and a later one.
	{"PendingScopeRequests", func(ctx context.Context, s *models.Store, f planFixture) error {
		_, err := s.PendingScopeRequests(ctx, models.ScopeRequestCursor{}, 51)
		return err
	}, nil},
	{"PendingScopeRequests after", func(ctx context.Context, s *models.Store, f planFixture) error {
		_, err := s.PendingScopeRequests(ctx, models.ScopeRequestCursor{RequestedAt: time.Now().UTC(), ClientID: f.client.ID, Scope: "EWALLET.WRITE"}, 51)
		return err
	}, nil},
	// /account/apps.
	{"AuthorizedApps", func(ctx context.Context, s *models.Store, f planFixture) error {
		_, err := s.AuthorizedApps(ctx, f.owner.ID)
		return err
	}, nil},
	// The event flush's roll-up upsert, and the purge of old days.
	{"AddClientEvents", func(ctx context.Context, s *models.Store, f planFixture) error {
		_, err := s.AddClientEvents(ctx, []models.ClientEvent{{ClientID: f.client.ID, Kind: models.EventToken, CreatedAt: time.Now().UTC()}})
		return err
	}, nil},
	{"PurgeExpired activity", func(ctx context.Context, s *models.Store, f planFixture) error {
		_, err := s.PurgeExpired(ctx, models.PurgePolicy{RetainActivity: 90 * 24 * time.Hour})
		return err
	}, nil},
	// Deleting a client: every batch by an indexed foreign-key column. Last: it deletes the fixture.
	{"DeleteClient", func(ctx context.Context, s *models.Store, f planFixture) error {
		return s.DeleteClient(ctx, f.client.ID)
	}, nil},
}

var (
	// SQLite: "SCAN t" reads the whole table, or the whole of one of its indexes.
	sqliteScan = regexp.MustCompile(`^SCAN (\w+)`)
	// PostgreSQL: a sequential scan (even with enable_seqscan off, when no index can serve), or
	// a sort node.
	pgSeqScan = regexp.MustCompile(`Seq Scan on (\w+)`)
	pgSort    = regexp.MustCompile(`(^|->\s+)(Incremental )?Sort\b`)
	// An IN (SELECT …) whose subquery ends in a LIMIT (the bounded batches of deletes).
	boundedIn = regexp.MustCompile(`(?i)\bIN \(SELECT [^()]* LIMIT \d+\)`)
)

// Issue 14, growth table ("every operation flat"): each statement these store calls run must
// be served by an index on both databases, with a million rows as with ten. SQLite's EXPLAIN
// QUERY PLAN must show neither a SCAN of a growing table, nor a temporary B-tree for ORDER BY,
// nor an unbounded IN list (LIST SUBQUERY);
// PostgreSQL's EXPLAIN, with sequential scans and sorts priced out (SET enable_seqscan = off
// and enable_sort = off in the same transaction, so an empty table's plan shows which index
// would serve), neither a Seq Scan of a growing table nor a Sort.
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
		traced, taken := models.TraceSQL(s)
		for _, tc := range growthPlanCases {
			if err := tc.run(ctx, traced, f); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			stmts := taken()
			if len(stmts) == 0 {
				t.Fatalf("%s ran no statement", tc.name)
			}
			for _, q := range stmts {
				for _, table := range tc.avoid {
					if regexp.MustCompile(`\b` + table + `\b`).MatchString(q) {
						t.Errorf("%s reads %s: %s", tc.name, table, q)
					}
				}
				for _, bad := range planProblems(t, s, q) {
					t.Errorf("%s: %s\n\t%s", tc.name, bad, q)
				}
			}
		}
	})
}

// planProblems explains q on s's database and returns the steps that read a growing table
// whole or sort.
func planProblems(t *testing.T, s *models.Store, q string) []string {
	t.Helper()
	verb := strings.ToUpper(strings.Fields(q)[0])
	if verb == "BEGIN" || verb == "COMMIT" || verb == "ROLLBACK" || verb == "SAVEPOINT" || verb == "RELEASE" {
		return nil
	}
	growing := func(table string) bool {
		for _, g := range growingTables {
			if g == table {
				return true
			}
		}
		return false
	}
	var plan, bad []string
	db := models.RawDB(s)
	if s.Dialect() == models.Postgres {
		err := db.Transaction(func(tx *gorm.DB) error {
			// Scans and sorts priced out: a plan that still has one has no index to serve it.
			// (On tables this small the cheapest plan would otherwise read a few rows and sort
			// them, which says nothing about a million.)
			for _, set := range []string{"SET LOCAL enable_seqscan = off", "SET LOCAL enable_sort = off"} {
				if err := tx.Exec(set).Error; err != nil {
					return err
				}
			}
			return tx.Raw("EXPLAIN "+q).Pluck("QUERY PLAN", &plan).Error
		})
		if err != nil {
			t.Fatalf("explain %s: %v", q, err)
		}
		for _, step := range plan {
			if m := pgSeqScan.FindStringSubmatch(step); m != nil && growing(m[1]) || pgSort.MatchString(strings.TrimSpace(step)) {
				bad = append(bad, strings.TrimSpace(step)+" in "+strings.Join(plan, " / "))
			}
		}
		return bad
	}
	rows, err := db.Raw("EXPLAIN QUERY PLAN " + q).Rows()
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	for _, step := range plan {
		m := sqliteScan.FindStringSubmatch(step)
		// A LIST SUBQUERY is an uncorrelated IN (SELECT …) that SQLite runs whole first,
		// however selective the rest of the statement (the refresh grant read every grant of
		// the client this way); only a LIMITed one is bounded.
		list := strings.Contains(step, "LIST SUBQUERY") && !boundedIn.MatchString(q)
		if m != nil && growing(m[1]) || strings.Contains(step, "TEMP B-TREE FOR ORDER BY") || list {
			bad = append(bad, step+" in "+strings.Join(plan, "; "))
		}
	}
	return bad
}
