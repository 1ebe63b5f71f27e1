package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// Codes of domain errors: what went wrong, for programs. web maps each code to an HTTP status
// and to the error shape of each endpoint format, in one table (web/errors.go); a code missing
// there is an internal error.
const (
	ENotFound       = "not_found"        // the thing asked for does not exist (or is not the caller's)
	EDuplicate      = "duplicate"        // a unique name or email is taken
	EInvalid        = "invalid"          // input breaks a rule; the message says which
	ETooLong        = "too_long"         // input longer than its documented maximum
	EBadCredential  = "bad_credential"   // a wrong email or password
	EDisabled       = "disabled"         // the account is disabled
	EAlreadyUsed    = "already_used"     // a single-use code or token was used before
	ELastAdmin      = "last_admin"       // the change would leave no enabled administrator
	EClientStatus   = "client_status"    // the client's status does not allow the change
	ETooManySecrets = "too_many_secrets" // a client already has the most active secrets it may
	EThrottled      = "throttled"        // refused unchecked: a throttle's limit was reached
	EBusy           = "busy"             // overloaded: try again shortly
	EForbidden      = "forbidden"        // the caller may not do this
	ELinkInvalid    = "link_invalid"     // a mailed link that is unknown, used, expired or superseded
	EUnavailable    = "unavailable"      // the database cannot be reached right now: try again shortly
)

// Error is a domain error: a Code for programs and a Message for people. Modelled on
// benbjohnson/wtf's Error{Code, Message}.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Is makes errors.Is(err, target) true for any *Error with target's code, so a copy refined
// by Describe still matches its sentinel (errors.Is(err, ErrNotFound)).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && e.Code == t.Code
}

// Describe returns a copy of e whose message says more than the sentinel's; errors.Is still
// matches e.
func (e *Error) Describe(message string) *Error {
	return &Error{Code: e.Code, Message: message}
}

// Reword returns target refined with message when err is target, and err unchanged otherwise,
// so a handler names what was not found without deciding the status itself.
func Reword(err error, target *Error, message string) error {
	if errors.Is(err, target) {
		return target.Describe(message)
	}
	return err
}

// invalidf is an EInvalid error with a message for people.
func invalidf(format string, args ...any) *Error {
	return &Error{Code: EInvalid, Message: fmt.Sprintf(format, args...)}
}

// ErrorMessage is the message for people of err's domain error, or a generic one for an error
// that is none, whose text is never shown.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side. Try again in a moment."
}

// ErrorCode is the code of err's domain error, or "" for an error that is none (an internal
// one).
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ErrUnavailable says the database could not be reached (or stayed locked past its busy
// timeout): not a fault of the request, and gone once the database is back. Unavailable
// recognises the driver errors that mean it; errors.Is(err, ErrUnavailable) matches only errors
// wrapped with it explicitly.
var ErrUnavailable = &Error{Code: EUnavailable, Message: "the service is temporarily unavailable"}

// Unavailable reports whether err means the database cannot be reached right now rather than
// that the request or the code is wrong: a refused or dropped connection, a closed pool, a
// PostgreSQL connection error (SQLSTATE class 08) or shutdown (57P01–57P03), a deadline passed
// while waiting for a connection, or SQLite still locked after its busy timeout. The driver
// knowledge stays here so that web maps it to 503 without knowing any SQL.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, io.ErrUnexpectedEOF) { // the connection dropped in the middle of a reply
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked
	}
	// database/sql's "database is closed" and pgx's "conn closed" have no exported value.
	msg := err.Error()
	return strings.Contains(msg, "sql: database is closed") || strings.Contains(msg, "conn closed")
}
