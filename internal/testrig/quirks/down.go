package quirks

import (
	"crypto/sha256"
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// down relays server responses to the client, each whole (with its
// literals) under the client write lock.
func (s *session) down() {
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			return
		}
		s.cw.Lock()
		err = s.downOne(line)
		s.cw.Unlock()
		if err != nil {
			return
		}
	}
}

func (s *session) downOne(line string) error {
	if _, _, lit := literalSpec(line); !lit {
		for _, l := range s.edit(line) {
			if _, err := s.cl.Write([]byte(l)); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		if _, err := s.cl.Write([]byte(line)); err != nil {
			return err
		}
		n, _, ok := literalSpec(line)
		if !ok {
			return nil
		}
		if err := copyN(s.cl, s.br, n); err != nil {
			return err
		}
		var err error
		if line, err = s.br.ReadString('\n'); err != nil {
			return err
		}
	}
}

// edit returns what the client gets for one server line without literals.
func (s *session) edit(line string) []string {
	up := strings.ToUpper(line)
	switch {
	case strings.HasPrefix(up, "* LIST ") || strings.HasPrefix(up, "* LSUB "):
		return s.editList(line)
	case strings.HasPrefix(up, "* STATUS "):
		return []string{s.editStatus(line)}
	case strings.HasPrefix(up, "* ") && strings.Contains(up, " FETCH (") && strings.Contains(up, "X-GUID"):
		return []string{s.editGmailFetch(line)}
	}
	if strings.Contains(up, "CAPABILITY") {
		line = s.editCaps(line)
	}
	tag, _, _ := strings.Cut(line, " ")
	if tag != "*" && tag != "+" {
		return append(s.finish(tag), line)
	}
	return []string{line}
}

// finish ends a tagged command: LIST gets the provider folders the rig
// does not list (virtual mailboxes, \Noselect parents).
func (s *session) finish(tag string) []string {
	s.mu.Lock()
	lc := s.lists[tag]
	delete(s.lists, tag)
	delete(s.gmFetch, tag)
	s.mu.Unlock()
	if lc == nil || lc.patterns == nil {
		return nil
	}
	verb := "LIST"
	if lc.lsub {
		verb = "LSUB"
	}
	var out []string
	emit := func(attrs, name string) {
		for _, p := range lc.patterns {
			if matchPattern(p, name) {
				out = append(out, "* "+verb+" ("+attrs+") \"/\" "+quote(name)+"\r\n")
				return
			}
		}
	}
	if !lc.specialUse {
		for _, par := range s.p.Parents {
			emit(`\Noselect \HasChildren`, par)
		}
	}
	for _, f := range s.p.Folders {
		if strings.HasPrefix(f.Backend, testrig.VirtualPrefix) {
			emit(strings.Join(append([]string{`\HasNoChildren`}, f.Attrs...), " "), f.Name)
		}
	}
	return out
}

var listRe = regexp.MustCompile(`^\* (LIST|LSUB) \(([^)]*)\) ("[^"]*"|NIL) (.*)\r\n$`)

func (s *session) editList(line string) []string {
	m := listRe.FindStringSubmatch(line)
	if m == nil {
		return []string{line}
	}
	toks, err := tokenize(m[4])
	if err != nil || len(toks) == 0 {
		return []string{line}
	}
	name, f, ok := s.p.toClient(toks[0].value)
	if !ok {
		return nil
	}
	var attrs []string
	for _, a := range strings.Fields(m[2]) {
		if !specialUse[strings.ToUpper(a)] {
			attrs = append(attrs, a)
		}
	}
	if f != nil && !s.p.NoSpecialUse {
		attrs = append(attrs, f.Attrs...)
	} else if f == nil && !s.p.NoSpecialUse {
		// A rig folder the profile keeps as it is keeps its attributes.
		for _, a := range strings.Fields(m[2]) {
			if specialUse[strings.ToUpper(a)] {
				attrs = append(attrs, a)
			}
		}
	}
	tag := "" // which LIST this answers: the one command in flight of that verb
	s.mu.Lock()
	var lc *listCmd
	for t, c := range s.lists {
		if c.lsub == (m[1] == "LSUB") {
			lc, tag = c, t
		}
	}
	s.mu.Unlock()
	_ = tag
	if lc != nil {
		if lc.patterns != nil {
			hit := false
			for _, p := range lc.patterns {
				hit = hit || matchPattern(p, name)
			}
			if !hit {
				return nil
			}
		}
		if lc.specialUse && !hasSpecialUse(attrs) {
			return nil
		}
	}
	rest := ""
	if len(toks) > 1 {
		rest = " " + join(toks[1:], nil)
	}
	return []string{"* " + m[1] + " (" + strings.Join(attrs, " ") + ") " + m[3] + " " + quote(name) + rest + "\r\n"}
}

func hasSpecialUse(attrs []string) bool {
	for _, a := range attrs {
		if specialUse[strings.ToUpper(a)] {
			return true
		}
	}
	return false
}

func (s *session) editStatus(line string) string {
	body := strings.TrimRight(line[len("* STATUS "):], "\r\n")
	toks, err := tokenize(body)
	if err != nil || len(toks) < 2 {
		return line
	}
	name, _, ok := s.p.toClient(toks[0].value)
	if !ok {
		return line
	}
	return "* STATUS " + quote(name) + " " + join(toks[1:], nil) + "\r\n"
}

// editCaps rewrites a capability list (a CAPABILITY response or a
// [CAPABILITY ...] response code) to the profile's.
func (s *session) editCaps(line string) string {
	body := strings.TrimRight(line, "\r\n")
	up := strings.ToUpper(body)
	var start, end int
	if i := strings.Index(up, "[CAPABILITY "); i >= 0 {
		start = i + len("[CAPABILITY ")
		end = strings.Index(body[start:], "]")
		if end < 0 {
			return line
		}
		end += start
	} else if strings.HasPrefix(up, "* CAPABILITY ") {
		start, end = len("* CAPABILITY "), len(body)
	} else {
		return line
	}
	have := map[string]bool{}
	for _, c := range strings.Fields(body[start:end]) {
		have[strings.ToUpper(c)] = true
	}
	var out []string
	for _, c := range strings.Fields(body[start:end]) {
		u := strings.ToUpper(c)
		if strings.HasPrefix(u, "AUTH=") || u == "SASL-IR" || u == "LOGINDISABLED" {
			out = append(out, c)
		}
	}
	authed := !strings.Contains(up, "AUTH=") // Dovecot lists AUTH= only before login
	for _, c := range s.p.Caps {
		u := strings.ToUpper(c)
		if u == "SASL-IR" || strings.HasPrefix(u, "AUTH=") {
			continue
		}
		emulated := false
		for _, e := range s.p.Emulated {
			emulated = emulated || strings.EqualFold(e, c)
		}
		if have[u] || (emulated && authed) {
			out = append(out, c)
		}
	}
	return body[:start] + strings.Join(out, " ") + body[end:] + "\r\n"
}

// gmailFetch turns a UID FETCH of X-GM items into one of X-GUID, which
// editGmailFetch turns back.
func (s *session) gmailFetch(tag, line string) string {
	up := strings.ToUpper(line)
	if !strings.Contains(up, "X-GM-") {
		return line
	}
	out := line
	for _, item := range []string{"X-GM-THRID", "X-GM-MSGID", "X-GM-LABELS"} {
		out = regexp.MustCompile(`(?i) ?\b`+item+`\b`).ReplaceAllString(out, "")
	}
	out = strings.Replace(out, ")", " X-GUID)", 1)
	out = strings.Replace(out, "( X-GUID)", "(X-GUID)", 1)
	s.mu.Lock()
	s.gmFetch[tag] = true
	s.mu.Unlock()
	return out
}

var guidRe = regexp.MustCompile(`(?i)X-GUID ("[^"]*"|[^\s)]+)`)

// editGmailFetch writes Gmail's items in place of X-GUID: X-GM-MSGID from
// the message's GUID (the same in INBOX and All Mail, as Gmail's is,
// https://developers.google.com/gmail/imap/imap-extensions#access_to_the_gmail_unique_message_id_x-gm-msgid),
// X-GM-THRID the same (one thread per message: not emulated), and
// X-GM-LABELS the selected folder's label.
func (s *session) editGmailFetch(line string) string {
	s.mu.Lock()
	active := len(s.gmFetch) > 0
	sel := s.selected
	s.mu.Unlock()
	if !active {
		return line
	}
	return guidRe.ReplaceAllStringFunc(line, func(m string) string {
		g := guidRe.FindStringSubmatch(m)[1] // maildir: the file's base name
		sum := sha256.Sum256([]byte(g))
		id := strconv.FormatUint(binary.BigEndian.Uint64(sum[:8])>>1, 10)
		return "X-GM-THRID " + id + " X-GM-MSGID " + id + " X-GM-LABELS (" + s.label(sel) + ")"
	})
}

// label is the Gmail label of messages in folder (the client's name), in
// the form Gmail sends (system labels as \atoms, others quoted).
func (s *session) label(folder string) string {
	switch {
	case isInbox(folder):
		return `\Inbox`
	case folder == "[Gmail]/Sent Mail":
		return `\Sent`
	case folder == "[Gmail]/Drafts":
		return `\Draft`
	case folder == "[Gmail]/Starred":
		return `\Starred`
	case folder == "[Gmail]/Trash":
		return `\Trash`
	case folder == "[Gmail]/Spam":
		return `\Spam`
	case strings.HasPrefix(folder, "[Gmail]/"):
		return ""
	}
	return quote(folder)
}
