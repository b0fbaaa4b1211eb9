package watch

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// notifier makes an account's first dedicated connection ask the server to
// announce changes in the account's polled folders (NOTIFY, RFC 5465), and
// pokes their watchers when a STATUS for one arrives, so that they are
// visited at once rather than at the next poll interval. Polling goes on
// regardless: NOTIFY only makes it sooner, never needed for correctness.
type notifier struct {
	folders []string
	poke    func(folder string)
	// conn is the connection NOTIFY was last set on: its namespace maps
	// the server's mailbox names in STATUS back to the agent's.
	conn atomic.Pointer[imapconn.Conn]
}

// tap sees every response line of the connection (reader goroutine).
func (n *notifier) tap(line []byte) {
	if name, ok := imapconn.StatusMailbox(line); ok {
		if c := n.conn.Load(); c != nil {
			name = c.AgentName(name)
		}
		n.poke(name)
	}
}

// set sends NOTIFY when the server offers it. A server that refuses it
// leaves the folders to polling; only a broken connection is an error.
func (n *notifier) set(ctx context.Context, conn *imapconn.Conn, timeout time.Duration, log *slog.Logger) error {
	if n == nil || len(n.folders) == 0 || !conn.Has(imapconn.CapNotify) {
		return nil
	}
	n.conn.Store(conn)
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := conn.Notify(cctx, n.folders)
	var refusal *imap.Error
	switch {
	case err == nil:
		log.Debug("NOTIFY set", "folders", n.folders)
		return nil
	case errors.As(err, &refusal) || fault.KindOf(err) == fault.Unsupported:
		log.Info("the server refused NOTIFY; the other folders are polled", "err", err)
		return nil
	}
	return err
}
