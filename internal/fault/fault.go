package fault

import (
	"context"
	"errors"
	"fmt"
)

// Kind says who is at fault and what the caller can do about an error.
// It is a string, so an unknown value prints as itself and never panics.
type Kind string

// The kinds. The string values are part of the tool-result contract
// (structuredContent.error.kind) and of the audit log: never rename one.
const (
	// The caller's fault: fix the arguments.
	Invalid  Kind = "invalid_argument" // a bad argument
	NotFound Kind = "not_found"        // folder, message, account or item does not exist
	Stale    Kind = "stale_id"         // a message id from before a UIDVALIDITY change
	ReadOnly Kind = "read_only"        // a write on a read-only account or server
	// Policy: the user's configuration refuses it.
	Forbidden    Kind = "forbidden"     // refused by send policy or configuration
	LimitReached Kind = "limit_reached" // a send cap or size limit
	Conflict     Kind = "conflict"      // contradicts earlier state (e.g. idempotency key reused)
	// The account's fault: credentials or quota.
	Auth  Kind = "auth_failed" // login refused or token revoked
	Quota Kind = "over_quota"  // the mailbox is full
	// The server's or network's fault: usually temporary.
	Server      Kind = "server_error"         // the server said NO or BAD
	Unavailable Kind = "unavailable"          // cannot connect or the service is down
	Timeout     Kind = "timeout"              // no answer within the deadline
	ConnLost    Kind = "connection_lost"      // the connection dropped during the operation
	TooMany     Kind = "too_many_connections" // the server refused another connection
	Unsupported Kind = "unsupported"          // the server lacks a needed capability
	// Ours or the caller's choice.
	Cancelled Kind = "cancelled"   // the caller gave up
	Local     Kind = "local_error" // a local resource failed (disk full, permission)
	Internal  Kind = "internal"    // a bug in mailmcp
)

// Kinds lists every kind, in the order of the constants above.
func Kinds() []Kind {
	return []Kind{Invalid, NotFound, Stale, ReadOnly, Forbidden, LimitReached, Conflict,
		Auth, Quota, Server, Unavailable, Timeout, ConnLost, TooMany, Unsupported,
		Cancelled, Local, Internal}
}

// Known reports whether k is one of the kinds above.
func (k Kind) Known() bool {
	for _, x := range Kinds() {
		if k == x {
			return true
		}
	}
	return false
}

// String returns the kind's wire name.
func (k Kind) String() string {
	if k == "" {
		return string(Internal)
	}
	return string(k)
}

// Retryable reports whether errors of kind k are usually temporary, so the
// same call may succeed if simply repeated later.
func (k Kind) Retryable() bool {
	switch k {
	case Unavailable, Timeout, ConnLost, TooMany:
		return true
	}
	return false
}

// Error is an error the agent or the person can act on.
type Error struct {
	Kind Kind
	// Op names the operation that failed ("select", "save_attachment").
	Op string
	// Err is the cause; Error() shows it, Unwrap returns it.
	Err error
	// Hint is the next step for the agent, a sentence.
	Hint string
}

func (e *Error) Error() string {
	msg := e.Message()
	if e.Hint != "" {
		return msg + ". " + e.Hint
	}
	return msg
}

// Message is the error text without the hint.
func (e *Error) Message() string {
	if e.Err == nil {
		if e.Op != "" {
			return e.Op + ": " + e.Kind.String()
		}
		return e.Kind.String()
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the same call may succeed if repeated.
func (e *Error) Retryable() bool { return e.Kind.Retryable() }

// New returns an error of kind k for op whose text is msg (no op prefix is
// added: msg should read as a sentence the agent sees).
func New(k Kind, op, msg string) *Error {
	return &Error{Kind: k, Op: op, Err: errors.New(msg)}
}

// Errorf is New with a format; %w in format wraps a cause.
func Errorf(k Kind, op, format string, args ...any) *Error {
	return &Error{Kind: k, Op: op, Err: fmt.Errorf(format, args...)}
}

// Wrap returns err as an error of kind k for op, keeping err reachable
// through errors.As/Is. A *Error already inside err keeps its kind: the
// innermost classification, made where the facts were known, wins.
func Wrap(k Kind, op string, err error) error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return err
	}
	return &Error{Kind: k, Op: op, Err: fmt.Errorf("%s: %w", op, err)}
}

// WithHint returns e with hint set (e is modified and returned).
func (e *Error) WithHint(hint string) *Error {
	e.Hint = hint
	return e
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

// KindOf returns the kind of err: the kind of the first *Error in its
// chain, Cancelled or Timeout for bare context errors, else Internal.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	if fe := As(err); fe != nil {
		return fe.Kind
	}
	switch {
	case errors.Is(err, context.Canceled):
		return Cancelled
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout
	}
	return Internal
}

// IsRetryable reports whether err may go away if the same call is repeated.
func IsRetryable(err error) bool {
	if fe := As(err); fe != nil {
		return fe.Retryable()
	}
	return KindOf(err).Retryable()
}
