package index_test

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// countingRelay forwards loopback TCP connections to target and counts the
// bytes the server sends: what a sync costs on the wire (TLS included).
type countingRelay struct {
	ln      net.Listener
	target  string
	fromSrv atomic.Int64
	wg      sync.WaitGroup
}

func newCountingRelay(tb testing.TB, target string) *countingRelay {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	r := &countingRelay{ln: ln, target: target}
	r.wg.Add(1)
	go r.serve()
	tb.Cleanup(func() { ln.Close(); r.wg.Wait() })
	return r
}

func (r *countingRelay) serve() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", r.target)
		if err != nil {
			c.Close()
			continue
		}
		r.wg.Add(2)
		go func() {
			defer r.wg.Done()
			io.Copy(s, c)
			s.Close()
		}()
		go func() {
			defer r.wg.Done()
			io.Copy(counter{c, &r.fromSrv}, s)
			c.Close()
		}()
	}
}

type counter struct {
	w io.Writer
	n *atomic.Int64
}

func (c counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func (r *countingRelay) port() int { return r.ln.Addr().(*net.TCPAddr).Port }

// relayedAccount is dovecotAccount reached through r.
func relayedAccount(s *testrig.Stack, u testrig.User, r *countingRelay) *imapconn.Account {
	a := dovecotAccount(s, u)
	a.IMAP = imapconn.Endpoint{Host: s.Host, Port: r.port(), TLS: imapconn.TLSImplicit}
	return a
}
