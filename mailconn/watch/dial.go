package watch

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/mailconn"
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
// unilateral data. The whole handshake is bounded by timeout.
func dialDedicated(ctx context.Context, a *mailconn.Account, timeout time.Duration, h *imapclient.UnilateralDataHandler) (*imapclient.Client, *activityConn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := net.Dialer{KeepAlive: 30 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", a.IMAP.Address())
	if err != nil {
		return nil, nil, fmt.Errorf("connect to IMAP server %s: %w", a.IMAP.Address(), err)
	}
	ac := &activityConn{Conn: raw}
	ac.last.Store(time.Now().UnixNano())
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	tlsCfg := a.TLS
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: a.IMAP.Host, MinVersion: tls.VersionTLS12}
	}
	opts := &imapclient.Options{UnilateralDataHandler: h}
	var c *imapclient.Client
	switch a.IMAP.TLS {
	case mailconn.TLSImplicit:
		tc := tls.Client(ac, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, nil, fmt.Errorf("TLS handshake with %s: %w", a.IMAP.Address(), err)
		}
		c = imapclient.New(tc, opts)
	case mailconn.TLSStartTLS:
		opts.TLSConfig = tlsCfg
		c, err = imapclient.NewStartTLS(ac, opts)
		if err != nil {
			raw.Close()
			return nil, nil, fmt.Errorf("STARTTLS with %s: %w", a.IMAP.Address(), err)
		}
	case mailconn.TLSPlain:
		c = imapclient.New(ac, opts)
	default:
		raw.Close()
		return nil, nil, fmt.Errorf("unknown TLS mode %q", a.IMAP.TLS)
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("greeting from %s: %w", a.IMAP.Address(), err)
	}
	if err := a.Auth.AuthenticateIMAP(ctx, c); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("login to %s: %w", a.IMAP.Address(), err)
	}
	if _, err := c.Capability().Wait(); err != nil {
		c.Close()
		return nil, nil, fmt.Errorf("capability: %w", err)
	}
	if ctx.Err() != nil {
		c.Close()
		return nil, nil, fmt.Errorf("connect to %s: %w", a.IMAP.Address(), context.Cause(ctx))
	}
	return c, ac, nil
}
