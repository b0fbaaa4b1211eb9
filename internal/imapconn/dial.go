package imapconn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/fault"
)

// wordDecoder decodes RFC 2047 words in every charset go-message knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// dial opens, secures and authenticates one pooled IMAP connection.
func dial(ctx context.Context, a *Account) (*Conn, error) {
	conn := &Conn{created: time.Now()}
	unilateral := &imapclient.UnilateralDataHandler{
		Expunge: func(uint32) { conn.changed.Store(true) },
		Mailbox: func(*imapclient.UnilateralDataMailbox) { conn.changed.Store(true) },
	}
	c, caps, err := connect(ctx, a, a.DialTimeout, unilateral, nil, func(s net.Conn) net.Conn {
		conn.raw = newRawConn(s)
		return conn.raw
	})
	if err != nil {
		return nil, err
	}
	conn.c, conn.caps = c, caps
	bound := a.DialTimeout
	if bound <= 0 {
		bound = 30 * time.Second
	}
	if err := conn.learnNames(ctx, bound); err != nil {
		return nil, err
	}
	if conn.raw != nil && !caps.Has(CapGmail) {
		conn.raw.setBypass() // no extension needs the raw path
	}
	return conn, nil
}

// DialOptions adapt DialConn for a connection that lives outside the pool.
type DialOptions struct {
	// Timeout bounds the whole handshake (0: the account's DialTimeout).
	Timeout time.Duration
	// Unilateral receives the server's unsolicited responses.
	Unilateral *imapclient.UnilateralDataHandler
	// WrapTCP, when set, wraps the TCP connection before TLS (e.g. to
	// notice when bytes last arrived).
	WrapTCP func(net.Conn) net.Conn
}

// DialConn opens, secures and authenticates one IMAP connection that the
// caller owns (a watcher's), exactly as the pool does its own, and reads
// its namespace, so that folder names map as on the pool's connections
// (ServerName). a is only read: several watchers of one account dial
// concurrently. It has the raw path (for extension commands such as
// NOTIFY) on implicit-TLS and plain connections. tap, when
// set, sees the start of every response line go-imap receives, on its
// reader goroutine (it must return quickly); it is how unsolicited
// responses go-imap parses and drops (NOTIFY's STATUS) can be noticed. A
// STARTTLS connection has no raw path and never calls tap. The caller owns
// the connection; Conn.Client() is its go-imap client.
func DialConn(ctx context.Context, a *Account, o DialOptions, tap func(line []byte)) (*Conn, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		d := *a
		d.withDefaults()
		timeout = d.DialTimeout
	}
	conn := &Conn{created: time.Now()}
	c, caps, err := connect(ctx, a, timeout, o.Unilateral, o.WrapTCP, func(s net.Conn) net.Conn {
		conn.raw = newRawConn(s)
		conn.raw.tap = tap
		return conn.raw
	})
	if err != nil {
		return nil, err
	}
	conn.c, conn.caps = c, caps
	if err := conn.learnNames(ctx, timeout); err != nil {
		return nil, err
	}
	if conn.raw != nil && tap == nil {
		conn.raw.setBypass() // raw commands still work; nothing to look at
	}
	return conn, nil
}

