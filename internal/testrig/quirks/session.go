package quirks

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
)

// session is one relayed connection.
type session struct {
	p      *Profile
	cl, be net.Conn
	cr, br *bufio.Reader
	cw     sync.Mutex // whole responses to the client

	mu       sync.Mutex
	lists    map[string]*listCmd // tag -> LIST/LSUB in progress
	gmFetch  map[string]bool     // tag -> UID FETCH of X-GM items
	selected string              // the client's name of the selected folder
}

// listCmd is a LIST or LSUB whose responses the proxy filters.
type listCmd struct {
	lsub       bool
	patterns   []string // the client's; nil: exact name, no filter
	specialUse bool     // LIST (SPECIAL-USE) selection
}

func newSession(p *Profile, cl, be net.Conn) *session {
	return &session{p: p, cl: cl, be: be, cr: bufio.NewReaderSize(cl, 64<<10), br: bufio.NewReaderSize(be, 64<<10),
		lists: map[string]*listCmd{}, gmFetch: map[string]bool{}}
}

func (s *session) toClient(b string) error {
	s.cw.Lock()
	defer s.cw.Unlock()
	_, err := s.cl.Write([]byte(b))
	return err
}

// mailbox-argument positions of the commands whose names are rewritten.
var mailboxArgs = map[string][]int{
	"SELECT": {0}, "EXAMINE": {0}, "CREATE": {0}, "DELETE": {0}, "SUBSCRIBE": {0}, "UNSUBSCRIBE": {0},
	"STATUS": {0}, "RENAME": {0, 1}, "COPY": {1}, "MOVE": {1}, "LIST": nil, "LSUB": nil,
}

// up relays client commands to the server.
func (s *session) up() {
	cont := func() error { return s.toClient("+ Ready for literal data\r\n") }
	for {
		line, err := s.cr.ReadString('\n')
		if err != nil {
			return
		}
		tag, cmd, rest := splitCommand(line)
		if _, ok := mailboxArgs[cmd]; ok {
			whole, err := readCommand(s.cr, rest, cont)
			if err != nil {
				return
			}
			out := s.rewrite(tag, cmd, whole)
			if _, err := s.be.Write([]byte(out)); err != nil {
				return
			}
			continue
		}
		if cmd == "APPEND" {
			line, err = s.appendLine(tag, rest, cont)
			if err != nil {
				return
			}
		} else if cmd == "FETCH" && s.p.GmailFetch {
			line = s.gmailFetch(tag, line)
		}
		// Relay as is, with the literals the command carries.
		for {
			if _, err := s.be.Write([]byte(line)); err != nil {
				return
			}
			n, _, ok := literalSpec(line)
			if !ok {
				break
			}
			if err := copyN(s.be, s.cr, n); err != nil {
				return
			}
			if line, err = s.cr.ReadString('\n'); err != nil {
				return
			}
		}
	}
}

// splitCommand returns the tag, the upper-cased command ("UID COPY" is
// "COPY", "UID FETCH" "FETCH") and the arguments with the line end.
func splitCommand(line string) (tag, cmd, rest string) {
	tag, after, ok := strings.Cut(line, " ")
	if !ok {
		return "", "", line
	}
	cmd, rest, _ = strings.Cut(after, " ")
	cmd = strings.ToUpper(strings.TrimRight(cmd, "\r\n"))
	if cmd == "UID" {
		cmd, rest, _ = strings.Cut(rest, " ")
		cmd = strings.ToUpper(strings.TrimRight(cmd, "\r\n"))
		if cmd != "COPY" && cmd != "MOVE" && cmd != "FETCH" {
			return tag, "UID " + cmd, rest
		}
		return tag, cmd, "UID " + rest
	}
	return tag, cmd, rest
}

