package submit

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// osHostname is replaceable in tests.
var osHostname = os.Hostname

// startTLS runs the plaintext part of a STARTTLS session (RFC 3207) with
// EHLO name — go-smtp's NewClientStartTLS would introduce itself as
// "localhost" — then completes the TLS handshake. It returns a connection
// that replays a "220" greeting to go-smtp, which then sends EHLO again over
// TLS as RFC 3207 4.2 requires. The caller's watchdog bounds every read.
func startTLS(conn net.Conn, name string, cfg *tls.Config) (net.Conn, error) {
	tp := textproto.NewConn(nopCloseConn{conn})
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, protoErr(err)
	}
	if err := tp.PrintfLine("EHLO %s", name); err != nil {
		return nil, err
	}
	_, msg, err := tp.ReadResponse(250)
	if err != nil {
		return nil, protoErr(err)
	}
	offered := false
	for _, l := range strings.Split(msg, "\n")[1:] {
		if strings.EqualFold(strings.TrimSpace(l), "STARTTLS") {
			offered = true
		}
	}
	if !offered {
		return nil, &fault.Error{Kind: fault.Unsupported, Op: "starttls", Err: errors.New("the SMTP server does not offer STARTTLS"),
			Hint: "Configure smtp tls = \"implicit\" (usually port 465) for this account"}
	}
	if err := tp.PrintfLine("STARTTLS"); err != nil {
		return nil, err
	}
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, protoErr(err)
	}
	if tp.R.Buffered() > 0 {
		// Data pipelined before the handshake would be a plaintext
		// injection (CVE-2011-0411 style): refuse.
		return nil, errors.New("the SMTP server sent data before the TLS handshake")
	}
	tc := tls.Client(conn, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return &greetedConn{Conn: tc, r: io.MultiReader(strings.NewReader("220 resumed after STARTTLS\r\n"), tc)}, nil
}

// protoErr converts a textproto reply error to go-smtp's typed error.
func protoErr(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return smtpErrorFrom(te.Code, te.Msg)
	}
	return err
}

// greetedConn prefixes reads with a synthetic greeting.
type greetedConn struct {
	net.Conn
	r io.Reader
}

func (g *greetedConn) Read(p []byte) (int, error) { return g.r.Read(p) }

type nopCloseConn struct{ net.Conn }

func (nopCloseConn) Close() error { return nil }

// smtpErrorFrom builds go-smtp's error type from a reply, splitting off an
// enhanced status code (RFC 2034) the way go-smtp does.
func smtpErrorFrom(code int, msg string) *smtp.SMTPError {
	se := &smtp.SMTPError{Code: code, Message: msg}
	head, rest, ok := strings.Cut(msg, " ")
	if !ok {
		return se
	}
	var ec smtp.EnhancedCode
	if n, err := fmt.Sscanf(head, "%d.%d.%d", &ec[0], &ec[1], &ec[2]); err == nil && n == 3 && ec[0] == code/100 {
		se.EnhancedCode, se.Message = ec, rest
	}
	return se
}