// connect dials, secures (implicit TLS, STARTTLS or loopback plain), reads
// the greeting, authenticates and asks for the capabilities, all within
// timeout and ctx. wrapTCP wraps the TCP connection; wrapStream wraps the
// cleartext stream go-imap reads and writes. The login gets a stream that
// sends empty SASL responses correctly (loginConn) and learns that, with
// the TLS state, from its ctx (auth.WithIMAPLink).
func connect(ctx context.Context, a *Account, timeout time.Duration, unilateral *imapclient.UnilateralDataHandler,
	wrapTCP, wrapStream func(net.Conn) net.Conn) (*imapclient.Client, imap.CapSet, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := net.Dialer{KeepAlive: 30 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", a.IMAP.Address())
	if err != nil {
		return nil, nil, &fault.Error{Kind: fault.Unavailable, Op: "connect", Err: fmt.Errorf("connect to IMAP server %s: %w", a.IMAP.Address(), err)}
	}
	// Until the client exists, a watchdog on the raw socket bounds the
	// handshake; closing the socket also ends the client.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	tcp := net.Conn(raw)
	if wrapTCP != nil {
		tcp = wrapTCP(raw)
	}
	if wrapStream == nil {
		wrapStream = func(s net.Conn) net.Conn { return s }
	}
	opts := &imapclient.Options{WordDecoder: wordDecoder, UnilateralDataHandler: unilateral}
	tlsCfg := a.TLS
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: a.IMAP.Host, MinVersion: tls.VersionTLS12}
	}
	var stream net.Conn
	link := auth.IMAPLink{SCRAM: true} // loginConn below
	switch a.IMAP.TLS {
	case TLSImplicit:
		tc := tls.Client(tcp, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, nil, &fault.Error{Kind: fault.Unavailable, Op: "tls", Err: fmt.Errorf("TLS handshake with %s: %w", a.IMAP.Address(), err),
				Hint: fault.CertificateHint(a.IMAP.Host, err)}
		}
		cs := tc.ConnectionState()
		link.TLS = &cs
		stream = tc
	case TLSStartTLS:
		tc, greeted, err := startTLS(ctx, tcp, tlsCfg)
		if err != nil {
			raw.Close()
			if fault.As(err) != nil {
				return nil, nil, err
			}
			return nil, nil, &fault.Error{Kind: fault.Unavailable, Op: "starttls", Err: fmt.Errorf("STARTTLS with %s: %w", a.IMAP.Address(), err),
				Hint: fault.CertificateHint(a.IMAP.Host, err)}
		}
		cs := tc.ConnectionState()
		link.TLS = &cs
		stream = greeted
	case TLSPlain:
		stream = tcp
	default:
		raw.Close()
		return nil, nil, fmt.Errorf("imapconn: unknown TLS mode %q", a.IMAP.TLS)
	}
	login := &loginConn{Conn: stream}
	c := imapclient.New(wrapStream(login), opts)
	probe := &Conn{c: c} // lets fail tell a dropped connection from a refusal
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, nil, probe.fail(ctx, "greeting", err)
	}
	err = a.Auth.AuthenticateIMAP(auth.WithIMAPLink(ctx, link), c)
	login.done.Store(true)
	if err != nil {
		c.Close() // a failed AUTHENTICATE leaves go-imap in an unknown state
		if ctx.Err() != nil {
			return nil, nil, probe.fail(ctx, "login", err)
		}
		if fault.KindOf(err) == fault.Unsupported {
			return nil, nil, err // nothing was sent: the mechanism is not there
		}
		return nil, nil, classifyAuth(err, a)
	}
	caps, err := c.Capability().Wait()
	if err != nil {
		c.Close()
		return nil, nil, probe.fail(ctx, "capability", err)
	}
	if !stop() {
		// The deadline passed right after the last answer: the watchdog
		// has closed the socket under the client.
		c.Close()
		return nil, nil, probe.fail(ctx, "connect", context.Cause(ctx))
	}
	return c, caps, nil
}

// classifyAuth turns a login failure into an actionable error. One the
// login already classified (a password source that cannot be read, a token
// that cannot be refreshed, a server that failed to prove itself) keeps its
// kind and hint: the innermost classification wins, as in fault.Wrap.
func classifyAuth(err error, a *Account) error {
	if fault.As(err) != nil {
		return err
	}
	var ie *imap.Error
	msg := err.Error()
	if errors.As(err, &ie) {
		msg = ie.Text
	}
	return &fault.Error{Kind: fault.Auth, Op: "login", Err: fmt.Errorf("the IMAP server %s refused the login for %s: %s", a.IMAP.Host, a.Email, msg)}
}

// learnNames reads the connection's namespace (how folder names map on it
// from now on) within bound; on failure the connection is closed.
func (conn *Conn) learnNames(ctx context.Context, bound time.Duration) error {
	nctx, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	err := conn.run(nctx, "read namespace", func() (e error) {
		conn.names, e = readNames(conn.c, conn.caps)
		return e
	})
	if err != nil {
		conn.c.Close()
	}
	return err
}
