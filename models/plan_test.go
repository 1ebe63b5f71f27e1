package models_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/devportal/devportal/models"
	"github.com/devportal/devportal/models/storetest"
)

// sqlRecorder is a GORM logger that keeps every statement run, values in place.
type sqlRecorder struct {
	logger.Interface
	mu  sync.Mutex
	sql []string
}

func (r *sqlRecorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	r.mu.Lock()
	r.sql = append(r.sql, sql)
	r.mu.Unlock()
}

func (r *sqlRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sql
	r.sql = nil
	return out
}

// planQuery is one store call a page makes, run against a traced store so that every
// statement it issues is explained.
type planQuery struct {
	name string
	run  func(ctx context.Context, s *models.Store) error
	// accept matches plan lines that are known to stay bounded (say why where it is set).
	accept *regexp.Regexp
}

// smallTables stay a handful of rows whatever the traffic (a catalog, keys), so reading them
// whole is fine. Every other table grows with users, clients or traffic.
var smallTables = map[string]bool{"scopes": true, "apis": true, "signing_keys": true, "schema_migrations": true, "capped": true}

var (
	sqliteScan  = regexp.MustCompile(`^SCAN (\w+)`)
	pgSeqScan   = regexp.MustCompile(`Seq Scan on (\w+)`)
	pgIndexScan = regexp.MustCompile(`Index (?:Only )?Scan (?:Backward )?using \w+ on (\w+)`)
	pgSort      = regexp.MustCompile(`(^|-> +)(Incremental )?Sort +\(`)
	hasWhere    = regexp.MustCompile(`(?i)\bWHERE\b`)
	// An IN (SELECT …) whose subquery ends in a LIMIT (the bounded batches of deletes).
	boundedIn = regexp.MustCompile(`(?i)\bIN \(SELECT [^()]* LIMIT \d+\)`)
)

// planProblems explains q on s and names what in its plan grows with a table: on SQLite a scan
// of a growing table (except the ordered walk of a statement without WHERE, which its LIMIT
// stops) and a temporary B-tree for ORDER BY (a sort of every matching row); on PostgreSQL,
// with sequential scans priced out so that an index that could serve is used, a sequential scan
// of a growing table, a whole index walked through a Filter, and a Sort node (sorts priced out too: one left means no index gives the
// order).
func planProblems(t *testing.T, s *models.Store, q string) (problems []string, plan []string) {
	t.Helper()
	switch strings.ToUpper(strings.Fields(q)[0]) {
	case "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE":
		return nil, nil
	}
	db := models.RawDB(s)
	if s.Dialect() == models.SQLite {
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
			if m := sqliteScan.FindStringSubmatch(detail); m != nil && !smallTables[m[1]] && hasWhere.MatchString(q) {
				problems = append(problems, detail)
			}
			if strings.Contains(detail, "TEMP B-TREE FOR") && strings.Contains(detail, "ORDER BY") {
				problems = append(problems, detail)
			}
			// A LIST SUBQUERY is an uncorrelated IN (SELECT …) that SQLite runs whole first,
			// however selective the rest of the statement (the refresh grant read every grant of
			// the client this way); only a LIMITed one is bounded.
			if strings.Contains(detail, "LIST SUBQUERY") && !boundedIn.MatchString(q) {
				problems = append(problems, detail)
			}
		}
		return problems, plan
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		// Tables this empty make any plan cheap; pricing sequential scans and sorts out leaves
		// them only where no index can serve, which is what is being asked.
		for _, set := range []string{"SET LOCAL enable_seqscan = off", "SET LOCAL enable_sort = off"} {
			if err := tx.Exec(set).Error; err != nil {
				return err
			}
		}
		rows, err := tx.Raw("EXPLAIN " + q).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		// An index scan with a Filter and no Index Cond walks a whole index in its order,
		// discarding rows: SQLite's "SCAN t USING INDEX" of a statement with WHERE.
		walk, walkFiltered, walkCond := "", false, false
		endWalk := func() {
			if walk != "" && walkFiltered && !walkCond {
				problems = append(problems, "filtered walk of "+walk)
			}
			walk, walkFiltered, walkCond = "", false, false
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				return err
			}
			plan = append(plan, line)
			trimmed := strings.TrimSpace(line)
			if strings.HasPrefix(trimmed, "->") || !strings.Contains(trimmed, ":") {
				endWalk()
				if m := pgIndexScan.FindStringSubmatch(trimmed); m != nil && !smallTables[m[1]] {
					walk = m[1]
				}
			}
			walkFiltered = walkFiltered || strings.HasPrefix(trimmed, "Filter:")
			walkCond = walkCond || strings.HasPrefix(trimmed, "Index Cond:")
			if m := pgSeqScan.FindStringSubmatch(line); m != nil && !smallTables[m[1]] {
				problems = append(problems, strings.TrimSpace(line))
			}
			if pgSort.MatchString(strings.TrimSpace(line)) {
				problems = append(problems, strings.TrimSpace(line))
			}
		}
		endWalk()
		return rows.Err()
	})
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	return problems, plan
}

