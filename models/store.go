// Package models holds devportal's persistent state: the GORM structs, the Store that reads and
// writes them, the embedded schema migrations, and password hashing. It knows nothing of HTTP.
package models

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// Domain errors returned by Store methods (see Error). Callers compare them with errors.Is.
var (
	ErrNotFound      = &Error{Code: ENotFound, Message: "not found"}
	ErrDuplicate     = &Error{Code: EDuplicate, Message: "already exists"}
	ErrAlreadyUsed   = &Error{Code: EAlreadyUsed, Message: "already used"}
	ErrBadCredential = &Error{Code: EBadCredential, Message: "wrong email or password"}
	ErrDisabled      = &Error{Code: EDisabled, Message: "account disabled"}
	// ErrBusy says every password-hashing slot stayed taken for the whole wait (see
	// LimitHashing): the server is overloaded and the caller should try again shortly.
	ErrBusy = &Error{Code: EBusy, Message: "the server is busy"}
	// ErrInvalid and ErrForbidden are refined with Describe into what a person is told.
	ErrInvalid   = &Error{Code: EInvalid, Message: "invalid input"}
	ErrForbidden = &Error{Code: EForbidden, Message: "not allowed"}
)

// Dialect names the SQL database behind a Store.
type Dialect string

// The supported databases.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is devportal's one gateway to the database. Every query the product runs is a method of
// it, so the SQL stays portable between SQLite and PostgreSQL and in one package.
type Store struct {
	db      *gorm.DB
	dialect Dialect
	hashing *hashLimiter
	changes *changeHooks // subscribers of client-record changes (see OnClientChange)
	gate    writeGate    // SQLite: this process's writers queue here (see writeGate); nil on PostgreSQL
}

// Options bound the connection pool of a Store. Zero fields take the defaults below.
type Options struct {
	// MaxConns is the most connections the pool opens at once (DEVPORTAL_DB_MAX_CONNS); the
	// rest of the requests wait for one. Zero: DefaultMaxConns on PostgreSQL, where every
	// instance's pool counts against the server's max_connections; unbounded on SQLite, a file
	// that costs no server backend.
	MaxConns int
	// ConnMaxLifetime closes a connection this old when it is next idle, so a pool follows a
	// failover or a PgBouncer restart instead of holding stale connections for good.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes a connection idle this long, so a burst's extra backends go away.
	ConnMaxIdleTime time.Duration
}

// Pool defaults (see Options).
const (
	DefaultMaxConns        = 10
	DefaultConnMaxLifetime = 30 * time.Minute
	DefaultConnMaxIdleTime = 5 * time.Minute
	// SQLiteIdleConns is how many connections an unbounded SQLite pool keeps open between
	// requests: enough for a busy two-core server's concurrent queries, few enough that their
	// page caches (SQLiteCacheKiB each) stay a small part of the process's memory.
	SQLiteIdleConns = 8
	// SQLiteCacheKiB is each SQLite connection's page cache (PRAGMA cache_size, in KiB).
	SQLiteCacheKiB = 1024
	// PreparedStatementsMax bounds the distinct statements the pool keeps prepared.
	PreparedStatementsMax = 512
)

// Open connects to the database named by dsn with the default pool bounds (see OpenWith).
func Open(dsn string) (*Store, error) { return OpenWith(dsn, Options{}) }

// OpenWith connects to the database named by dsn: a postgres:// URL, or a SQLite file path
// (optionally prefixed with sqlite:), its pool bounded by o. A SQLite file's folder is created
// when missing.
func OpenWith(dsn string, o Options) (*Store, error) {
	s, err := open(dsn)
	if err != nil {
		return nil, err
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	maxConns := o.MaxConns
	if maxConns == 0 && s.dialect == Postgres {
		maxConns = DefaultMaxConns
	}
	if maxConns > 0 {
		sqlDB.SetMaxOpenConns(maxConns)
		// As many idle as open: with database/sql's default of 2, every burst would close and
		// reopen connections, each a new backend process on PostgreSQL.
		sqlDB.SetMaxIdleConns(maxConns)
	} else {
		// An unbounded SQLite pool still keeps some connections: with the default of 2 idle,
		// eight concurrent requests opened and closed a connection (and prepared its statements
		// again) on almost every query, a fifth of the token endpoint's time.
		sqlDB.SetMaxIdleConns(SQLiteIdleConns)
	}
	sqlDB.SetConnMaxLifetime(cmp.Or(o.ConnMaxLifetime, DefaultConnMaxLifetime))
	sqlDB.SetConnMaxIdleTime(cmp.Or(o.ConnMaxIdleTime, DefaultConnMaxIdleTime))
	return s, nil
}

// sqliteBusyTimeout is how long SQLite retries a write lock held by another process (the CLI
// beside a server); this process's own writers queue at the writeGate first.
var sqliteBusyTimeout = WriteGateWait

func open(dsn string) (*Store, error) {
	cfg := &gorm.Config{
		Logger:                 logger.Default.LogMode(logger.Silent),
		SkipDefaultTransaction: true, // single statements are atomic already; a BEGIN per write halves throughput
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         true,
		PrepareStmt:            true, // every hot query is a fixed shape: parse it once per connection
		// A bound on those statements, least recently used out first: a query whose shape
		// varies (an IN list, a batch of rows) would otherwise add one for good per variant.
		PrepareStmtMaxSize: PreparedStatementsMax,
		// A prepared `SELECT *` fails on PostgreSQL ("cached plan must not change result type")
		// once a newer instance's migration adds a column, so every query names its columns:
		// GORM's own from the model, joins through columnsOf.
		QueryFields: true,
	}
	switch d, target := ParseDSN(dsn); d {
	case Postgres:
		db, err := gorm.Open(postgres.Open(target), cfg)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		return newStore(db, Postgres)
	default:
		if dir := filepath.Dir(target); dir != "" && dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
		}
		// The file holds password hashes and sealed keys: readable by the owner only.
		if f, err := os.OpenFile(target, os.O_CREATE|os.O_RDWR, 0o600); err == nil {
			f.Close()
		}
		// WAL lets readers proceed during a write; IMMEDIATE transactions take the write lock up
		// front, so two concurrent read-then-write transactions queue instead of deadlocking.
		q := url.Values{}
		q.Set("_busy_timeout", fmt.Sprint(sqliteBusyTimeout.Milliseconds()))
		q.Set("_journal_mode", "WAL")
		q.Set("_foreign_keys", "on")
		q.Set("_txlock", "immediate")
		q.Set("_synchronous", "NORMAL")
		// 1 MiB of page cache per connection instead of 2: each idle connection kept its cache
		// full of the activity table's newest pages, and the process grew by megabytes per
		// hundred thousand tokens until every cache was full. The OS keeps the file cached anyway.
		q.Set("_cache_size", fmt.Sprint(-SQLiteCacheKiB))
		// The path goes into a file: URI, where ?, # and % would otherwise end or alter it.
		escaped := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(target)
		db, err := gorm.Open(sqlite.New(sqlite.Config{DriverName: sqliteDriver, DSN: "file:" + escaped + "?" + q.Encode()}), cfg)
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", target, err)
		}
		return newStore(db, SQLite)
	}
}

