// Package pop3 is a small, strict POP3 client (RFC 1939) with STLS
// (RFC 2595), CAPA, RESP-CODES and AUTH-RESP-CODE (RFC 2449), SASL
// (RFC 5034) and APOP. No well-kept Go POP3 client exists in the module
// proxy this project builds from, so it is written here, beside imapconn.
//
// Every command runs under a deadline (Options.Timeout, refreshed while a
// long RETR keeps delivering bytes) and under the caller's context: an
// ended context fails the command at once and the connection is closed,
// since a POP3 session cannot resume mid-response.
package pop3

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// TLSMode is how the connection is protected.
type TLSMode string

// TLS modes: implicit TLS (995), STLS after the greeting (110), or none
// (loopback only; the caller enforces that rule).
const (
	TLSImplicit TLSMode = "implicit"
	TLSStartTLS TLSMode = "starttls"
	TLSPlain    TLSMode = "plain"
)

// Options for Dial.
type Options struct {
	TLS       TLSMode
	TLSConfig *tls.Config // ServerName must be set for implicit and STLS
	// Timeout bounds each command (default 30 s); a RETR or TOP gets it
	// again for every chunk that arrives.
	Timeout time.Duration
	// MaxMessage bounds a RETR (default 100 MiB): a server that sends more
	// fails the command instead of filling memory.
	MaxMessage int64
}

// Client is one POP3 session. It is not safe for concurrent use: POP3 is
// one command at a time.
type Client struct {
	conn    net.Conn
	r       *bufio.Reader
	opt     Options
	greet   string // the greeting's text, with the APOP timestamp if any
	tls     *tls.ConnectionState
	closed  bool
	caps    map[string][]string
	capsErr error
}

// Error is a negative response (-ERR) from the server.
type Error struct {
	Command string // the command, without its arguments
	Code    string // the RFC 2449 response code, e.g. "AUTH", "IN-USE", "SYS/TEMP"
	Text    string // the server's text after the code
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("pop3 %s: -ERR [%s] %s", e.Command, e.Code, e.Text)
	}
	return fmt.Sprintf("pop3 %s: -ERR %s", e.Command, e.Text)
}

// Temporary reports a failure worth retrying later: the mailbox is locked
// by another session, the server said a login is too soon, or a system
// error it calls temporary.
func (e *Error) Temporary() bool {
	return e.Code == "IN-USE" || e.Code == "LOGIN-DELAY" || e.Code == "SYS/TEMP"
}

// ErrProtocol marks a response that breaks the protocol (no +OK or -ERR,
// an endless line, a message over MaxMessage).
var ErrProtocol = errors.New("pop3: protocol violation")

// Dial connects to addr ("host:port"), reads the greeting and, for
// TLSStartTLS, issues STLS. ctx bounds the whole dial.
func Dial(ctx context.Context, addr string, opt Options) (*Client, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	if opt.MaxMessage <= 0 {
		opt.MaxMessage = 100 << 20
	}
	if opt.TLS == "" {
		opt.TLS = TLSImplicit
	}
	d := net.Dialer{Timeout: opt.Timeout}
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pop3 dial %s: %w", addr, err)
	}
	c := &Client{conn: raw, opt: opt}
	if opt.TLS == TLSImplicit {
		tc := tls.Client(raw, opt.TLSConfig)
		hctx, cancel := context.WithTimeout(ctx, opt.Timeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			raw.Close()
			return nil, fmt.Errorf("pop3 TLS handshake with %s: %w", addr, err)
		}
		st := tc.ConnectionState()
		c.conn, c.tls = tc, &st
	}
	c.r = bufio.NewReaderSize(c.conn, 16<<10)
	greet, err := c.do(ctx, "greeting", "")
	if err != nil {
		c.conn.Close()
		return nil, err
	}
	c.greet = greet
	if opt.TLS == TLSStartTLS {
		if err := c.startTLS(ctx); err != nil {
			c.conn.Close()
			return nil, err
		}
	}
	return c, nil
}