// checkPlans runs each query against a traced copy of s and fails on every statement whose
// plan grows with a table (see planProblems).
func checkPlans(t *testing.T, s *models.Store, queries []planQuery) {
	t.Helper()
	ctx := context.Background()
	rec := &sqlRecorder{Interface: logger.Default.LogMode(logger.Silent)}
	traced := models.Traced(s, rec)
	for _, pq := range queries {
		if err := pq.run(ctx, traced); err != nil {
			t.Fatalf("%s: %v", pq.name, err)
		}
		stmts := rec.take()
		if len(stmts) == 0 {
			t.Fatalf("%s ran no statement", pq.name)
		}
		for _, q := range stmts {
			problems, plan := planProblems(t, s, q)
			if pq.accept != nil {
				problems = slices.DeleteFunc(problems, pq.accept.MatchString)
			}
			if len(problems) > 0 {
				t.Errorf("%s: %s\nplans %q\n(%s)", pq.name, q, problems, strings.Join(plan, "\n"))
			}
		}
	}
}

// adminPlanQueries are the statements of the admin console's pages: the overview and detail
// pages (issue 13) and the lists (issue 14, growth): each must cost the same with a million
// rows as with a hundred.
var adminPlanQueries = []planQuery{
	{"AdminCounts", func(ctx context.Context, s *models.Store) error { _, err := s.AdminCounts(ctx); return err }, nil},
	// Client ID metadata documents: the blocked-host page, and the check of every URL client.
	{"BlockedHosts", func(ctx context.Context, s *models.Store) error { _, err := s.BlockedHosts(ctx); return err }, nil},
	{"HostBlocked", func(ctx context.Context, s *models.Store) error {
		_, err := s.HostBlocked(ctx, "app.example.com")
		return err
	}, nil},
	{"FirstPendingScopeRequests", func(ctx context.Context, s *models.Store) error {
		_, err := s.FirstPendingScopeRequests(ctx, 5)
		return err
	}, nil},
	{"SecurityEvents", func(ctx context.Context, s *models.Store) error { _, err := s.SecurityEvents(ctx, 10); return err }, nil},
	{"AuditAbout", func(ctx context.Context, s *models.Store) error { _, err := s.AuditAbout(ctx, "dp_x", 20); return err }, nil},
	{"AuditOfUser", func(ctx context.Context, s *models.Store) error {
		_, err := s.AuditOfUser(ctx, 1, "a@example.com", 20)
		return err
	}, nil},
	{"ClientStatusHistory", func(ctx context.Context, s *models.Store) error {
		_, err := s.ClientStatusHistory(ctx, "dp_x", 20)
		return err
	}, nil},
	{"ActiveGrantCount", func(ctx context.Context, s *models.Store) error {
		_, err := s.ActiveGrantCount(ctx, "dp_x")
		return err
	}, nil},
	{"ClientNames", func(ctx context.Context, s *models.Store) error {
		_, err := s.ClientNames(ctx, []string{"dp_x", "a@example.com"})
		return err
	}, nil},
	{"UserConsents", func(ctx context.Context, s *models.Store) error { _, err := s.UserConsents(ctx, 1, 50); return err }, nil},
	{"OwnedClients", func(ctx context.Context, s *models.Store) error { _, err := s.OwnedClients(ctx, 1, 50); return err }, nil},
	{"PasskeyCount", func(ctx context.Context, s *models.Store) error { _, err := s.PasskeyCount(ctx, 1); return err }, nil},
	{"ClientEvents", func(ctx context.Context, s *models.Store) error {
		_, err := s.ClientEvents(ctx, "dp_x", 20)
		return err
	}, nil},
	// Dynamic client registration (issue 15): the initial access tokens page, and the purge of
	// unused dynamic clients, which walks only the dynamic ones (a partial index).
	{"RegistrationTokens", func(ctx context.Context, s *models.Store) error { _, err := s.RegistrationTokens(ctx, 100); return err }, nil},
	{"PurgeUnusedDynamicClients", func(ctx context.Context, s *models.Store) error {
		_, err := s.PurgeExpired(ctx, models.PurgePolicy{UnusedDynamicClients: models.UnusedDynamicClientTTL})
		return err
	}, nil},
	// Clients known by their metadata document that nobody authorized (a partial index too).
	{"PurgeUnusedMetadataClients", func(ctx context.Context, s *models.Store) error {
		_, err := s.PurgeExpired(ctx, models.PurgePolicy{UnusedMetadataClients: models.UnusedMetadataClientTTL})
		return err
	}, nil},
	// The token endpoint's and introspection's reads on every request (issue 14): by key.
	{"ConsumeAuthCode", func(ctx context.Context, s *models.Store) error {
		_, err := s.ConsumeAuthCode(ctx, models.HashToken("no such code"), "dp_x", time.Now().UTC())
		if errors.Is(err, models.ErrNotFound) {
			return nil
		}
		return err
	}, nil},
	{"AccessTokenActive of a grant", func(ctx context.Context, s *models.Store) error {
		_, err := s.AccessTokenActive(ctx, "dp_x", "g_x", "")
		return err
	}, nil},
	// Not "jti": SQLite reads the explained statement's "jti" as the column, and plans a scan.
	{"AccessTokenActive without a grant", func(ctx context.Context, s *models.Store) error {
		_, err := s.AccessTokenActive(ctx, "dp_x", "", "no-such-jti")
		return err
	}, nil},
	// Revoked grants past their retention: the index holds only revoked ones (issue 14, 0026).
	// The same policy purges the consents of revoked clients, whose IN list is the revoked
	// clients past the retention: one id per application an admin revoked, not per user or token.
	{"PurgeRevokedGrants", func(ctx context.Context, s *models.Store) error {
		_, err := s.PurgeExpired(ctx, models.PurgePolicy{RetainRevokedGrants: 30 * 24 * time.Hour})
		return err
	}, regexp.MustCompile(`^LIST SUBQUERY \d+$`)},
}

