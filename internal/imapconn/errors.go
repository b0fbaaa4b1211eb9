package imapconn

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/emersion/go-imap/v2"
)

// Kind says who is at fault and what the agent can do about an error.
type Kind int

const (
	KindServer      Kind = iota // the server said NO or BAD
	KindInvalid                 // bad argument from the caller
	KindNotFound                // folder or message does not exist
	KindStale                   // a message id from before a UIDVALIDITY change
	KindAuth                    // login refused
	KindUnavailable             // cannot connect
	KindTimeout                 // no answer within the deadline
	KindCancelled               // the caller gave up
	KindConnLost                // the connection dropped during the operation
	KindQuota                   // over quota
	KindTooMany                 // too many connections
	KindUnsupported             // the server lacks a needed capability
	KindReadOnly                // a write on a read-only account
)

func (k Kind) String() string {
	return [...]string{"server_error", "invalid_argument", "not_found", "stale_id", "auth_failed",
		"unavailable", "timeout", "cancelled", "connection_lost", "over_quota", "too_many_connections",
		"unsupported", "read_only"}[k]
}

// Error is an engine error the agent can act on.
type Error struct {
	Kind Kind
	Op   string
	Err  error
	Hint string // the next step, for the agent
}

func (e *Error) Error() string {
	if e.Hint != "" {
		return fmt.Sprintf("%v. %s", e.Err, e.Hint)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

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
