package watch

import (
	"bufio"
	"bytes"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// lineProxy is a plain-text loopback relay in front of Dovecot's IMAP port
// (Dovecot counts loopback as secure, so LOGIN works without STARTTLS and
// the relay can read the conversation), as imapconn's proxy tests do. It
// records the client's commands, counts the bytes the server sends, can
// hide capabilities, can swallow what the server pushes during IDLE (a
// server that accepts IDLE and never announces anything) and can drop every
// connection (a network cut).
type lineProxy struct {
	ln      net.Listener
	backend string
	hide    map[string]bool

	swallowIdle atomic.Bool  // drop untagged EXISTS/RECENT/FETCH/EXPUNGE while the client idles
	refuse      atomic.Bool  // hang up on new connections (the server unreachable)
	down        atomic.Int64 // bytes the server sent

	mu       sync.Mutex
	commands []string
	conns    []net.Conn
	wg       sync.WaitGroup
}

func newLineProxy(t *testing.T, s *testrig.Stack, hideCaps ...string) *lineProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &lineProxy{ln: ln, backend: s.IMAPAddr(), hide: map[string]bool{}}
	for _, c := range hideCaps {
		p.hide[strings.ToUpper(c)] = true
	}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// account is u's account reached through the proxy.
func (p *lineProxy) account(s *testrig.Stack, u testrig.User) *imapconn.Account {
	a := dovecotAccount(s, u)
	host, port, _ := net.SplitHostPort(p.ln.Addr().String())
	a.IMAP.Host = host
	a.IMAP.Port, _ = strconv.Atoi(port)
	a.IMAP.TLS = imapconn.TLSPlain
	return a
}

func (p *lineProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.refuse.Load() {
			c.Close()
			continue
		}
		b, err := net.Dial("tcp", p.backend)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, b)
		p.mu.Unlock()
		var idling atomic.Bool
		p.wg.Add(2)
		go func() { defer p.wg.Done(); p.pipe(c, b, true, &idling); c.Close(); b.Close() }()
		go func() { defer p.wg.Done(); p.pipe(b, c, false, &idling); c.Close(); b.Close() }()
	}
}

var pushed = regexp.MustCompile(`(?i)^\* \d+ (EXISTS|RECENT|FETCH|EXPUNGE)`)

func (p *lineProxy) pipe(src, dst net.Conn, fromClient bool, idling *atomic.Bool) {
	r := bufio.NewReaderSize(src, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			if fromClient {
				p.record(line, idling)
			} else {
				p.down.Add(int64(len(line)))
				if idling.Load() && p.swallowIdle.Load() && pushed.Match(line) {
					line = nil
				}
				line = p.filter(line)
			}
			if _, werr := dst.Write(line); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *lineProxy) record(line []byte, idling *atomic.Bool) {
	s := strings.TrimRight(string(line), "\r\n")
	if strings.EqualFold(s, "DONE") {
		idling.Store(false)
	} else if _, rest, ok := strings.Cut(s, " "); ok {
		s = rest
		if strings.EqualFold(s, "IDLE") {
			idling.Store(true)
		}
	}
	p.mu.Lock()
	p.commands = append(p.commands, s)
	p.mu.Unlock()
}

// filter removes hidden capabilities from CAPABILITY responses and codes.
func (p *lineProxy) filter(line []byte) []byte {
	if len(p.hide) == 0 || !bytes.Contains(bytes.ToUpper(line), []byte("CAPABILITY")) {
		return line
	}
	words := strings.Split(strings.TrimRight(string(line), "\r\n"), " ")
	kept := words[:0]
	for _, w := range words {
		if p.hide[strings.ToUpper(strings.Trim(w, "[]"))] {
			if strings.HasSuffix(w, "]") {
				kept[len(kept)-1] += "]"
			}
			continue
		}
		kept = append(kept, w)
	}
	return []byte(strings.Join(kept, " ") + "\r\n")
}

// sent returns the client command lines so far (tags removed) and forgets
// them.
func (p *lineProxy) sent() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.commands
	p.commands = nil
	return out
}

// dropAll closes every relayed connection, as a network cut would.
func (p *lineProxy) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *lineProxy) close() {
	p.ln.Close()
	p.dropAll()
	p.wg.Wait()
}

// matching returns the lines that start with prefix (case-insensitive).
func matching(lines []string, prefix string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(strings.ToUpper(l), strings.ToUpper(prefix)) {
			out = append(out, l)
		}
	}
	return out
}
