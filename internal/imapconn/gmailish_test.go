package imapconn_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// gmailish is a loopback IMAP server that speaks Gmail's X-GM-EXT-1 in
// front of a real IMAP server (the in-process demo server). Everything but
// the Gmail extension is the real server's own protocol; the extension is
// implemented here on top of it:
//   - X-GM-EXT-1 is added to every CAPABILITY the real server sends;
//   - UID SEARCH X-GM-RAW <query> (quoted, or a synchronizing literal with
//     CHARSET UTF-8, for which gmailish sends the "+" continuation itself)
//     is run as UID SEARCH TEXT <query> (real Gmail understands its own
//     search syntax; tests use plain words, which mean full-text search in
//     both), and NO is answered for the query "fail-me";
//   - UID SEARCH X-GM-THRID <n> is run as a HEADER search on the test
//     messages' X-GM-THRID header, after extraConts continuation
//     requests that nothing asked for;
//   - UID FETCH … (X-GM-THRID X-GM-MSGID X-GM-LABELS) is fetched from the
//     real server as those header fields, and each response is rewritten
//     into Gmail's form, "* n FETCH (UID u X-GM-THRID t X-GM-MSGID m
//     X-GM-LABELS (…))", with an unsolicited "* n EXISTS" first when
//     injectExists is set (as Gmail may send at any time).
//
// It records the decoded X-GM commands it received.
type gmailish struct {
	*proxy

	injectExists atomic.Bool
	// extraConts is the number of continuation requests ("+") sent, unasked
	// for, before an X-GM-THRID search is relayed.
	extraConts atomic.Int32

	mu   sync.Mutex
	seen []string
}

func newGmailish(t *testing.T, backend string) *gmailish {
	t.Helper()
	g := &gmailish{proxy: &proxy{backend: backend}}
	g.session = func(cl, be net.Conn) (up, down func()) {
		s := &gmSession{g: g, cl: cl, be: be, fetchTags: map[string]bool{}}
		return s.fromClient, s.fromServer
	}
	g.start(t)
	return g
}

func (g *gmailish) received() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.seen...)
}

type gmSession struct {
	g      *gmailish
	cl, be net.Conn
	wmu    sync.Mutex // whole responses to the client

	mu        sync.Mutex
	fetchTags map[string]bool
	exists    int
}

func (s *gmSession) toClient(b string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.cl.Write([]byte(b))
	return err
}

var litRe = regexp.MustCompile(`\{(\d+)\+?\}\r\n$`)

// readResponse reads one line plus any literals it announces.
func readResponse(br *bufio.Reader, onLiteral func() error) (string, error) {
	var b strings.Builder
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
		m := litRe.FindStringSubmatch(line)
		if m == nil {
			return b.String(), nil
		}
		if onLiteral != nil && !strings.Contains(line, "+}") {
			if err := onLiteral(); err != nil {
				return "", err
			}
		}
		n, _ := strconv.Atoi(m[1])
		buf := make([]byte, n)
		if _, err := io.ReadFull(br, buf); err != nil {
			return "", err
		}
		b.Write(buf)
	}
}

