package imapconn_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/demo"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

type gmMsg struct {
	subject, thrid, msgid, labels string
}

var gmMessages = []gmMsg{
	{"invoice March", "100", "1001", `\Important "Work stuff"`},
	{"lunch on Friday", "200", "1002", `\Inbox`},
	{"Re: invoice March", "100", "1003", ``},
	{"Grüße aus Köln", "300", "1004", `Travel "say \"hi\""`},
}

// TestGmailExtensionsThroughRawPath drives X-GM-RAW, X-GM-THRID and the
// X-GM fetch items through the raw command path against gmailish (a
// server speaking the extension in front of the real in-process IMAP
// server). It proves: the commands go-imap cannot express reach the server
// correctly encoded (quoted, and as a synchronizing literal with CHARSET
// UTF-8 for non-ASCII); their responses, including literals, are parsed;
// an unsolicited EXISTS arriving in the middle of a raw response still
// reaches go-imap; a NO to a raw command is a typed error; and go-imap's
// own commands keep working on the same connection before and after (one
// login for the whole test).
func TestGmailExtensionsThroughRawPath(t *testing.T) {
	leakCheck(t)
	srv, err := demo.Start(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	if err := srv.CreateFolder("Gmailbox"); err != nil {
		t.Fatal(err)
	}
	for i, m := range gmMessages {
		raw := fmt.Sprintf("From: a%d@example.org\r\nTo: me@example.test\r\nSubject: %s\r\nMessage-ID: <gm%d@example.org>\r\nX-GM-THRID: %s\r\nX-GM-MSGID: %s\r\nX-GM-LABELS: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody\r\n",
			i, m.subject, i, m.thrid, m.msgid, m.labels)
		if err := srv.Deliver("Gmailbox", []byte(raw), nil, msgTime(i)); err != nil {
			t.Fatal(err)
		}
	}
	g := newGmailish(t, srv.IMAPAddr)
	g.injectExists.Store(true)
	b := &backend{acct: func(addr string) *imapconn.Account {
		host, port := splitHostPort(t, addr)
		return &imapconn.Account{ID: "gm", Email: demo.Email, IMAP: imapconn.Endpoint{Host: host, Port: port, TLS: imapconn.TLSPlain},
			Auth: &auth.PasswordLogin{Username: demo.Email, Source: auth.SecretSource{Command: "printf " + demo.Password}}}
	}}
	p := b.pool(t, g.addr(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	page, err := p.Search(ctx, "Gmailbox", imapconn.Criteria{}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 4 {
		t.Fatalf("%d messages, want 4", len(page.Messages))
	}
	wantLabels := map[string][]string{
		"1001": {`\Important`, "Work stuff"}, "1002": {`\Inbox`}, "1003": {}, "1004": {"Travel", `say "hi"`},
	}
	for i, e := range page.Messages {
		m := gmMessages[3-i]
		if e.Subject != m.subject || e.ThreadID != m.thrid || e.GmailMsgID != m.msgid || !slices.Equal(e.Labels, wantLabels[m.msgid]) {
			t.Errorf("envelope %d: subject=%q thread=%q msgid=%q labels=%q; want %q %s %s %q", i, e.Subject, e.ThreadID, e.GmailMsgID, e.Labels, m.subject, m.thrid, m.msgid, wantLabels[m.msgid])
		}
	}

	subjects := func(pg *imapconn.Page) []string {
		var out []string
		for _, m := range pg.Messages {
			out = append(out, m.Subject)
		}
		return out
	}
	page, err = p.Search(ctx, "Gmailbox", imapconn.Criteria{GmailQuery: "invoice"}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := subjects(page); !slices.Equal(got, []string{"Re: invoice March", "invoice March"}) || page.Total != 2 {
		t.Errorf("gmail_query invoice: %q total %d", got, page.Total)
	}
	page, err = p.Search(ctx, "Gmailbox", imapconn.Criteria{GmailQuery: "Köln"}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := subjects(page); !slices.Equal(got, []string{"Grüße aus Köln"}) {
		t.Errorf("non-ASCII gmail_query: %q", got)
	}
	// Combined with a structured criterion (go-imap intersects the UIDs).
	page, err = p.Search(ctx, "Gmailbox", imapconn.Criteria{GmailQuery: "invoice", Subject: "Re:"}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := subjects(page); !slices.Equal(got, []string{"Re: invoice March"}) {
		t.Errorf("gmail_query plus subject: %q", got)
	}
	// Same thread as the first message: X-GM-THRID.
	first := page.Messages[0].ID
	page, err = p.Search(ctx, "Gmailbox", imapconn.Criteria{Thread: first}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := subjects(page); !slices.Equal(got, []string{"Re: invoice March", "invoice March"}) {
		t.Errorf("thread: %q", got)
	}
	// A refused raw command is a typed error and leaves the connection usable.
	_, err = p.Search(ctx, "Gmailbox", imapconn.Criteria{GmailQuery: "fail-me"}, 10, "")
	if fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), "Invalid search query") {
		t.Errorf("refused X-GM-RAW: %v", err)
	}
	if _, err := p.Search(ctx, "Gmailbox", imapconn.Criteria{From: "a1@"}, 10, ""); err != nil {
		t.Fatalf("go-imap command after the raw ones: %v", err)
	}
	if st := p.Stats(); st.Dials != 1 || st.Discards != 0 {
		t.Errorf("the raw path must keep the one connection in sync: %+v", st)
	}
	want := []string{"FETCH 1:4", "X-GM-RAW invoice", "FETCH 1,3", "X-GM-RAW Köln", "FETCH 4", "X-GM-RAW invoice", "FETCH 3",
		"FETCH 3", "X-GM-THRID 100", "FETCH 1,3", "X-GM-RAW fail-me", "FETCH 2"}
	if got := g.received(); !slices.Equal(got, want) {
		t.Errorf("server received %q\nwant %q", got, want)
	}
}

func TestGmailQueryRefusedElsewhere(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		b.fill(t, "NoGmail", 1, num)
		p := b.pool(t, b.addr, nil)
		_, err := p.Search(context.Background(), "NoGmail", imapconn.Criteria{GmailQuery: "has:attachment"}, 5, "")
		if fault.KindOf(err) != fault.Unsupported || !strings.Contains(err.Error(), "Gmail") {
			t.Fatalf("gmail_query on %s: %v", b.name, err)
		}
		if _, err := p.Search(context.Background(), "NoGmail", imapconn.Criteria{}, 5, ""); err != nil {
			t.Fatal(err)
		}
	})
}

// Continuation requests a raw command did not ask for (here two, before the
// reply to a command that has no literal) mean the stream is out of step:
// the command fails at once, the connection is dropped rather than wedged
// (go-imap's reader must never block on the raw path, or Close, which
// waits for it, cannot free the connection), and the next call works on a
// new connection.
func TestRawUnexpectedContinuations(t *testing.T) {
	leakCheck(t)
	srv, err := demo.Start(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	if err := srv.CreateFolder("Gmailbox"); err != nil {
		t.Fatal(err)
	}
	for i, m := range gmMessages[:2] {
		raw := fmt.Sprintf("From: a%d@example.org\r\nSubject: %s\r\nMessage-ID: <gm%d@example.org>\r\nX-GM-THRID: %s\r\nX-GM-MSGID: %s\r\n\r\nbody\r\n",
			i, m.subject, i, m.thrid, m.msgid)
		if err := srv.Deliver("Gmailbox", []byte(raw), nil, msgTime(i)); err != nil {
			t.Fatal(err)
		}
	}
	g := newGmailish(t, srv.IMAPAddr)
	b := &backend{acct: func(addr string) *imapconn.Account {
		host, port := splitHostPort(t, addr)
		return &imapconn.Account{ID: "gm", Email: demo.Email, IMAP: imapconn.Endpoint{Host: host, Port: port, TLS: imapconn.TLSPlain},
			Auth: &auth.PasswordLogin{Username: demo.Email, Source: auth.SecretSource{Command: "printf " + demo.Password}}}
	}}
	p := b.pool(t, g.addr(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	page, err := p.Search(ctx, "Gmailbox", imapconn.Criteria{}, 10, "")
	if err != nil || len(page.Messages) != 2 {
		t.Fatalf("search: %v", err)
	}
	first := page.Messages[0].ID

	g.extraConts.Store(2)
	done := make(chan error, 1)
	go func() {
		_, err := p.Search(ctx, "Gmailbox", imapconn.Criteria{Thread: first}, 10, "")
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a thread search with unexpected continuations did not return: go-imap's reader is wedged on the raw path")
	}
	if err == nil || fault.KindOf(err) != fault.ConnLost {
		t.Fatalf("thread search with unexpected continuations: kind %v, %v", fault.KindOf(err), err)
	}
	g.extraConts.Store(0)
	page, err = p.Search(ctx, "Gmailbox", imapconn.Criteria{Thread: first}, 10, "")
	if err != nil || len(page.Messages) != 1 {
		t.Fatalf("thread search on a new connection: %v", err)
	}
	// One dial, one for the read's retry (also refused), one after.
	if st := p.Stats(); st.Dials != 3 || st.Retries != 1 {
		t.Errorf("dials = %d, retries = %d; want 3 and 1 (each out-of-step connection dropped)", st.Dials, st.Retries)
	}
}
