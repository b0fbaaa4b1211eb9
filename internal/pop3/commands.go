package pop3

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Capabilities returns the CAPA response (RFC 2449): capability name →
// its arguments, e.g. "SASL" → ["SCRAM-SHA-256", "PLAIN"]. A server
// without CAPA yields an empty map. The answer is cached until STLS.
func (c *Client) Capabilities(ctx context.Context) (map[string][]string, error) {
	if c.caps != nil || c.capsErr != nil {
		return c.caps, c.capsErr
	}
	lines, err := c.multi(ctx, "CAPA", "CAPA")
	if err != nil {
		if _, neg := err.(*Error); neg {
			c.caps = map[string][]string{} // RFC 1939 server: no CAPA
			return c.caps, nil
		}
		return nil, err
	}
	caps := map[string][]string{}
	for _, l := range lines {
		f := strings.Fields(string(l))
		if len(f) > 0 {
			caps[strings.ToUpper(f[0])] = f[1:]
		}
	}
	c.caps = caps
	return caps, nil
}

// Stat returns the number of messages and their total size.
func (c *Client) Stat(ctx context.Context) (count int, size int64, err error) {
	s, err := c.do(ctx, "STAT", "STAT")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0, 0, fmt.Errorf("pop3 STAT: response %q: %w", trim(s), ErrProtocol)
	}
	count, err1 := strconv.Atoi(f[0])
	size, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || count < 0 || size < 0 {
		return 0, 0, fmt.Errorf("pop3 STAT: response %q: %w", trim(s), ErrProtocol)
	}
	return count, size, nil
}

// Entry is one message of a UIDL or LIST listing.
type Entry struct {
	N    int    // message number in this session
	UIDL string // the server's unique id (UIDL only)
	Size int64  // octets (LIST only)
}

// UIDL lists every message's unique id, in message-number order.
func (c *Client) UIDL(ctx context.Context) ([]Entry, error) {
	lines, err := c.multi(ctx, "UIDL", "UIDL")
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(lines))
	for _, l := range lines {
		f := strings.Fields(string(l))
		n, err := strconv.Atoi(f0(f))
		// RFC 1939: 1 to 70 characters in 0x21-0x7E.
		if err != nil || n < 1 || len(f) != 2 || len(f[1]) > 70 || !printable(f[1]) {
			return nil, fmt.Errorf("pop3 UIDL: line %q: %w", trim(string(l)), ErrProtocol)
		}
		out = append(out, Entry{N: n, UIDL: f[1]})
	}
	return out, nil
}

// List gives every message's size, in message-number order.
func (c *Client) List(ctx context.Context) ([]Entry, error) {
	lines, err := c.multi(ctx, "LIST", "LIST")
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(lines))
	for _, l := range lines {
		f := strings.Fields(string(l))
		n, err1 := strconv.Atoi(f0(f))
		var size int64
		var err2 error
		if len(f) >= 2 {
			size, err2 = strconv.ParseInt(f[1], 10, 64)
		}
		if err1 != nil || err2 != nil || len(f) < 2 || n < 1 || size < 0 {
			return nil, fmt.Errorf("pop3 LIST: line %q: %w", trim(string(l)), ErrProtocol)
		}
		out = append(out, Entry{N: n, Size: size})
	}
	return out, nil
}

// Retr downloads message n whole, dot-unstuffed, with its CRLF line ends.
func (c *Client) Retr(ctx context.Context, n int) ([]byte, error) {
	return c.body(ctx, "RETR", fmt.Sprintf("RETR %d", n))
}

// Top downloads message n's header and its first lines of body.
func (c *Client) Top(ctx context.Context, n, lines int) ([]byte, error) {
	return c.body(ctx, "TOP", fmt.Sprintf("TOP %d %d", n, lines))
}

// Dele marks message n deleted; it is removed at Quit, never before.
func (c *Client) Dele(ctx context.Context, n int) error {
	_, err := c.do(ctx, "DELE", fmt.Sprintf("DELE %d", n))
	return err
}

// Rset unmarks every message marked deleted in this session.
func (c *Client) Rset(ctx context.Context) error {
	_, err := c.do(ctx, "RSET", "RSET")
	return err
}

// Noop keeps the session alive and checks it still works.
func (c *Client) Noop(ctx context.Context) error {
	_, err := c.do(ctx, "NOOP", "NOOP")
	return err
}

func (c *Client) body(ctx context.Context, cmd, line string) ([]byte, error) {
	var buf bytes.Buffer
	err := c.stream(ctx, cmd, line, func(l []byte) error {
		buf.Write(l)
		buf.WriteString("\r\n")
		if int64(buf.Len()) > c.opt.MaxMessage {
			return fmt.Errorf("pop3 %s: message larger than %d bytes: %w", cmd, c.opt.MaxMessage, ErrProtocol)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (c *Client) multi(ctx context.Context, cmd, line string) ([][]byte, error) {
	var out [][]byte
	err := c.stream(ctx, cmd, line, func(l []byte) error {
		out = append(out, bytes.Clone(l))
		if len(out) > 10_000_000 {
			return fmt.Errorf("pop3 %s: endless listing: %w", cmd, ErrProtocol)
		}
		return nil
	})
	return out, err
}

// stream sends line, expects +OK and hands each line of the multi-line
// response to fn without its CRLF, dot-unstuffed, until the lone ".".
// A failure in the middle closes the session: the rest of the response
// would otherwise be read as the next command's.
func (c *Client) stream(ctx context.Context, cmd, line string, fn func([]byte) error) error {
	if _, err := c.do(ctx, cmd, line); err != nil {
		return err
	}
	defer c.guard(ctx)()
	var cur []byte
	for {
		chunk, err := c.r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return c.broken(ctx, cmd, err)
		}
		// Bytes are arriving: extend the deadline for large messages.
		c.conn.SetDeadline(time.Now().Add(c.opt.Timeout))
		cur = append(cur, chunk...)
		if err != nil { // buffer full: the line goes on
			if int64(len(cur)) > c.opt.MaxMessage {
				c.Close()
				return fmt.Errorf("pop3 %s: line longer than %d bytes: %w", cmd, c.opt.MaxMessage, ErrProtocol)
			}
			continue
		}
		l := bytes.TrimSuffix(bytes.TrimSuffix(cur, []byte("\n")), []byte("\r"))
		cur = cur[:0]
		if len(l) == 1 && l[0] == '.' {
			return nil
		}
		if len(l) > 0 && l[0] == '.' {
			l = l[1:]
		}
		if err := fn(l); err != nil {
			c.Close()
			return err
		}
	}
}

func f0(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}
