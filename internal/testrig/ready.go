package testrig

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// probe describes one listener and the greeting that proves it serves.
type probe struct {
	name        string
	addr        string
	implicitTLS bool
	greeting    string // prefix of the first line
}

// readyTimeout bounds how long a start waits for the listeners.
const readyTimeout = 30 * time.Second

// greet connects to p, does the TLS handshake (verified against the test CA)
// when p is implicit TLS, and reads the greeting line.
func (s *Stack) greet(p probe, timeout time.Duration) error {
	var tc *tls.Config
	if p.implicitTLS {
		tc = s.TLSConfig()
	}
	return Greet(p.addr, p.greeting, tc, timeout)
}

// Greet connects to addr, does the TLS handshake when tc is set, and reads
// the greeting line, which must start with prefix; all within timeout.
func Greet(addr, prefix string, tc *tls.Config, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if tc != nil {
		t := tls.Client(conn, tc)
		if err := t.Handshake(); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
		conn = t
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, prefix) {
		return fmt.Errorf("unexpected greeting %q", strings.TrimSpace(line))
	}
	return nil
}

// waitReady probes all listeners in parallel every 20 ms until each has sent
// its greeting. stillRunning is checked between rounds so that a daemon that
// died during start fails at once instead of after the timeout.
func (s *Stack) waitReady(probes []probe, stillRunning func() error) error {
	deadline := time.Now().Add(readyTimeout)
	lastErr := map[string]error{}
	for len(probes) > 0 {
		var (
			mu   sync.Mutex
			wg   sync.WaitGroup
			left []probe
		)
		for _, p := range probes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.greet(p, time.Second); err != nil {
					mu.Lock()
					left = append(left, p)
					lastErr[p.name] = err
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		probes = left
		if len(probes) == 0 {
			return nil
		}
		if err := stillRunning(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			var msgs []string
			for _, p := range probes {
				msgs = append(msgs, fmt.Sprintf("%s %s: %v", p.name, p.addr, lastErr[p.name]))
			}
			return fmt.Errorf("not ready after %v: %s", readyTimeout, strings.Join(msgs, "; "))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// waitClosed waits until nothing accepts connections on addrs any more.
func waitClosed(timeout time.Duration, addrs ...string) error {
	deadline := time.Now().Add(timeout)
	for _, a := range addrs {
		for {
			conn, err := net.DialTimeout("tcp", a, 200*time.Millisecond)
			if err != nil {
				break // refused (or unreachable): closed
			}
			conn.Close()
			if time.Now().After(deadline) {
				return fmt.Errorf("%s still accepts connections after %v", a, timeout)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}
