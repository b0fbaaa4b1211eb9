package quirks_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/internal/testrig/quirks"
)

// raw is a bare IMAP session, to send folder names as literals.
type raw struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func (r *raw) send(s string) {
	r.t.Helper()
	if _, err := r.c.Write([]byte(s)); err != nil {
		r.t.Fatal(err)
	}
}

// until reads lines up to the one starting with prefix.
func (r *raw) until(prefix string) []string {
	r.t.Helper()
	var lines []string
	for {
		l, err := r.r.ReadString('\n')
		if err != nil {
			r.t.Fatalf("waiting for %q after %q: %v", prefix, lines, err)
		}
		lines = append(lines, l)
		if strings.HasPrefix(l, prefix) {
			return lines
		}
	}
}

// TestFolderNamesAsLiterals: names sent as synchronizing and
// non-synchronizing literals are rewritten like quoted ones, in SELECT,
// CREATE, LIST, APPEND and RENAME.
func TestFolderNamesAsLiterals(t *testing.T) {
	s := testrig.Require(t)
	px, err := quirks.Start(s.IMAPAddr(), quirks.Gmail)
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	u, err := s.AddUser("literal", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", px.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := &raw{t: t, c: c, r: bufio.NewReader(c)}
	r.until("* OK")
	r.send(fmt.Sprintf("a LOGIN %s %s\r\n", u.Username, u.Password))
	r.until("a OK")

	r.send("b SELECT {13}\r\n")
	r.until("+")
	r.send("[Gmail]/Trash\r\n")
	if got := r.until("b "); !strings.HasPrefix(got[len(got)-1], "b OK") {
		t.Fatalf("SELECT [Gmail]/Trash as a literal: %q", got)
	}
	r.send("c CREATE {17+}\r\n[Gmail]/Trash/lit\r\n")
	if got := r.until("c "); !strings.HasPrefix(got[len(got)-1], "c OK") {
		t.Fatalf("CREATE as a non-synchronizing literal: %q", got)
	}
	msg := "Subject: lit\r\n\r\nx\r\n"
	r.send("d APPEND {12}\r\n")
	r.until("+")
	r.send(fmt.Sprintf("[Gmail]/Spam (\\Seen) {%d}\r\n", len(msg)))
	r.until("+")
	r.send(msg + "\r\n")
	if got := r.until("d "); !strings.HasPrefix(got[len(got)-1], "d OK") {
		t.Fatalf("APPEND to a literal mailbox: %q", got)
	}
	r.send("e STATUS \"[Gmail]/Spam\" (MESSAGES)\r\n")
	if got := strings.Join(r.until("e "), ""); !strings.Contains(got, `* STATUS "[Gmail]/Spam" (MESSAGES 1)`) {
		t.Errorf("STATUS: %q", got)
	}
	r.send("f RENAME \"[Gmail]/Trash/lit\" {4}\r\n")
	r.until("+")
	r.send("Work\r\n")
	if got := r.until("f "); !strings.HasPrefix(got[len(got)-1], "f OK") {
		t.Fatalf("RENAME to a literal: %q", got)
	}
	r.send("g LIST \"\" {1}\r\n")
	r.until("+")
	r.send("*\r\n")
	got := strings.Join(r.until("g "), "")
	for _, want := range []string{`"Work"`, `"[Gmail]/Spam"`, `(\Noselect \HasChildren) "/" "[Gmail]"`, `\All) "/" "[Gmail]/All Mail"`} {
		if !strings.Contains(got, want) {
			t.Errorf("LIST lacks %s:\n%s", want, got)
		}
	}
	for _, gone := range []string{`"Junk"`, `"Sent"`, `"Archive"`, "QuirkShadow", "RigVirtual"} {
		if strings.Contains(got, gone) {
			t.Errorf("LIST shows %s:\n%s", gone, got)
		}
	}
}
