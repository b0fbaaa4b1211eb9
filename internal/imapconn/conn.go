package imapconn

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// Conn is one authenticated IMAP connection, used by one caller at a time.
type Conn struct {
	c        *imapclient.Client
	raw      *rawConn // extension commands (nil on STARTTLS connections)
	caps     imap.CapSet
	names    names // folder names: the agent's form <-> the server's
	created  time.Time
	lastUsed time.Time

	// Selected folder state (empty when none).
	selected    string
	uidValidity uint32
	// changed is set by unilateral EXISTS/EXPUNGE: the cached message count
	// must be refreshed before sequence numbers are trusted.
	changed atomic.Bool
	// broken is set when a command failed other than by a server response
	// (EOF, a write error, a timeout): the stream is in an unknown state and
	// the connection must never be reused, even before go-imap notices.
	broken atomic.Bool
}

// Client exposes the go-imap client for operations in this package.
func (c *Conn) Client() *imapclient.Client { return c.c }

// Caps are the capabilities advertised after login.
func (c *Conn) Caps() imap.CapSet { return c.caps }

// Has reports whether the server advertised cap.
func (c *Conn) Has(cap imap.Cap) bool { return c.caps.Has(cap) }

func (c *Conn) isClosed() bool {
	if c.broken.Load() {
		return true
	}
	select {
	case <-c.c.Closed():
		return true
	default:
		return false
	}
}

// Selected returns the selected folder and its UIDVALIDITY.
func (c *Conn) Selected() (string, uint32) { return c.selected, c.uidValidity }

// NumMessages is the message count of the selected folder as last reported.
func (c *Conn) NumMessages() uint32 {
	if mb := c.c.Mailbox(); mb != nil {
		return mb.NumMessages
	}
	return 0
}

// Select makes name the selected folder unless it already is. Dovecot rescans
// a Maildir on every (re)open, so re-selecting on every call is expensive.
func (c *Conn) Select(ctx context.Context, name string) error {
	if c.selected == name && c.c.Mailbox() != nil {
		return nil
	}
	c.selected = ""
	data, err := c.c.Select(c.ServerName(name), &imap.SelectOptions{ReadOnly: false}).Wait()
	if err != nil {
		if fault.KindOf(c.fail(ctx, "select", err)) == fault.NotFound {
			return noSuchFolder("select", name, err)
		}
		return c.fail(ctx, fmt.Sprintf("select %q", name), err)
	}
	c.selected, c.uidValidity = name, data.UIDValidity
	c.changed.Store(false)
	return nil
}

// Unselect leaves the selected folder (UNSELECT: nothing is expunged), so
// that the next Select opens it from the server's current state. It
// reports false, doing nothing, when no folder is selected or the server
// lacks UNSELECT.
func (c *Conn) Unselect(ctx context.Context) (bool, error) {
	if c.selected == "" || c.c.Mailbox() == nil || !(c.Has(imap.CapUnselect) || c.Has(imap.CapIMAP4rev2)) {
		return false, nil
	}
	if err := c.c.Unselect().Wait(); err != nil {
		return false, c.fail(ctx, "unselect", err)
	}
	c.selected = ""
	return true, nil
}

// selectFresh selects name, or, when it is selected already, sends one
// NOOP so that mail delivered since is visible: Dovecot answers a UID
// SEARCH from its view before the command and announces new mail only
// after it (seen in the conformance suite).
func (c *Conn) selectFresh(ctx context.Context, name string) error {
	if c.selected == name && c.c.Mailbox() != nil {
		return c.Refresh(ctx)
	}
	return c.Select(ctx, name)
}

// noSuchFolder is the error for a command on a folder the server lacks;
// the server's refusal stays reachable beneath it.
func noSuchFolder(op, name string, refusal error) error {
	return &fault.Error{Kind: fault.NotFound, Op: op, Err: because(fmt.Sprintf("folder %q does not exist", name), refusal),
		Hint: "Call list_folders to see the folder names of this account"}
}

// Refresh makes pending EXISTS/EXPUNGE visible (one NOOP round trip) so that
// NumMessages is current before sequence numbers are computed from it.
func (c *Conn) Refresh(ctx context.Context) error {
	if err := c.c.Noop().Wait(); err != nil {
		return c.fail(ctx, "noop", err)
	}
	return nil
}

// run executes fn with a watchdog: when ctx ends first, the connection is
// closed, which unblocks any Wait inside fn (go-imap has no timeouts).
func (c *Conn) run(ctx context.Context, op string, fn func() error) error {
	stop := context.AfterFunc(ctx, func() { c.c.Close() })
	err := fn()
	if !stop() {
		// The watchdog fired: the connection is gone, whatever fn said.
		return c.fail(ctx, op, context.Cause(ctx))
	}
	if err != nil {
		return c.fail(ctx, op, err)
	}
	return nil
}