func (c *Client) startTLS(ctx context.Context) error {
	if _, err := c.do(ctx, "STLS", "STLS"); err != nil {
		return err
	}
	if c.r.Buffered() > 0 {
		// Bytes after +OK before the handshake could only be injected.
		return fmt.Errorf("pop3 STLS: the server sent data before TLS started: %w", ErrProtocol)
	}
	tc := tls.Client(c.conn, c.opt.TLSConfig)
	hctx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return fmt.Errorf("pop3 STLS handshake: %w", err)
	}
	st := tc.ConnectionState()
	c.conn, c.tls, c.r = tc, &st, bufio.NewReaderSize(tc, 16<<10)
	c.caps, c.capsErr = nil, nil // RFC 2595: capabilities may change
	return nil
}

// TLS is the connection's TLS state (nil without TLS), for SCRAM's
// channel binding.
func (c *Client) TLS() *tls.ConnectionState { return c.tls }

// Close ends the session without QUIT (nothing marked deleted is removed).
func (c *Client) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return c.conn.Close()
}

// Quit ends the session with QUIT, which commits DELE marks (the UPDATE
// state of RFC 1939), then closes the connection.
func (c *Client) Quit(ctx context.Context) error {
	_, err := c.do(ctx, "QUIT", "QUIT")
	c.Close()
	return err
}

// guard applies the command deadline and the context to the connection
// and returns the function that lifts them.
func (c *Client) guard(ctx context.Context) func() {
	c.conn.SetDeadline(time.Now().Add(c.opt.Timeout))
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	return func() {
		stop()
		c.conn.SetDeadline(time.Time{})
	}
}

// do sends line (none when empty: the greeting) and reads a one-line
// response, returning the text after +OK.
func (c *Client) do(ctx context.Context, cmd, line string) (string, error) {
	if c.closed {
		return "", fmt.Errorf("pop3 %s: connection closed", cmd)
	}
	defer c.guard(ctx)()
	if line != "" {
		if strings.ContainsAny(line, "\r\n") {
			return "", fmt.Errorf("pop3 %s: argument holds a line break", cmd)
		}
		if _, err := io.WriteString(c.conn, line+"\r\n"); err != nil {
			return "", c.broken(ctx, cmd, err)
		}
	}
	return c.status(ctx, cmd)
}

// status reads one status line.
func (c *Client) status(ctx context.Context, cmd string) (string, error) {
	l, err := c.line()
	if err != nil {
		return "", c.broken(ctx, cmd, err)
	}
	switch {
	case strings.HasPrefix(l, "+OK"):
		return strings.TrimPrefix(strings.TrimPrefix(l, "+OK"), " "), nil
	case strings.HasPrefix(l, "-ERR"):
		return "", parseErr(cmd, strings.TrimPrefix(strings.TrimPrefix(l, "-ERR"), " "))
	}
	c.Close()
	return "", fmt.Errorf("pop3 %s: response %q: %w", cmd, trim(l), ErrProtocol)
}

// broken closes the session after an I/O failure and says why.
func (c *Client) broken(ctx context.Context, cmd string, err error) error {
	c.Close()
	if ctx.Err() != nil {
		return fmt.Errorf("pop3 %s: %w", cmd, ctx.Err())
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("pop3 %s: no response within %v: %w", cmd, c.opt.Timeout, err)
	}
	return fmt.Errorf("pop3 %s: %w", cmd, err)
}

// maxLine bounds a status or listing line (RFC 2449 allows 512 octets).
const maxLine = 8 << 10

// line reads one line without its CRLF.
func (c *Client) line() (string, error) {
	var b []byte
	for {
		chunk, err := c.r.ReadSlice('\n')
		b = append(b, chunk...)
		if err == nil {
			break
		}
		if err != bufio.ErrBufferFull {
			return "", err
		}
		if len(b) > maxLine {
			return "", fmt.Errorf("line longer than %d bytes: %w", maxLine, ErrProtocol)
		}
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func parseErr(cmd, text string) *Error {
	e := &Error{Command: cmd, Text: text}
	if strings.HasPrefix(text, "[") {
		if end := strings.IndexByte(text, ']'); end > 0 {
			e.Code, e.Text = strings.ToUpper(text[1:end]), strings.TrimSpace(text[end+1:])
		}
	}
	return e
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
