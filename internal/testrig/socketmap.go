package testrig

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// socketmapServer answers Postfix socketmap lookups (socketmap_table(5)):
// requests and replies are netstrings, "<name> <key>" in and "OK <value>",
// "NOTFOUND ", "TEMP <reason>" or "PERM <reason>" out. The only map is
// "vmailbox" (virtual_mailbox_maps): an address exists when it has a Dovecot
// passwd-file, checked at every lookup so new users count at once.
type socketmapServer struct {
	ln     net.Listener
	lookup func(name, key string) (string, error)

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// socketmapIdle bounds how long an idle Postfix connection is kept open
// (Postfix reconnects when needed).
const socketmapIdle = 5 * time.Minute

// maxNetstring bounds a request (Postfix keys are addresses).
const maxNetstring = 4096

func startSocketmap(host string, lookup func(name, key string) (string, error)) (*socketmapServer, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, fmt.Errorf("start socketmap: %w", err)
	}
	s := &socketmapServer{ln: ln, lookup: lookup, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

func (s *socketmapServer) addr() string { return s.ln.Addr().String() }

func (s *socketmapServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

func (s *socketmapServer) handle(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		_ = c.SetDeadline(time.Now().Add(socketmapIdle))
		req, err := readNetstring(br)
		if err != nil {
			return
		}
		name, key, ok := strings.Cut(string(req), " ")
		var reply string
		if !ok {
			reply = "PERM malformed request"
		} else if val, err := s.lookup(name, key); err != nil {
			reply = "TEMP " + err.Error()
		} else if val == "" {
			reply = "NOTFOUND "
		} else {
			reply = "OK " + val
		}
		if _, err := io.WriteString(c, netstring(reply)); err != nil {
			return
		}
	}
}

func (s *socketmapServer) close() error {
	if s == nil {
		return nil
	}
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// netstring encodes s as "<len>:<s>,".
func netstring(s string) string { return strconv.Itoa(len(s)) + ":" + s + "," }

// readNetstring reads one netstring.
func readNetstring(br *bufio.Reader) ([]byte, error) {
	lenStr, err := br.ReadString(':')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSuffix(lenStr, ":"))
	if err != nil || n < 0 || n > maxNetstring {
		return nil, fmt.Errorf("socketmap: bad netstring length %q", lenStr)
	}
	buf := make([]byte, n+1)
	if _, err := io.ReadFull(br, buf); err != nil {
		return nil, err
	}
	if buf[n] != ',' {
		return nil, errors.New("socketmap: netstring without trailing comma")
	}
	return buf[:n], nil
}

// vmailboxLookup is the lookup function for the stack's socketmap.
func (s *Stack) vmailboxLookup(name, key string) (string, error) {
	if name != "vmailbox" {
		return "", nil
	}
	// Postfix treats a socketmap as a pattern table: it asks once with the
	// full address and does not retry without the "+tag" extension itself.
	if local, domain, ok := strings.Cut(key, "@"); ok {
		if base, _, found := strings.Cut(local, "+"); found && base != "" {
			key = base + "@" + domain
		}
	}
	if !s.userExists(key) {
		return "", nil
	}
	return "OK", nil
}
