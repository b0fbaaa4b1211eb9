package pop3

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/emersion/go-sasl"
)

// Authenticate runs a SASL exchange (AUTH, RFC 5034) with sc. The initial
// response is sent on the AUTH line when the server supports it (CAPA
// SASL-IR is not a POP3 capability; RFC 5034 allows it always), "=" for an
// empty one.
func (c *Client) Authenticate(ctx context.Context, sc sasl.Client) error {
	mech, ir, err := sc.Start()
	if err != nil {
		return fmt.Errorf("pop3 AUTH: %w", err)
	}
	line := "AUTH " + mech
	if ir != nil {
		line += " " + encode(ir)
	}
	if c.closed {
		return errors.New("pop3 AUTH: connection closed")
	}
	defer c.guard(ctx)()
	if _, err := c.conn.Write([]byte(line + "\r\n")); err != nil {
		return c.broken(ctx, "AUTH", err)
	}
	for {
		l, err := c.line()
		if err != nil {
			return c.broken(ctx, "AUTH", err)
		}
		switch {
		case strings.HasPrefix(l, "+OK"):
			return nil
		case strings.HasPrefix(l, "-ERR"):
			return parseErr("AUTH", strings.TrimPrefix(strings.TrimPrefix(l, "-ERR"), " "))
		case strings.HasPrefix(l, "+"):
			ch, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.TrimPrefix(l, "+")))
			if derr != nil {
				c.conn.Write([]byte("*\r\n")) // cancel the exchange
				return fmt.Errorf("pop3 AUTH: undecodable challenge: %w", ErrProtocol)
			}
			resp, nerr := sc.Next(ch)
			if nerr != nil {
				// RFC 5034 §4: "*" cancels; the server answers -ERR.
				c.conn.Write([]byte("*\r\n"))
				c.line()
				return fmt.Errorf("pop3 AUTH %s: %w", mech, nerr)
			}
			// A response to a challenge is plain base64 (an empty one is an
			// empty line); "=" marks only an empty initial response.
			if _, err := c.conn.Write([]byte(base64.StdEncoding.EncodeToString(resp) + "\r\n")); err != nil {
				return c.broken(ctx, "AUTH", err)
			}
		default:
			c.Close()
			return fmt.Errorf("pop3 AUTH: response %q: %w", trim(l), ErrProtocol)
		}
	}
}

// encode is an initial response as the AUTH line carries it: base64, "="
// when empty (RFC 5034 §4).
func encode(b []byte) string {
	if len(b) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Login is USER and PASS: the password crosses the wire as it is, so the
// caller allows it only under TLS or to loopback.
func (c *Client) Login(ctx context.Context, user, pass string) error {
	if _, err := c.do(ctx, "USER", "USER "+user); err != nil {
		return err
	}
	if _, err := c.do(ctx, "PASS", "PASS "+pass); err != nil {
		// Never echo the command: it holds the password.
		return err
	}
	return nil
}

var apopStamp = regexp.MustCompile(`<[^<>@\s]+@[^<>\s]+>`)

// APOPOffered reports whether the greeting carries an APOP timestamp.
func (c *Client) APOPOffered() bool { return apopStamp.MatchString(c.greet) }

// APOP logs in with the MD5 digest of the greeting's timestamp and the
// password (RFC 1939 §7), for servers that offer nothing stronger: the
// password never crosses the wire, though MD5 of it does.
func (c *Client) APOP(ctx context.Context, user, pass string) error {
	stamp := apopStamp.FindString(c.greet)
	if stamp == "" {
		return errors.New("pop3 APOP: the server's greeting has no timestamp, so it does not offer APOP")
	}
	sum := md5.Sum([]byte(stamp + pass))
	_, err := c.do(ctx, "APOP", "APOP "+user+" "+hex.EncodeToString(sum[:]))
	return err
}
