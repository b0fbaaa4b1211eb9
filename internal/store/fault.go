package store

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// Hints of the store's classified errors.
const (
	busyHint   = "The state store is busy (another mailmcp process or replica holds it); try again in a moment"
	closedHint = "mailmcp is shutting down; try again once it has restarted"
	pgHint     = "The PostgreSQL database holding mailmcp's state cannot be reached; try again in a moment, and tell the user if it persists"
	slowHint   = "The state store did not answer in time; try again in a moment"
)

// classify gives a failed transaction the kind an agent can act on, where
// is the store ("the state file /x/state.db", "the PostgreSQL database"):
// busy, closed or unreachable is unavailable (retry later), an ended
// context is cancelled or timeout, a full, read-only or damaged local file
// is a local_error naming it. An error fn returned that is already a
// *fault.Error, and anything unrecognised (a bug: a write in a View, a
// bad value), is returned as it is. The text of err is kept, and so is
// errors.Is(err, ErrBusy) and the like.
func classify(where string, err error) error {
	if err == nil || fault.As(err) != nil {
		return err
	}
	e := &fault.Error{Op: "store", Err: err}
	switch {
	case errors.Is(err, ErrBusy):
		e.Kind, e.Hint = fault.Unavailable, busyHint
	case errors.Is(err, ErrClosed):
		e.Kind, e.Hint = fault.Unavailable, closedHint
	case errors.Is(err, context.Canceled):
		e.Kind = fault.Cancelled
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		e.Kind, e.Hint = fault.Timeout, slowHint
	case fault.LocalFS(err):
		e.Kind, e.Hint = fault.Local, fault.LocalHint(where, err)
	case damaged(err):
		e.Kind, e.Hint = fault.Local, where+" is damaged; tell the user (mailmcp doctor checks it; a backup can be restored)"
	case unreachable(err):
		e.Kind, e.Hint = fault.Unavailable, pgHint
	default:
		return err
	}
	return e
}

// damaged reports bbolt's reports of a file that is not a valid database.
func damaged(err error) bool {
	for _, e := range []error{berrors.ErrInvalid, berrors.ErrVersionMismatch, berrors.ErrChecksum, berrors.ErrInvalidMapping} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// unreachable reports a PostgreSQL server that cannot be reached or is not
// serving now: a refused or dropped connection, a server shutting down or
// starting, too many connections.
func unreachable(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01-57P03: the server is
		// shutting down or starting; class 53: insufficient resources.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P0") || strings.HasPrefix(pe.Code, "53")
	}
	// pgx reports a connection it already saw die in plain text.
	return strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "closed pool")
}
