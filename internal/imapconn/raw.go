package imapconn

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// rawConn sits between go-imap's client and the socket, above TLS, and lets
// this package send commands go-imap v2 (beta.8) cannot express: Gmail's
// X-GM-RAW and X-GM-THRID search keys and the X-GM-THRID, X-GM-MSGID and
// X-GM-LABELS fetch items. go-imap has no raw command hook, and an unknown
// FETCH item or response type makes its reader fail and drop the
// connection, so the responses to a raw command are taken out of the stream
// here, before go-imap's decoder sees them.
//
// Safety with go-imap's tag and state machine:
//   - a raw command is only sent while the caller owns the Conn (inside
//     Pool.Do), so no go-imap command is in flight and nothing else writes;
//   - raw commands use their own tag prefix ("MMX"), which go-imap ("T1", …)
//     never uses;
//   - responses are classified at response boundaries (lines and their
//     literals are tracked even in pass-through), and only the raw command's
//     tagged completion, its continuation requests and untagged responses of
//     the kinds it asked for are diverted; everything else (EXISTS,
//     EXPUNGE, alerts) still reaches go-imap so its mailbox state stays right;
//   - servers without an extension that needs the raw path get a pure
//     pass-through (bypass) after login.
//
// Read is only ever called by go-imap's reader goroutine.
type rawConn struct {
	net.Conn
	br *bufio.Reader

	mu     sync.Mutex
	bypass bool
	cmd    *rawCmd
	seq    int

	// tap, when set, sees the start of every response line that passes
	// through to go-imap (on the reader goroutine: it must be quick).
	tap func(line []byte)

	// Reader-goroutine state.
	buf  []byte // storage behind out
	out  []byte // pass-through bytes not yet handed to go-imap
	lit  int64  // literal bytes still to pass through
	mid  bool   // inside a pass-through line already classified
	tail []byte // end of the current pass-through line (literal detection)
}

// maxRawResponse bounds one diverted response (a Gmail SEARCH of a huge
// mailbox is a few MB).
const maxRawResponse = 64 << 20

func newRawConn(c net.Conn) *rawConn {
	return &rawConn{Conn: c, br: bufio.NewReaderSize(c, 64<<10)}
}

// setBypass turns the raw path off for good: from the next response
// boundary on, bytes flow straight to go-imap.
func (r *rawConn) setBypass() {
	r.mu.Lock()
	r.bypass = true
	r.mu.Unlock()
}

// rawCmd is one raw command in flight.
type rawCmd struct {
	tag    string
	accept []string // untagged response kinds to divert (FETCH, SEARCH, …)
	// cont receives one value per continuation request the command asked
	// for; awaiting (under rawConn.mu) is set while it waits for one.
	// The slot is never full when the reader sends, so the reader never
	// blocks on it.
	cont     chan struct{}
	awaiting bool
	done     chan struct{}

	untagged [][]byte // diverted untagged responses, literals inline
	status   []byte   // the tagged completion line
	err      error
}

func (cmd *rawCmd) finish(err error) {
	select {
	case <-cmd.done:
	default:
		cmd.err = err
		close(cmd.done)
	}
}

func (r *rawConn) Read(p []byte) (int, error) {
	for {
		if len(r.out) > 0 {
			n := copy(p, r.out)
			r.out = r.out[n:]
			return n, nil
		}
		if r.lit > 0 {
			if int64(len(p)) > r.lit {
				p = p[:r.lit]
			}
			n, err := r.br.Read(p)
			r.lit -= int64(n)
			return n, r.readErr(err)
		}
		r.mu.Lock()
		bypass, cmd := r.bypass, r.cmd
		r.mu.Unlock()
		if bypass && !r.mid && cmd == nil {
			n, err := r.br.Read(p)
			return n, r.readErr(err)
		}
		chunk, err := r.br.ReadSlice('\n')
		// Look again: a raw command may have started while ReadSlice waited.
		r.mu.Lock()
		cmd = r.cmd
		r.mu.Unlock()
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			if len(chunk) > 0 {
				r.buf = append(r.buf[:0], chunk...)
				r.out = r.buf
				continue
			}
			return 0, r.readErr(err)
		}
		if !r.mid && cmd != nil && cmd.wants(chunk) {
			if err := r.divert(cmd, chunk); err != nil {
				return 0, r.readErr(err)
			}
			continue
		}
		r.passLine(chunk)
	}
}

