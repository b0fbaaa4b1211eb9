package imapconn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// maxPreTLSLine bounds a server line before the TLS handshake.
const maxPreTLSLine = 8 << 10

// startTLS runs the cleartext part of an IMAP STARTTLS session (RFC 9051
// 6.2.1) on conn: the greeting, "STARTTLS" and its OK, then the TLS
// handshake under ctx. go-imap's own upgrade hides the TLS connection, so
// nothing could read its state (channel binding) or sit above it (the raw
// path, the login stream); this one returns a connection that replays a
// greeting without capabilities to go-imap, which then asks for them again
// over TLS as RFC 9051 requires. The caller's watchdog bounds every read.
func startTLS(ctx context.Context, conn net.Conn, cfg *tls.Config) (*tls.Conn, net.Conn, error) {
	br := bufio.NewReaderSize(conn, maxPreTLSLine)
	line, err := preTLSLine(br)
	if err != nil {
		return nil, nil, fmt.Errorf("greeting: %w", err)
	}
	switch {
	case strings.HasPrefix(line, "* OK"):
	case strings.HasPrefix(line, "* PREAUTH"):
		return nil, nil, errors.New("the server logged the connection in before TLS (PREAUTH): refusing to use it without TLS")
	default:
		return nil, nil, fmt.Errorf("unexpected greeting %q", truncate(line, 80))
	}
	if _, err := io.WriteString(conn, "MMS0 STARTTLS\r\n"); err != nil {
		return nil, nil, err
	}
	for {
		if line, err = preTLSLine(br); err != nil {
			return nil, nil, err
		}
		if strings.HasPrefix(line, "* ") {
			continue // e.g. a CAPABILITY the server volunteers
		}
		if rest, ok := strings.CutPrefix(line, "MMS0 "); ok {
			if !strings.HasPrefix(strings.ToUpper(rest), "OK") {
				return nil, nil, &fault.Error{Kind: fault.Unsupported, Op: "starttls", Err: fmt.Errorf("the server refused STARTTLS: %s", truncate(rest, 200)),
					Hint: "Configure imap tls = \"implicit\" (usually port 993) for this account"}
			}
			break
		}
		return nil, nil, fmt.Errorf("unexpected reply to STARTTLS %q", truncate(line, 80))
	}
	if br.Buffered() > 0 {
		// Data pipelined before the handshake would be a plaintext
		// injection into the TLS session (CVE-2011-0411 style): refuse.
		return nil, nil, errors.New("the server sent data before the TLS handshake")
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, &greetedConn{Conn: tc, r: io.MultiReader(strings.NewReader("* OK TLS established\r\n"), tc)}, nil
}

// preTLSLine reads one line of at most maxPreTLSLine bytes, without CRLF.
func preTLSLine(br *bufio.Reader) (string, error) {
	b, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", fmt.Errorf("server line longer than %d bytes", maxPreTLSLine)
		}
		return "", err
	}
	return string(bytes.TrimRight(b, "\r\n")), nil
}

// greetedConn prefixes reads with a synthetic greeting.
type greetedConn struct {
	net.Conn
	r io.Reader
}

func (g *greetedConn) Read(p []byte) (int, error) { return g.r.Read(p) }
