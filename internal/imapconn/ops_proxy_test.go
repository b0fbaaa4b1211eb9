package imapconn_test

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
)

// lineProxy is a plain-text IMAP relay that edits and watches the
// conversation: it removes capabilities from what the client is told (so a
// real server looks like one without MOVE or UIDPLUS), records every
// command line the client sends, and can cut the connection right after
// forwarding a command that contains a given string (so the server may
// well carry it out while the client never hears back).
type lineProxy struct {
	*proxy
	hide map[string]bool

	mu       sync.Mutex
	commands []string
	cutOn    string
}

func newLineProxy(t *testing.T, backend string, hideCaps ...string) *lineProxy {
	t.Helper()
	p := &lineProxy{proxy: &proxy{backend: backend}, hide: map[string]bool{}}
	for _, c := range hideCaps {
		p.hide[strings.ToUpper(c)] = true
	}
	p.session = func(client, server net.Conn) (up, down func()) {
		return func() { p.pipe(client, server, true) }, func() { p.pipe(server, client, false) }
	}
	p.start(t)
	return p
}

// cutAfter makes the proxy drop the connection after relaying the next
// client line containing s.
func (p *lineProxy) cutAfter(s string) {
	p.mu.Lock()
	p.cutOn = s
	p.mu.Unlock()
}

// sent returns the client command lines seen so far (tags removed).
func (p *lineProxy) sent() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.commands...)
}

func (p *lineProxy) pipe(src, dst net.Conn, fromClient bool) {
	r := bufio.NewReaderSize(src, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			cut := false
			if fromClient {
				cut = p.record(line)
			} else {
				line = p.filter(line)
			}
			if cut {
				// Hang up on the client before the server can answer, then
				// hand the server the command: it may carry it out, the
				// client can never hear back.
				src.Close()
			}
			if _, werr := dst.Write(line); werr != nil {
				return
			}
			if cut {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// record notes a client line and says whether to cut after it.
func (p *lineProxy) record(line []byte) bool {
	s := strings.TrimRight(string(line), "\r\n")
	if _, rest, ok := strings.Cut(s, " "); ok {
		s = rest
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.commands = append(p.commands, s)
	if p.cutOn != "" && strings.Contains(s, p.cutOn) {
		p.cutOn = ""
		return true
	}
	return false
}

// filter removes hidden capabilities from CAPABILITY responses and
// response codes.
func (p *lineProxy) filter(line []byte) []byte {
	if len(p.hide) == 0 || !bytes.Contains(bytes.ToUpper(line), []byte("CAPABILITY")) {
		return line
	}
	body := strings.TrimRight(string(line), "\r\n")
	words := strings.Split(body, " ")
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

// TestLineProxyHidesCapabilities checks the test tool itself.
func TestLineProxyHidesCapabilities(t *testing.T) {
	p := &lineProxy{hide: map[string]bool{"MOVE": true, "UIDPLUS": true, "IMAP4REV2": true}}
	got := string(p.filter([]byte("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 MOVE UIDPLUS IDLE] ready\r\n")))
	if got != "* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n" {
		t.Errorf("greeting: %q", got)
	}
	got = string(p.filter([]byte("* CAPABILITY IMAP4rev1 UIDPLUS MOVE\r\n")))
	if got != "* CAPABILITY IMAP4rev1\r\n" {
		t.Errorf("capability: %q", got)
	}
	got = string(p.filter([]byte("a1 OK [CAPABILITY IMAP4rev1 MOVE] Logged in\r\n")))
	if got != "a1 OK [CAPABILITY IMAP4rev1] Logged in\r\n" {
		t.Errorf("login: %q", got)
	}
}