// readErr fails the raw command in flight when the stream breaks.
func (r *rawConn) readErr(err error) error {
	if err != nil {
		r.mu.Lock()
		cmd := r.cmd
		r.mu.Unlock()
		if cmd != nil {
			cmd.finish(fmt.Errorf("connection lost: %w", err))
		}
	}
	return err
}

// passLine queues a chunk of a response line for go-imap and notes a
// literal announced at its end (RFC 9051 4.3: "{" number "}" CRLF).
func (r *rawConn) passLine(chunk []byte) {
	if r.tap != nil && !r.mid {
		r.tap(chunk)
	}
	r.buf = append(r.buf[:0], chunk...)
	r.out = r.buf
	end := bytes.HasSuffix(chunk, []byte("\n"))
	r.tail = append(r.tail, chunk[max(0, len(chunk)-32):]...)
	if len(r.tail) > 32 {
		r.tail = r.tail[len(r.tail)-32:]
	}
	r.mid = !end
	if end {
		if n, ok := literalSize(r.tail); ok {
			r.lit = n
		}
		r.tail = r.tail[:0]
	}
}

// literalSize parses a trailing "{n}\r\n" (or "{n+}") of a line.
func literalSize(line []byte) (int64, bool) {
	line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
	if !bytes.HasSuffix(line, []byte("}")) {
		return 0, false
	}
	i := bytes.LastIndexByte(line, '{')
	if i < 0 {
		return 0, false
	}
	num := bytes.TrimSuffix(line[i+1:len(line)-1], []byte("+"))
	n, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// wants reports whether a response starting with line belongs to cmd.
func (cmd *rawCmd) wants(line []byte) bool {
	if bytes.HasPrefix(line, []byte(cmd.tag+" ")) {
		return true
	}
	if line[0] == '+' {
		return cmd.cont != nil
	}
	rest, ok := bytes.CutPrefix(line, []byte("* "))
	if !ok {
		return false
	}
	// "* 12 FETCH …": skip a leading number.
	if len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
		if i := bytes.IndexByte(rest, ' '); i > 0 {
			rest = rest[i+1:]
		}
	}
	for _, kind := range cmd.accept {
		if len(rest) > len(kind) && bytes.EqualFold(rest[:len(kind)], []byte(kind)) && (rest[len(kind)] == ' ' || rest[len(kind)] == '\r') {
			return true
		}
	}
	return false
}

// divert reads the whole response starting with first (with its literals)
// and hands it to cmd.
func (r *rawConn) divert(cmd *rawCmd, first []byte) error {
	resp := append([]byte(nil), first...)
	for {
		if !bytes.HasSuffix(resp, []byte("\n")) {
			more, err := r.br.ReadSlice('\n')
			resp = append(resp, more...)
			if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				return err
			}
		} else if n, ok := literalSize(resp[max(0, len(resp)-32):]); ok {
			if int64(len(resp))+n > maxRawResponse {
				return fmt.Errorf("raw response larger than %d bytes", maxRawResponse)
			}
			lit := make([]byte, n)
			if _, err := io.ReadFull(r.br, lit); err != nil {
				return err
			}
			resp = append(resp, lit...)
			more, err := r.br.ReadSlice('\n')
			resp = append(resp, more...)
			if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				return err
			}
		} else {
			break
		}
		if len(resp) > maxRawResponse {
			return fmt.Errorf("raw response larger than %d bytes", maxRawResponse)
		}
	}
	switch {
	case resp[0] == '+':
		r.mu.Lock()
		asked := cmd.awaiting
		cmd.awaiting = false
		r.mu.Unlock()
		if !asked {
			// The server waits for data nobody will send, or answers
			// out of step: the stream cannot be trusted any more. Failing
			// the read ends go-imap's reader, which closes the connection.
			err := fmt.Errorf("unexpected continuation request %q", truncate(strings.TrimSpace(string(resp)), 80))
			cmd.finish(err)
			return err
		}
		cmd.cont <- struct{}{}
	case resp[0] == '*':
		cmd.untagged = append(cmd.untagged, resp)
	default:
		cmd.status = resp
		r.mu.Lock()
		r.cmd = nil
		r.mu.Unlock()
		cmd.finish(nil)
	}
	return nil
}

