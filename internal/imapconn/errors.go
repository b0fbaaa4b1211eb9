package imapconn

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// Kind and Error are the one error vocabulary (package fault); the names
// here keep the engine's callers readable while they move to fault.
type (
	Kind  = fault.Kind
	Error = fault.Error
)

// The engine's kinds.
const (
	KindServer      = fault.Server
	KindInvalid     = fault.Invalid
	KindNotFound    = fault.NotFound
	KindStale       = fault.Stale
	KindAuth        = fault.Auth
	KindUnavailable = fault.Unavailable
	KindTimeout     = fault.Timeout
	KindCancelled   = fault.Cancelled
	KindConnLost    = fault.ConnLost
	KindQuota       = fault.Quota
	KindTooMany     = fault.TooMany
	KindUnsupported = fault.Unsupported
	KindReadOnly    = fault.ReadOnly
)

// KindOf returns the kind of err, KindServer when it is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindServer
}

// Retryable reports whether the same call may succeed if simply repeated.
func Retryable(err error) bool {
	switch KindOf(err) {
	case KindUnavailable, KindTimeout, KindConnLost, KindTooMany:
		return true
	}
	return false
}

// fail classifies an error from a command run on c under ctx.
func (c *Conn) fail(ctx context.Context, op string, err error) error {
	var me *Error
	if errors.As(err, &me) {
		return err
	}
	var ie *imap.Error
	if c != nil && !errors.As(err, &ie) {
		// Not a server response: go-imap fails pending commands before it
		// marks the client closed, so remember it here.
		c.broken.Store(true)
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &Error{Kind: KindTimeout, Op: op, Err: fmt.Errorf("%s: the IMAP server did not answer in time", op),
			Hint: "The connection was closed; try again, and if it keeps happening the server is overloaded or unreachable"}
	case errors.Is(ctx.Err(), context.Canceled):
		return &Error{Kind: KindCancelled, Op: op, Err: fmt.Errorf("%s: cancelled", op)}
	}
	if errors.As(err, &ie) {
		return imapError(op, ie)
	}
	if c != nil && c.c != nil && c.isClosed() {
		return &Error{Kind: KindConnLost, Op: op, Err: fmt.Errorf("%s: the IMAP connection dropped: %v", op, err)}
	}
	return &Error{Kind: KindServer, Op: op, Err: fmt.Errorf("%s: %w", op, err)}
}

// imapError maps response codes (RFC 5530) to kinds.
func imapError(op string, ie *imap.Error) error {
	e := &Error{Kind: KindServer, Op: op, Err: fmt.Errorf("%s: server said %s", op, ie.Text)}
	switch ie.Code {
	case imap.ResponseCodeNonExistent, imap.ResponseCodeTryCreate:
		e.Kind = KindNotFound
	case imap.ResponseCodeAuthenticationFailed, imap.ResponseCodeAuthorizationFailed:
		e.Kind = KindAuth
	case imap.ResponseCodeOverQuota, imap.ResponseCodeLimit:
		e.Kind = KindQuota
		if ie.Code == imap.ResponseCodeLimit {
			e.Kind = KindTooMany
		}
	case imap.ResponseCodeUnavailable:
		e.Kind = KindUnavailable
	case imap.ResponseCodeCannot:
		e.Kind = KindInvalid
	case "":
		// Servers often omit the RFC 5530 code; Dovecot 2.3 answers SELECT
		// of a missing folder with a bare "NO Mailbox doesn't exist".
		if missingMailbox.MatchString(ie.Text) {
			e.Kind = KindNotFound
		}
	}
	return e
}

var missingMailbox = regexp.MustCompile(`(?i)(mailbox|folder)( does not| doesn't| not) exist|no such (mailbox|folder)|unknown (mailbox|folder)|mailbox not found`)
