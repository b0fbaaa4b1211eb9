package mailconn_test

import (
	"bufio"
	"net"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
)

// countingProxy relays TCP to a real server, counting the bytes the server
// sends, and optionally rewriting server lines (to break a reply the way a
// faulty server does). Rewriting only works on plaintext connections.
type countingProxy struct {
	ln      net.Listener
	backend string
	rewrite func(line []byte) []byte
	// rewriting turns rewrite on and off.
	rewriting atomic.Bool
	fromSrv   atomic.Int64
	wg        sync.WaitGroup
	mu        sync.Mutex
	conns     []net.Conn
}

func newCountingProxy(t *testing.T, backend string, rewrite func([]byte) []byte) *countingProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{ln: ln, backend: backend, rewrite: rewrite}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *countingProxy) addr() string { return p.ln.Addr().String() }

func (p *countingProxy) accept() {
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
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { // client → server, verbatim
			defer p.wg.Done()
			buf := make([]byte, 32<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := b.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			b.Close()
		}()
		go func() { // server → client, counted, line by line when rewriting
			defer p.wg.Done()
			defer c.Close()
			if p.rewrite == nil {
				buf := make([]byte, 32<<10)
				for {
					n, err := b.Read(buf)
					p.fromSrv.Add(int64(n))
					if n > 0 {
						if _, werr := c.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}
			br := bufio.NewReaderSize(b, 64<<10)
			for {
				line, err := br.ReadSlice('\n')
				if len(line) > 0 {
					p.fromSrv.Add(int64(len(line)))
					if p.rewriting.Load() && err == nil {
						line = p.rewrite(line)
					}
					if _, werr := c.Write(line); werr != nil {
						return
					}
				}
				if err != nil && err != bufio.ErrBufferFull {
					return
				}
			}
		}()
	}
}

func (p *countingProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
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
