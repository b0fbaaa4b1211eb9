package imapconn_test

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// proxy is a loopback TCP relay in front of a real server, the plumbing
// every test relay here shares. It counts concurrent connections as the
// server sees them and the bytes the server sends, and can stall or drop
// them to inject faults. A relay that reads or edits the conversation
// (lineProxy, gmailish, rewritingProxy) sets session before start.
type proxy struct {
	ln      net.Listener
	backend string
	// session returns the two directions of one relayed connection,
	// client to server (up) and server to client (down); both ends are
	// closed when either returns. Nil relays verbatim.
	session func(client, server net.Conn) (up, down func())

	mu      sync.Mutex
	conns   []net.Conn
	cur     int
	max     int
	total   int
	down    atomic.Int64 // bytes the server sent (verbatim relay)
	stalled atomic.Bool
	wg      sync.WaitGroup
}

func newProxy(tb testing.TB, backend string) *proxy {
	tb.Helper()
	return (&proxy{backend: backend}).start(tb)
}

// start listens on a free loopback port; cleanup closes everything.
func (p *proxy) start(tb testing.TB) *proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p.ln = ln
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		b, err := net.Dial("tcp", p.backend)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, b)
		p.cur++
		p.total++
		p.max = max(p.max, p.cur)
		p.mu.Unlock()
		up := func() { p.copy(b, c, false) }
		down := func() { p.copy(c, b, true) }
		if p.session != nil {
			up, down = p.session(c, b)
		}
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			up()
			c.Close()
			b.Close()
			p.mu.Lock()
			p.cur--
			p.mu.Unlock()
		}()
		go func() {
			defer p.wg.Done()
			down()
			c.Close()
			b.Close()
		}()
	}
}

// copy relays src to dst. The server's bytes (fromServer) are counted,
// and dropped while stalled, like a server that accepted the command and
// never answers.
func (p *proxy) copy(dst, src net.Conn, fromServer bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if fromServer {
			p.down.Add(int64(n))
		}
		if n > 0 && !(fromServer && p.stalled.Load()) {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// dropAll closes every relayed connection, as a server restart would.
func (p *proxy) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

func (p *proxy) stats() (cur, max, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur, p.max, p.total
}

func (p *proxy) close() {
	p.ln.Close()
	p.dropAll()
	p.wg.Wait()
}

// blackHole accepts TCP connections and never says a word.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}
