package imapconn_test

import (
	"bufio"
	"net"
	"regexp"
	"sync/atomic"
	"testing"
)

// rewritingProxy relays TCP to a real server and, while rewriting is on,
// passes each server line through rewrite (to break a reply the way a
// faulty server does). Rewriting only works on plaintext connections.
type rewritingProxy struct {
	*proxy
	rewriting atomic.Bool
}

func newRewritingProxy(t *testing.T, backend string, rewrite func(line []byte) []byte) *rewritingProxy {
	t.Helper()
	p := &rewritingProxy{proxy: &proxy{backend: backend}}
	p.session = func(client, server net.Conn) (up, down func()) {
		return func() { p.copy(server, client, false) }, func() {
			br := bufio.NewReaderSize(server, 64<<10)
			for {
				line, err := br.ReadSlice('\n')
				if len(line) > 0 {
					if p.rewriting.Load() && err == nil {
						line = rewrite(line)
					}
					if _, werr := client.Write(line); werr != nil {
						return
					}
				}
				if err != nil && err != bufio.ErrBufferFull {
					return
				}
			}
		}
	}
	p.start(t)
	return p
}

// breakBodystructure makes the octet count of the first body part a NIL,
// as Exchange does for parts it cannot measure: go-imap refuses the reply.
var octets = regexp.MustCompile(`(?i)("(7bit|8bit|base64|quoted-printable|binary)") \d+`)

func breakBodystructure(line []byte) []byte {
	if !regexp.MustCompile(`(?i)BODYSTRUCTURE \(`).Match(line) {
		return line
	}
	done := false
	return octets.ReplaceAllFunc(line, func(m []byte) []byte {
		if done {
			return m
		}
		done = true
		return octets.ReplaceAll(m, []byte("$1 NIL"))
	})
}
