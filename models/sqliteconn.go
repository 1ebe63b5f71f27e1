package models

/*
// sqlite3_db_config is variadic, which cgo cannot call: this wrapper sets an on/off option (on
// 1 or 0; -1 leaves it) and returns its state. The symbol is go-sqlite3's, from the SQLite it
// compiles into the same binary.
extern int sqlite3_db_config(void*, int, ...);
static int devportal_db_config_flag(void *db, int op, int on) {
	int now = -1;
	if (sqlite3_db_config(db, op, on, &now) != 0) return -1;
	return now;
}
*/
import "C"

import (
	"database/sql"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/mattn/go-sqlite3"
)

// sqliteDriver is go-sqlite3 with each new connection configured by configureSQLiteConn.
const sqliteDriver = "sqlite3_devportal"

func init() {
	sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{ConnectHook: configureSQLiteConn})
}

// SQLITE_DBCONFIG_ENABLE_QPSG, from sqlite3.h.
const sqliteDBConfigEnableQPSG = 1007

// configureSQLiteConn turns on SQLite's query planner stability guarantee. Without it, SQLite
// marks a statement to be planned again when a new value is bound to a parameter the planner
// looked at (an equality in a join or beside an ORDER BY, a LIMIT), and go-sqlite3 clears every
// binding before each execution, so such statements were parsed and planned again every time
// they ran: two thirds of an introspection's revocation query. Our queries are shaped for their
// indexes, not for particular values, and the plan tests find every index with the guarantee on.
func configureSQLiteConn(c *sqlite3.SQLiteConn) error {
	if got := sqliteConfigFlag(c, sqliteDBConfigEnableQPSG, 1); got != 1 {
		return fmt.Errorf("sqlite: enabling the query planner stability guarantee failed (%d)", got)
	}
	return nil
}

// sqliteConfigFlag sets a connection's sqlite3_db_config option op (on: 1 or 0, -1 to leave it)
// and returns its state, or -1 on failure.
func sqliteConfigFlag(c *sqlite3.SQLiteConn, op, on int) int {
	db := sqliteHandle(c)
	if db == nil {
		return -1
	}
	return int(C.devportal_db_config_flag(db, C.int(op), C.int(on)))
}

// sqliteHandle is the connection's sqlite3* handle, which go-sqlite3 keeps unexported.
func sqliteHandle(c *sqlite3.SQLiteConn) unsafe.Pointer {
	f := reflect.ValueOf(c).Elem().FieldByName("db")
	if !f.IsValid() || f.Kind() != reflect.Pointer {
		return nil
	}
	return *(*unsafe.Pointer)(unsafe.Pointer(f.UnsafeAddr()))
}
