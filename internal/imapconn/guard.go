package imapconn

import (
	"context"

	"github.com/emersion/go-imap/v2/imapclient"
)

// Guard runs fn, commands on a connection the caller owns outside the pool
// (an IDLE watcher's), under the pool's own watchdog: when ctx ends before
// fn returns the connection is closed, which unblocks go-imap (it has no
// timeouts), and the error is classified as for pooled commands (timeout,
// cancelled, the server's refusal, connection lost) as a *fault.Error
// naming op.
func Guard(ctx context.Context, c *imapclient.Client, op string, fn func() error) error {
	return (&Conn{c: c}).run(ctx, op, fn)
}
