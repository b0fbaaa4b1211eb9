package mailconn

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
)

// wordDecoder decodes RFC 2047 words in every charset go-message knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// dial opens, secures and authenticates one IMAP connection, all within ctx.
func dial(ctx context.Context, a *Account) (*Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, a.DialTimeout)
	defer cancel()
	d := net.Dialer{KeepAlive: 30 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", a.IMAP.Address())
	if err != nil {
		return nil, &Error{Kind: KindUnavailable, Op: "connect", Err: fmt.Errorf("connect to IMAP server %s: %w", a.IMAP.Address(), err)}
	}
	conn := &Conn{created: time.Now()}
	opts := &imapclient.Options{
		WordDecoder: wordDecoder,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Expunge: func(uint32) { conn.changed.Store(true) },
			Mailbox: func(*imapclient.UnilateralDataMailbox) { conn.changed.Store(true) },
		},
	}
	tlsCfg := a.TLS
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: a.IMAP.Host, MinVersion: tls.VersionTLS12}
	}
	// Until the client exists, a watchdog on the raw socket bounds the
	// handshake; afterwards the same watchdog closes the client.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	var c *imapclient.Client
	switch a.IMAP.TLS {
	case TLSImplicit:
		tc := tls.Client(raw, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, &Error{Kind: KindUnavailable, Op: "tls", Err: fmt.Errorf("TLS handshake with %s: %w", a.IMAP.Address(), err)}
		}
		opts.TLSConfig = tlsCfg
		conn.raw = newRawConn(tc)
		c = imapclient.New(conn.raw, opts)
	case TLSStartTLS:
		opts.TLSConfig = tlsCfg
		c, err = imapclient.NewStartTLS(raw, opts)
		if err != nil {
			raw.Close()
			return nil, &Error{Kind: KindUnavailable, Op: "starttls", Err: fmt.Errorf("STARTTLS with %s: %w", a.IMAP.Address(), err)}
		}
	case TLSPlain:
		conn.raw = newRawConn(raw)
		c = imapclient.New(conn.raw, opts)
	default:
		raw.Close()
		return nil, fmt.Errorf("mailconn: unknown TLS mode %q", a.IMAP.TLS)
	}
	conn.c = c
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, conn.fail(ctx, "greeting", err)
	}
	if err := a.Auth.AuthenticateIMAP(ctx, c); err != nil {
		c.Close() // a failed AUTHENTICATE leaves go-imap in an unknown state
		if ctx.Err() != nil {
			return nil, conn.fail(ctx, "login", err)
		}
		return nil, classifyAuth(err, a)
	}
	caps, err := c.Capability().Wait()
	if err != nil {
		c.Close()
		return nil, conn.fail(ctx, "capability", err)
	}
	conn.caps = caps
	if conn.raw != nil && !caps.Has(CapGmail) {
		conn.raw.setBypass() // no extension needs the raw path
	}
	return conn, nil
}

// classifyAuth turns a login failure into an actionable error.
func classifyAuth(err error, a *Account) error {
	var ie *imap.Error
	msg := err.Error()
	if errors.As(err, &ie) {
		msg = ie.Text
	}
	return &Error{Kind: KindAuth, Op: "login", Err: fmt.Errorf("the IMAP server %s refused the login for %s: %s", a.IMAP.Host, a.Email, msg)}
}