// rewrite writes a whole mailbox-naming command with the rig's names.
func (s *session) rewrite(tag, cmd, args string) string {
	uid := ""
	if strings.HasPrefix(args, "UID ") {
		uid, args = "UID ", args[4:]
	}
	toks, err := tokenize(args)
	if err != nil {
		return tag + " " + uid + cmd + " " + args // let the server answer BAD
	}
	repl := map[int]string{}
	switch cmd {
	case "LIST", "LSUB":
		s.rewriteList(tag, cmd, toks, repl)
	default:
		for _, i := range mailboxArgs[cmd] {
			if i < len(toks) && !toks[i].list {
				name := s.p.toBackend(toks[i].value)
				if cmd == "COPY" || cmd == "MOVE" {
					name = s.p.toBackendDest(toks[i].value)
				}
				repl[i] = quote(name)
			}
		}
		if (cmd == "SELECT" || cmd == "EXAMINE") && len(toks) > 0 {
			s.mu.Lock()
			s.selected = toks[0].value
			s.mu.Unlock()
		}
	}
	return tag + " " + uid + cmd + " " + join(toks, repl) + "\r\n"
}

// rewriteList handles LIST [(selection)] ref pattern(s) [RETURN (...)]
// and LSUB ref pattern: a pattern with a wildcard goes to the server as
// "*" and the answers are filtered here by the client's pattern, since
// the provider's names ("[Gmail]/%") are not the server's.
func (s *session) rewriteList(tag, cmd string, toks []token, repl map[int]string) {
	lc := &listCmd{lsub: cmd == "LSUB"}
	i := 0
	if len(toks) > 0 && toks[0].list {
		lc.specialUse = strings.Contains(strings.ToUpper(toks[0].raw), "SPECIAL-USE")
		i = 1
	}
	if i+1 >= len(toks) {
		return
	}
	ref, pat := toks[i], toks[i+1]
	var pats []string
	if pat.list {
		inner, _ := tokenize(strings.TrimSuffix(strings.TrimPrefix(pat.raw, "("), ")"))
		for _, t := range inner {
			pats = append(pats, ref.value+t.value)
		}
	} else {
		pats = []string{ref.value + pat.value}
	}
	wild := pat.list
	for _, p := range pats {
		wild = wild || strings.ContainsAny(p, "*%")
	}
	if wild {
		lc.patterns = pats
		repl[i], repl[i+1] = `""`, `"*"`
	} else {
		repl[i], repl[i+1] = `""`, quote(s.p.toBackend(pats[0]))
	}
	s.mu.Lock()
	s.lists[tag] = lc
	s.mu.Unlock()
}

// appendLine rewrites the mailbox of an APPEND (an atom, a quoted string
// or a literal) and returns the rest of the command's first line.
func (s *session) appendLine(tag, rest string, cont func() error) (string, error) {
	if n, sync, ok := literalSpec(rest); ok && strings.HasPrefix(rest, "{") {
		if sync {
			if err := cont(); err != nil {
				return "", err
			}
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(s.cr, buf); err != nil {
			return "", err
		}
		after, err := s.cr.ReadString('\n')
		if err != nil {
			return "", err
		}
		return tag + " APPEND " + quote(s.p.toBackendDest(string(buf))) + after, nil
	}
	toks, err := tokenize(firstArg(rest))
	if err != nil || len(toks) == 0 {
		return tag + " APPEND " + rest, nil
	}
	after := strings.TrimPrefix(rest, firstArg(rest))
	return tag + " APPEND " + quote(s.p.toBackendDest(toks[0].value)) + after, nil
}

// firstArg is the first argument of an argument line: an atom or a quoted
// string.
func firstArg(rest string) string {
	if strings.HasPrefix(rest, `"`) {
		for j := 1; j < len(rest); j++ {
			if rest[j] == '\\' {
				j++
				continue
			}
			if rest[j] == '"' {
				return rest[:j+1]
			}
		}
		return rest
	}
	if j := strings.IndexAny(rest, " \r\n"); j >= 0 {
		return rest[:j]
	}
	return rest
}