// rawArg is one argument of a raw command: an atom written as is, or a
// string sent quoted when it can be and as a literal otherwise.
type rawArg struct {
	atom string
	str  *string
}

func atom(s string) rawArg   { return rawArg{atom: s} }
func astr(s string) rawArg   { return rawArg{str: &s} }
func quotable(s string) bool { return len(s) < 1000 && isQuotedSafe(s) }

func isQuotedSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// Raw sends one command that go-imap cannot express and returns its
// untagged responses of the given kinds (e.g. "FETCH", "SEARCH"). The
// connection must be a pooled one (which has the raw path, whatever its TLS
// mode) and be owned by the caller.
func (c *Conn) Raw(ctx context.Context, accept []string, args ...rawArg) ([][]byte, error) {
	r := c.raw
	if r == nil {
		// Only pooled connections have the raw path; others never call Raw.
		return nil, &fault.Error{Kind: fault.Internal, Op: "raw command", Err: errors.New("imapconn: extension command on a connection dialled without the raw path")}
	}
	r.mu.Lock()
	if r.cmd != nil {
		r.mu.Unlock()
		return nil, fmt.Errorf("imapconn: raw command already in flight")
	}
	r.seq++
	cmd := &rawCmd{tag: fmt.Sprintf("MMX%d", r.seq), accept: accept, cont: make(chan struct{}, 1), done: make(chan struct{})}
	r.cmd = cmd
	r.mu.Unlock()
	abandon := func(err error) error {
		r.mu.Lock()
		if r.cmd == cmd {
			r.cmd = nil
		}
		r.mu.Unlock()
		c.c.Close() // the stream is in an unknown state
		return c.fail(ctx, "raw command", err)
	}
	var line bytes.Buffer
	line.WriteString(cmd.tag)
	for _, a := range args {
		line.WriteByte(' ')
		switch {
		case a.str == nil:
			line.WriteString(a.atom)
		case quotable(*a.str):
			line.WriteString(strconv.Quote(*a.str)) // ASCII printable: Go and IMAP quoting agree on \" and \\
		default:
			// Synchronizing literal (RFC 9051 4.3): wait for "+".
			fmt.Fprintf(&line, "{%d}\r\n", len(*a.str))
			r.mu.Lock()
			cmd.awaiting = true
			r.mu.Unlock()
			if _, err := r.Conn.Write(line.Bytes()); err != nil {
				return nil, abandon(err)
			}
			line.Reset()
			select {
			case <-cmd.cont:
			case <-cmd.done:
				if cmd.err != nil {
					return nil, abandon(cmd.err)
				}
				return nil, c.fail(ctx, "raw command", rawStatusErr(cmd.status))
			case <-c.c.Closed():
				return nil, abandon(errors.New("connection closed"))
			}
			line.WriteString(*a.str)
		}
	}
	line.WriteString("\r\n")
	if _, err := r.Conn.Write(line.Bytes()); err != nil {
		return nil, abandon(err)
	}
	select {
	case <-cmd.done:
	case <-c.c.Closed():
		return nil, abandon(errors.New("connection closed"))
	}
	if cmd.err != nil {
		return nil, abandon(cmd.err)
	}
	if err := rawStatusErr(cmd.status); err != nil {
		return nil, c.fail(ctx, "raw command", err)
	}
	return cmd.untagged, nil
}

// rawStatusErr turns a tagged NO/BAD into an *imap.Error.
func rawStatusErr(status []byte) error {
	fields := bytes.SplitN(bytes.TrimRight(status, "\r\n"), []byte(" "), 3)
	if len(fields) < 2 {
		return fmt.Errorf("malformed completion %q", status)
	}
	typ := string(bytes.ToUpper(fields[1]))
	if typ == "OK" {
		return nil
	}
	text := ""
	if len(fields) == 3 {
		text = string(fields[2])
	}
	var code string
	if rest, ok := strings.CutPrefix(text, "["); ok {
		if i := strings.IndexByte(rest, ']'); i >= 0 {
			code, text = rest[:i], strings.TrimSpace(rest[i+1:])
			code, _, _ = strings.Cut(code, " ")
		}
	}
	return &imap.Error{Type: imap.StatusResponseType(typ), Code: imap.ResponseCode(code), Text: text}
}