func newStore(db *gorm.DB, d Dialect) (*Store, error) {
	reuseTxStatements(db)
	s := &Store{db: db, dialect: d, hashing: defaultHashLimiter(), changes: &changeHooks{}}
	if err := watchClientChanges(db, s.changes); err != nil {
		return nil, err
	}
	if d == SQLite {
		s.gate = make(writeGate, 1)
		if err := guardWrites(db, s.gate); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ParseDSN tells which database a DSN names and returns what the driver should be given.
func ParseDSN(dsn string) (Dialect, string) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, dsn
	case strings.HasPrefix(dsn, "sqlite://"):
		return SQLite, strings.TrimPrefix(dsn, "sqlite://")
	case strings.HasPrefix(dsn, "sqlite:"):
		return SQLite, strings.TrimPrefix(dsn, "sqlite:")
	default:
		return SQLite, dsn
	}
}

// Dialect reports which database the store talks to.
func (s *Store) Dialect() Dialect { return s.dialect }

// Close releases the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// PoolStats reports the connection pool's counters: open, in use, idle, and how often and how
// long requests waited for a connection (DEVPORTAL_DB_MAX_CONNS reached).
func (s *Store) PoolStats() sql.DBStats {
	sqlDB, err := s.db.DB()
	if err != nil {
		return sql.DBStats{}
	}
	return sqlDB.Stats()
}

// Ping checks that the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// InTx runs fn with a Store bound to one transaction, committed when fn returns nil. When the
// transaction wrote a client record, OnClientChange's subscribers hear of it again once it has
// ended, committed or not (see changes.go).
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	db := s.db.WithContext(ctx)
	var flag *atomic.Bool
	if _, nested := db.Get(txChangesKey); !nested {
		flag = new(atomic.Bool)
		db = db.Set(txChangesKey, flag)
	}
	err := s.transaction(ctx, db, func(tx *gorm.DB) error {
		return fn(&Store{db: tx, dialect: s.dialect, hashing: s.hashing, changes: s.changes, gate: s.gate})
	})
	if flag != nil && flag.Load() && s.changes != nil {
		s.changes.notify()
	}
	return err
}

func (s *Store) q(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// columnsOf lists every column of model's table qualified by the table ("users"."id", …), for a
// join's SELECT in place of `users.*`, which a rolling upgrade's added column would break (see
// QueryFields in Open).
func (s *Store) columnsOf(model any) string {
	stmt := &gorm.Statement{DB: s.db}
	err := stmt.Parse(model)
	sch := stmt.Schema
	if err != nil {
		panic(fmt.Sprintf("models: columns of %T: %v", model, err)) // a programming error: model is a fixed struct
	}
	cols := make([]string, len(sch.DBNames))
	for i, name := range sch.DBNames {
		cols[i] = s.db.Statement.Quote(clause.Column{Table: sch.Table, Name: name})
	}
	return strings.Join(cols, ", ")
}

// forUpdate is a query whose rows the surrounding transaction is about to change, so
// concurrent read-then-write transactions must queue on them: on PostgreSQL it locks them
// (SELECT … FOR UPDATE); SQLite, which has no such clause, already queues every writer, since
// its transactions start IMMEDIATE and take the database's write lock at BEGIN.
func (s *Store) forUpdate(ctx context.Context) *gorm.DB {
	if s.dialect == Postgres {
		return s.q(ctx).Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
	}
	return s.q(ctx)
}

// notFound turns GORM's record-not-found into the domain error.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// duplicate turns a unique-constraint violation into the domain error.
func duplicate(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrDuplicate
	}
	return err
}
