package mailconn_test

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// proxy is a loopback TCP relay in front of a real server. It counts
// concurrent connections as the server sees them, and can drop or stall
// them to inject faults.
type proxy struct {
	ln      net.Listener
	backend string

	mu      sync.Mutex
	conns   map[net.Conn]net.Conn
	cur     int
	max     int
	total   int
	stalled atomic.Bool
	wg      sync.WaitGroup
}

func newProxy(t *testing.T, backend string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, backend: backend, conns: map[net.Conn]net.Conn{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
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
		p.conns[c] = b
		p.cur++
		p.total++
		if p.cur > p.max {
			p.max = p.cur
		}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, b, true)
		go p.pipe(b, c, false)
	}
}

// pipe copies src to dst; server-to-client traffic is held while stalled,
// like a server that accepted the command and never answers.
func (p *proxy) pipe(dst, src net.Conn, clientSide bool) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !(p.stalled.Load() && !clientSide) {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
	if clientSide {
		p.mu.Lock()
		if _, ok := p.conns[src]; ok {
			delete(p.conns, src)
			p.cur--
		}
		p.mu.Unlock()
	}
}

// dropAll closes every relayed connection, as a server restart would.
func (p *proxy) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c, b := range p.conns {
		c.Close()
		b.Close()
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
