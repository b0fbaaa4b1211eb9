package watch

import (
	"context"
	"net"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// activityConn records when bytes last arrived from the server, for the
// watchdog (go-imap sets no read deadline while IDLE waits).
type activityConn struct {
	net.Conn
	last atomic.Int64 // unix nanoseconds
}

func (c *activityConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.last.Store(time.Now().UnixNano())
	}
	return n, err
}

func (c *activityConn) quiet() time.Duration {
	return time.Since(time.Unix(0, c.last.Load()))
}

// dialDedicated opens and authenticates a connection that belongs to one
// watcher, outside the account's pool, with the watcher's handlers for
// unilateral data, an activity record for its watchdog and, with tap, a
// look at every response line (for NOTIFY's STATUS). The whole handshake is
// bounded by timeout.
func dialDedicated(ctx context.Context, a *imapconn.Account, timeout time.Duration, h *imapclient.UnilateralDataHandler, tap func([]byte)) (*imapconn.Conn, *activityConn, error) {
	var ac *activityConn
	c, err := imapconn.DialConn(ctx, a, imapconn.DialOptions{Timeout: timeout, Unilateral: h, WrapTCP: func(raw net.Conn) net.Conn {
		ac = &activityConn{Conn: raw}
		ac.last.Store(time.Now().UnixNano())
		return ac
	}}, tap)
	if err != nil {
		return nil, nil, err
	}
	return c, ac, nil
}