// listPlanQueries are the admin lists' pages: first, older and newer pages, filters, searches.
func listPlanQueries() []planQuery {
	var out []planQuery
	pages := map[string]func(search bool) models.ListPage{
		"first":  func(bool) models.ListPage { return models.ListPage{Limit: 50} },
		"before": func(search bool) models.ListPage { return models.ListPage{Before: cursorFor(search), Limit: 50} },
		"after":  func(search bool) models.ListPage { return models.ListPage{After: cursorFor(search), Limit: 50} },
	}
	for name, page := range pages {
		out = append(out,
			planQuery{"ListUsers/" + name, func(ctx context.Context, s *models.Store) error {
				_, err := s.ListUsers(ctx, "", page(false))
				return err
			}, nil},
			planQuery{"ListUsers/search/" + name, func(ctx context.Context, s *models.Store) error {
				_, err := s.ListUsers(ctx, "Ann", page(true))
				return err
			}, nil},
		)
		for _, status := range []string{"", models.ClientSuspended} {
			out = append(out,
				planQuery{"ListClients/" + status + "/" + name, func(ctx context.Context, s *models.Store) error {
					_, err := s.ListClients(ctx, "", status, page(false))
					return err
				}, nil},
				// PostgreSQL keeps only the outer order through a nested loop, so the owner-email
				// search sorts each owner's clients by id (presorted by email and owner): a sort of
				// one developer's applications, not of the table.
				planQuery{"ListClients/search/" + status + "/" + name, func(ctx context.Context, s *models.Store) error {
					_, err := s.ListClients(ctx, "Acme", status, page(true))
					return err
				}, ownerSort},
			)
		}
	}
	filters := map[string]models.AuditFilter{
		"all":          {},
		"actor":        {Actor: "a@example.com"},
		"target":       {Target: "dp_x"},
		"type":         {Type: models.AuditLogin},
		"actor+type":   {Actor: "a@example.com", Type: models.AuditLogin},
		"target+type":  {Target: "dp_x", Type: models.AuditLogin},
		"actor+target": {Actor: "a@example.com", Target: "dp_x"},
	}
	for name, f := range filters {
		for dir, set := range map[string]func(*models.AuditFilter){
			"first": func(*models.AuditFilter) {}, "before": func(f *models.AuditFilter) { f.Before = 1000 }, "after": func(f *models.AuditFilter) { f.After = 1000 },
		} {
			f := f
			set(&f)
			f.Limit = 51
			out = append(out, planQuery{"AuditEvents/" + name + "/" + dir, func(ctx context.Context, s *models.Store) error {
				_, err := s.AuditEvents(ctx, f)
				return err
			}, nil})
		}
	}
	return out
}

var ownerSort = regexp.MustCompile(`^-> +Incremental Sort`)

func cursorFor(search bool) string {
	if search {
		return models.SearchCursor("acme", "7")
	}
	return "7"
}

// Issue 14 (growth: every operation flat): no statement of an admin page may scan a growing
// table or sort a table's worth of rows, on either database. A table of queries so that other
// pages' queries are added as rows.
func TestPageQueriesUseIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *models.Store) {
		checkPlans(t, s, append(append(append([]planQuery{}, adminPlanQueries...), listPlanQueries()...), devicePlanQueries...))
	})
}