var (
	gmRawRe    = regexp.MustCompile(`(?s)^(\S+) UID SEARCH (?:CHARSET UTF-8 )?X-GM-RAW (?:"((?:[^"\\]|\\.)*)"|\{\d+\}\r\n(.*))\r\n$`)
	gmThridRe  = regexp.MustCompile(`^(\S+) UID SEARCH X-GM-THRID (\d+)\r\n$`)
	gmFetchRe  = regexp.MustCompile(`^(\S+) UID FETCH (\S+) \(UID X-GM-THRID X-GM-MSGID X-GM-LABELS\)\r\n$`)
	unquoteRep = strings.NewReplacer(`\"`, `"`, `\\`, `\`)
)

func (s *gmSession) fromClient() {
	br := bufio.NewReader(s.cl)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if !strings.Contains(line, "X-GM-") {
			// A real command: relay it, literals included (the real
			// server sends any continuation itself).
			if _, err := s.be.Write([]byte(line)); err != nil {
				return
			}
			for m := litRe.FindStringSubmatch(line); m != nil; m = litRe.FindStringSubmatch(line) {
				n, _ := strconv.Atoi(m[1])
				buf := make([]byte, n)
				if _, err := io.ReadFull(br, buf); err != nil {
					return
				}
				if line, err = br.ReadString('\n'); err != nil {
					return
				}
				if _, err := s.be.Write(append(buf, line...)); err != nil {
					return
				}
			}
			continue
		}
		cmd := line
		for m := litRe.FindStringSubmatch(line); m != nil; m = litRe.FindStringSubmatch(line) {
			if err := s.toClient("+ go ahead\r\n"); err != nil {
				return
			}
			n, _ := strconv.Atoi(m[1])
			buf := make([]byte, n)
			if _, err := io.ReadFull(br, buf); err != nil {
				return
			}
			if line, err = br.ReadString('\n'); err != nil {
				return
			}
			cmd += string(buf) + line
		}
		if err := s.extension(cmd); err != nil {
			return
		}
	}
}

// extension answers or translates one X-GM command.
func (s *gmSession) extension(cmd string) error {
	record := func(what string) {
		s.g.mu.Lock()
		s.g.seen = append(s.g.seen, what)
		s.g.mu.Unlock()
	}
	if m := gmRawRe.FindStringSubmatch(cmd); m != nil {
		q := unquoteRep.Replace(m[2])
		if m[3] != "" {
			q = m[3]
		}
		record("X-GM-RAW " + q)
		if q == "fail-me" {
			return s.toClient(m[1] + " NO [CANNOT] Invalid search query\r\n")
		}
		_, err := fmt.Fprintf(s.be, "%s UID SEARCH CHARSET UTF-8 TEXT {%d+}\r\n%s\r\n", m[1], len(q), q)
		return err
	}
	if m := gmThridRe.FindStringSubmatch(cmd); m != nil {
		record("X-GM-THRID " + m[2])
		for range s.g.extraConts.Load() {
			if err := s.toClient("+ unexpected\r\n"); err != nil {
				return err
			}
		}
		_, err := fmt.Fprintf(s.be, "%s UID SEARCH HEADER X-GM-THRID %q\r\n", m[1], m[2])
		return err
	}
	if m := gmFetchRe.FindStringSubmatch(cmd); m != nil {
		record("FETCH " + m[2])
		s.mu.Lock()
		s.fetchTags[m[1]] = true
		s.mu.Unlock()
		_, err := fmt.Fprintf(s.be, "%s UID FETCH %s (UID BODY.PEEK[HEADER.FIELDS (X-GM-THRID X-GM-MSGID X-GM-LABELS)])\r\n", m[1], m[2])
		return err
	}
	record("BAD " + strings.TrimSpace(cmd))
	tag, _, _ := strings.Cut(cmd, " ")
	return s.toClient(tag + " BAD unknown X-GM command\r\n")
}

var (
	fetchUIDRe = regexp.MustCompile(`^\* (\d+) FETCH \(.*?UID (\d+)`)
	existsRe   = regexp.MustCompile(`^\* (\d+) EXISTS\r\n$`)
	quotedRe   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	hdrRe      = regexp.MustCompile(`(?im)^(X-GM-THRID|X-GM-MSGID|X-GM-LABELS):[ \t]*(.*?)\r?$`)
)

func (s *gmSession) fromServer() {
	br := bufio.NewReader(s.be)
	for {
		resp, err := readResponse(br, nil)
		if err != nil {
			return
		}
		if m := existsRe.FindStringSubmatch(resp); m != nil {
			s.mu.Lock()
			s.exists, _ = strconv.Atoi(m[1])
			s.mu.Unlock()
		}
		resp = strings.Replace(resp, "CAPABILITY ", "CAPABILITY X-GM-EXT-1 ", 1)
		s.mu.Lock()
		translating := len(s.fetchTags) > 0
		tag, _, _ := strings.Cut(resp, " ")
		if s.fetchTags[tag] {
			delete(s.fetchTags, tag)
		}
		exists := s.exists
		s.mu.Unlock()
		if m := fetchUIDRe.FindStringSubmatch(resp); translating && m != nil {
			fields := map[string]string{}
			for _, h := range hdrRe.FindAllStringSubmatch(resp, -1) {
				fields[strings.ToUpper(h[1])] = h[2]
			}
			if s.g.injectExists.Load() {
				if err := s.toClient(fmt.Sprintf("* %d EXISTS\r\n", exists)); err != nil {
					return
				}
			}
			// Quoted labels go out as literals, as servers may send any
			// string.
			labels := quotedRe.ReplaceAllStringFunc(fields["X-GM-LABELS"], func(q string) string {
				v := unquoteRep.Replace(q[1 : len(q)-1])
				return fmt.Sprintf("{%d}\r\n%s", len(v), v)
			})
			resp = fmt.Sprintf("* %s FETCH (UID %s X-GM-THRID %s X-GM-MSGID %s X-GM-LABELS (%s))\r\n",
				m[1], m[2], fields["X-GM-THRID"], fields["X-GM-MSGID"], labels)
		}
		if err := s.toClient(resp); err != nil {
			return
		}
	}
}
