package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/open311-to-go/open311/georeport"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// translate returns err as a *georeport.Error for the operation op, so that no caller
// branches on a driver error. A unique constraint is Conflict and sql.ErrNoRows is NotFound.
// A database that cannot be opened, stays locked past the busy timeout or fails on disk is
// Unavailable, and anything else is Internal. The cause stays wrapped for the log. A nil
// err gives nil, and a *georeport.Error keeps its kind.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}

	var domain *georeport.Error
	if errors.As(err, &domain) {
		if domain.Op == "" {
			domain.Op = op
		}
		return domain
	}

	return &georeport.Error{Kind: kindOf(err), Op: op, Err: err}
}

// newError returns an error of the kind for the operation op, with a cause that this
// package found rather than the driver.
func newError(kind georeport.Kind, op, format string, args ...any) error {
	return &georeport.Error{Kind: kind, Op: op, Err: fmt.Errorf(format, args...)}
}

// kindOf returns the kind of a driver or database/sql error.
func kindOf(err error) georeport.Kind {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return georeport.NotFound
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return georeport.Unavailable
	case errors.Is(err, sql.ErrConnDone), errors.Is(err, driver.ErrBadConn):
		return georeport.Unavailable
	}

	var driverErr *sqlite.Error
	if !errors.As(err, &driverErr) {
		return georeport.Internal
	}

	// Extended result codes are on in this driver, so the primary code is the low byte.
	code := driverErr.Code()
	switch code & 0xff {
	case sqlite3.SQLITE_CONSTRAINT:
		if code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
			return georeport.Conflict
		}
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL,
		sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_INTERRUPT:
		return georeport.Unavailable
	}
	return georeport.Internal
}
