package quirks

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy listens on a loopback port and relays each connection to the rig
// Dovecot's plain IMAP port, edited by its Profile.
type Proxy struct {
	Profile Profile
	backend string
	ln      net.Listener

	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// Start listens on 127.0.0.1 and relays to backend (host:port of a
// plain-text IMAP listener on which LOGIN is allowed: the rig Dovecot's
// IMAPAddr, where loopback counts as secure).
func Start(backend string, p Profile) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("quirks %s: listen: %w", p.Name, err)
	}
	px := &Proxy{Profile: p, backend: backend, ln: ln, conns: map[net.Conn]bool{}}
	px.wg.Add(1)
	go px.accept()
	return px, nil
}

// Addr is the proxy's host:port.
func (px *Proxy) Addr() string { return px.ln.Addr().String() }

// Close stops listening, drops every relayed connection and waits for
// their goroutines.
func (px *Proxy) Close() error {
	err := px.ln.Close()
	px.mu.Lock()
	for c := range px.conns {
		c.Close()
	}
	px.mu.Unlock()
	px.wg.Wait()
	return err
}

func (px *Proxy) track(c net.Conn, on bool) {
	px.mu.Lock()
	defer px.mu.Unlock()
	if on {
		px.conns[c] = true
	} else {
		delete(px.conns, c)
	}
}

func (px *Proxy) accept() {
	defer px.wg.Done()
	for {
		cl, err := px.ln.Accept()
		if err != nil {
			return
		}
		px.wg.Add(1)
		go func() {
			defer px.wg.Done()
			px.relay(cl)
		}()
	}
}

func (px *Proxy) relay(cl net.Conn) {
	defer cl.Close()
	be, err := net.DialTimeout("tcp", px.backend, 10*time.Second)
	if err != nil {
		return
	}
	defer be.Close()
	px.track(cl, true)
	px.track(be, true)
	defer px.track(cl, false)
	defer px.track(be, false)
	s := newSession(&px.Profile, cl, be)
	done := make(chan struct{}, 2)
	go func() { s.up(); cl.Close(); be.Close(); done <- struct{}{} }()
	go func() { s.down(); cl.Close(); be.Close(); done <- struct{}{} }()
	<-done
	<-done
}

// copyN relays exactly n bytes.
func copyN(dst io.Writer, src *bufio.Reader, n int) error {
	_, err := io.CopyN(dst, src, int64(n))
	return err
}
