package imapconn

import (
	"bytes"
	"net"
	"sync/atomic"
)

// loginConn carries go-imap's writes during login and corrects one:
// go-imap v2.0.0-beta.8 encodes an empty SASL response as "=" everywhere,
// but "=" means "empty" only for an initial response sent with the command
// (SASL-IR, RFC 4959 3); answering a continuation request, an empty
// response is an empty line (RFC 9051 6.2.2: the base64 of nothing).
// Dovecot refuses "=" there ("Invalid base64 data in continued response"),
// which made SCRAM, whose last client message is empty (RFC 5802 5),
// impossible on IMAP. go-imap flushes each response as one write, and
// while logging in a write of exactly "=\r\n" can be nothing else (a
// command starts with a tag, and the base64 of a non-empty string is never
// "="), so until done is set it goes out as "\r\n". After login every byte
// passes unchanged.
type loginConn struct {
	net.Conn
	done atomic.Bool
}

var emptySASLResponse = []byte("=\r\n")

func (l *loginConn) Write(p []byte) (int, error) {
	if !l.done.Load() && bytes.Equal(p, emptySASLResponse) {
		if _, err := l.Conn.Write(p[1:]); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return l.Conn.Write(p)
}
