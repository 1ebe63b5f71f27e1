package models

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm"
)

// GORM's statement cache (PrepareStmt) prepares a query on the transaction when it first meets
// it inside one. Such a statement belongs to that transaction; database/sql cannot reuse it in
// the next one, so every later transaction prepared every one of its statements again: parsing
// SQL was a seventh of an authorization-code exchange. stmtPool hands GORM's cache statements
// prepared on the pool instead, which each transaction reuses on its own connection.

// stmtPool is the *sql.DB under GORM's statement cache, beginning transactions that prepare on
// the pool.
type stmtPool struct{ *sql.DB }

// BeginTx returns a gorm.ConnPool (not an *sql.Tx), so GORM wraps it as it is.
func (p stmtPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	tx, err := p.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &stmtTx{Tx: tx, db: p.DB}, nil
}

// GetDBConn lets Store.db.DB() still reach the pool.
func (p stmtPool) GetDBConn() (*sql.DB, error) { return p.DB, nil }

type stmtTx struct {
	*sql.Tx
	db *sql.DB
}

// poolPrepareWait bounds how long a transaction waits for a second connection to prepare a
// statement on. A bounded pool whose every connection is held by such a transaction would
// otherwise wait on itself; past the bound the statement is prepared on the transaction, as
// GORM does, and merely is not reused.
const poolPrepareWait = 50 * time.Millisecond

// PrepareContext prepares query on the pool, where every later transaction can reuse it.
func (t *stmtTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := t.db.Stats(); st.MaxOpenConnections == 0 || st.InUse < st.MaxOpenConnections {
		pctx, cancel := context.WithTimeout(ctx, poolPrepareWait)
		stmt, err := t.db.PrepareContext(pctx, query)
		cancel()
		if err == nil {
			return stmt, nil
		}
	}
	return t.Tx.PrepareContext(ctx, query)
}

// reuseTxStatements puts stmtPool under db's statement cache.
func reuseTxStatements(db *gorm.DB) {
	p, ok := db.ConnPool.(*gorm.PreparedStmtDB)
	if !ok {
		return
	}
	if sqlDB, ok := p.ConnPool.(*sql.DB); ok {
		p.ConnPool = stmtPool{sqlDB}
	}
}
