package imapconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"syscall"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// fail classifies an error from a command run on c under ctx. Only four
// things happen to a command: ctx ended (timeout or cancelled), the server
// answered NO or BAD (*imap.Error, kept reachable with %w), the connection
// closed under it (connection_lost), or something on this side of the
// connection failed. An error that is already a *fault.Error was classified
// where the facts were known (a callback's disk-full is local_error) and is
// returned unchanged.
func (c *Conn) fail(ctx context.Context, op string, err error) error {
	if fault.As(err) != nil {
		return err
	}
	var ie *imap.Error
	if c != nil && !errors.As(err, &ie) {
		// Not a server response: the stream may be mid-response, so the
		// connection is never reused (go-imap fails pending commands
		// before it marks the client closed).
		c.broken.Store(true)
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &fault.Error{Kind: fault.Timeout, Op: op, Err: fmt.Errorf("%s: the IMAP server did not answer in time", op),
			Hint: "The connection was closed; try again, and if it keeps happening the server is overloaded or unreachable"}
	case errors.Is(ctx.Err(), context.Canceled):
		return &fault.Error{Kind: fault.Cancelled, Op: op, Err: fmt.Errorf("%s: cancelled", op)}
	}
	if errors.As(err, &ie) {
		return imapError(op, ie)
	}
	if c.connClosed() || netFailure(err) {
		return &fault.Error{Kind: fault.ConnLost, Op: op, Err: fmt.Errorf("%s: the IMAP connection dropped: %w", op, err)}
	}
	// The connection is up and the server did not refuse: a reply go-imap
	// could not use, or a failure on this side that nobody classified.
	return &fault.Error{Kind: fault.Server, Op: op, Err: fmt.Errorf("%s: %w", op, err)}
}

// connClosed reports whether go-imap has seen the connection end. go-imap
// sets the logout state before it fails the pending commands, and closes
// Closed() just after, so a command failed by a dropped connection always
// sees one of the two.
func (c *Conn) connClosed() bool {
	if c == nil || c.c == nil {
		return false
	}
	if c.c.State() == imap.ConnStateLogout {
		return true
	}
	select {
	case <-c.c.Closed():
		return true
	default:
		return false
	}
}

// netFailure reports errors of the network itself: end of stream, a reset
// or a closed socket.
func netFailure(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.As(err, &ne)
}

// imapError maps response codes (RFC 5530) to kinds; the *imap.Error stays
// reachable through errors.As.
func imapError(op string, ie *imap.Error) error {
	e := &fault.Error{Kind: fault.Server, Op: op, Err: fmt.Errorf("%s: server said %w", op, serverSaid{ie})}
	switch ie.Code {
	case imap.ResponseCodeNonExistent, imap.ResponseCodeTryCreate:
		e.Kind = fault.NotFound
	case imap.ResponseCodeAuthenticationFailed, imap.ResponseCodeAuthorizationFailed:
		e.Kind = fault.Auth
	case imap.ResponseCodeOverQuota:
		e.Kind = fault.Quota
	case imap.ResponseCodeLimit:
		e.Kind = fault.TooMany
	case imap.ResponseCodeUnavailable:
		e.Kind = fault.Unavailable
	case imap.ResponseCodeCannot:
		e.Kind = fault.Invalid
	case "":
		// Servers often omit the RFC 5530 code; Dovecot 2.3 answers SELECT
		// of a missing folder with a bare "NO Mailbox doesn't exist".
		if missingMailbox.MatchString(ie.Text) {
			e.Kind = fault.NotFound
		}
	}
	return e
}

// serverSaid prints an *imap.Error as the server's text alone (go-imap's
// own Error() prefixes "imap: NO [CODE]"), while errors.As still finds it.
type serverSaid struct{ ie *imap.Error }

func (s serverSaid) Error() string { return s.ie.Text }
func (s serverSaid) Unwrap() error { return s.ie }

// because is an error that reads as msg and unwraps to cause: a clearer
// sentence for the agent that keeps the typed cause for errors.As.
func because(msg string, cause error) error { return &becauseErr{msg, cause} }

type becauseErr struct {
	msg   string
	cause error
}

func (e *becauseErr) Error() string { return e.msg }
func (e *becauseErr) Unwrap() error { return e.cause }

var missingMailbox = regexp.MustCompile(`(?i)(mailbox|folder)( does not| doesn't| not) exist|no such (mailbox|folder)|unknown (mailbox|folder)|mailbox not found`)
