package imapconn_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/demo"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

func TestMain(m *testing.M) { testrig.Main(m) }

// backend is one real IMAP server the same behaviour suite runs against.
type backend struct {
	name string
	addr string // where clients connect (a proxy may sit in front)
	acct func(addr string) *imapconn.Account
	// fill creates folder holding n messages numbered 1..n, oldest first.
	fill func(t *testing.T, folder string, n int, subject func(i int) string)
	// add appends one raw message to folder.
	add func(t *testing.T, folder, raw string)
	// sessions counts the server's sessions for the user (-1 if unknown).
	sessions func() int
	stack    *testrig.Stack
}

// eachBackend runs fn against the in-process demo server and against real
// Dovecot (skipped, loudly, where the rig cannot run; required under CI).
func eachBackend(t *testing.T, fn func(t *testing.T, b *backend)) {
	t.Run("memserver", func(t *testing.T) {
		leakCheck(t)
		srv, err := demo.Start(demo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Close(context.Background()) })
		b := &backend{name: "memserver", addr: srv.IMAPAddr, sessions: func() int { return -1 }}
		b.acct = func(addr string) *imapconn.Account {
			host, port := splitHostPort(t, addr)
			return &imapconn.Account{ID: "t", Email: demo.Email,
				IMAP: imapconn.Endpoint{Host: host, Port: port, TLS: imapconn.TLSPlain},
				Auth: &auth.PasswordLogin{Username: demo.Email, Source: auth.SecretSource{Command: "printf " + demo.Password}}}
		}
		b.fill = func(t *testing.T, folder string, n int, subject func(int) string) {
			t.Helper()
			if err := srv.CreateFolder(folder); err != nil {
				t.Fatal(err)
			}
			for i := 1; i <= n; i++ {
				if err := srv.Deliver(folder, []byte(numbered(i, subject)), nil, msgTime(i)); err != nil {
					t.Fatal(err)
				}
			}
		}
		b.add = func(t *testing.T, folder, raw string) {
			if err := srv.Deliver(folder, []byte(raw), nil, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		fn(t, b)
	})
	t.Run("dovecot", func(t *testing.T) {
		st := testrig.Require(t)
		leakCheck(t)
		u := st.NewUser(t)
		b := &backend{name: "dovecot", addr: st.IMAPSAddr(), stack: st}
		b.acct = func(addr string) *imapconn.Account {
			host, port := splitHostPort(t, addr)
			tc := st.TLSConfig()
			return &imapconn.Account{ID: "t", Email: u.Email, TLS: tc,
				IMAP: imapconn.Endpoint{Host: host, Port: port, TLS: imapconn.TLSImplicit},
				Auth: &auth.PasswordLogin{Username: u.Username, Source: auth.SecretSource{Command: "printf %s '" + u.Password + "'"}}}
		}
		b.fill = func(t *testing.T, folder string, n int, subject func(int) string) {
			t.Helper()
			st.PopulateFunc(t, u, folder, n, func(i int) []byte { return []byte(numbered(i, subject)) })
		}
		b.add = func(t *testing.T, folder, raw string) {
			st.PopulateFunc(t, u, folder, 1, func(int) []byte { return []byte(raw) })
		}
		b.sessions = func() int {
			n, err := st.ConnectionCount(u)
			if err != nil {
				t.Fatalf("doveadm who: %v", err)
			}
			return n
		}
		fn(t, b)
	})
}

// leakCheck fails the test if goroutines started during it outlive it; it
// runs after every cleanup registered later (pools, servers).
func leakCheck(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func (b *backend) pool(t *testing.T, addr string, mut func(*imapconn.Account)) *imapconn.Pool {
	t.Helper()
	a := b.acct(addr)
	if mut != nil {
		mut(a)
	}
	p := imapconn.NewPool(a, slog.New(slog.DiscardHandler))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("close pool: %v", err)
		}
	})
	return p
}

func splitHostPort(tb testing.TB, addr string) (string, int) {
	tb.Helper()
	return testrig.SplitHostPort(tb, addr)
}

// openPool opens a pool for a that closes with the test (errors ignored).
func openPool(tb testing.TB, a *imapconn.Account) *imapconn.Pool {
	p := imapconn.NewPool(a, slog.New(slog.DiscardHandler))
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return p
}

func msgTime(i int) time.Time {
	return time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
}

func numbered(i int, subject func(int) string) string {
	return fmt.Sprintf("From: Sender %d <s%d@example.org>\r\nTo: someone@example.test\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <m%d@example.org>\r\n\r\nbody %d\r\n",
		i, i, subject(i), msgTime(i).Format(time.RFC1123Z), i, i)
}

func num(i int) string { return fmt.Sprintf("message %02d", i) }

func TestSearchPagesNewestFirstWithStableIDs(t *testing.T) { eachBackend(t, testSearchPages) }

func testSearchPages(t *testing.T, b *backend) {
	b.fill(t, "Paging", 45, num)
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	var subjects []string
	cursor := ""
	pages := 0
	for {
		page, err := p.Search(ctx, "Paging", imapconn.Criteria{}, 20, cursor)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, m := range page.Messages {
			subjects = append(subjects, m.Subject)
			ref, err := imapconn.ParseID(m.ID)
			if err != nil || ref.Folder != "Paging" || uint32(ref.UID) != m.UID || ref.Account != "t" {
				t.Fatalf("id %s does not round-trip: %+v %v", m.ID, ref, err)
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if pages != 3 || len(subjects) != 45 {
		t.Fatalf("pages=%d messages=%d, want 3 and 45", pages, len(subjects))
	}
	for i, s := range subjects {
		if want := num(45 - i); s != want {
			t.Fatalf("position %d: %q, want %q (newest first)", i, s, want)
		}
	}
	// Criteria: the server matches, we page.
	page, err := p.Search(ctx, "Paging", imapconn.Criteria{Subject: "message 1"}, 5, "")
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 10 || len(page.Messages) != 5 || page.Messages[0].Subject != "message 19" || page.NextCursor == "" {
		t.Fatalf("criteria page: total=%d n=%d first=%q cursor=%q", page.Total, len(page.Messages), page.Messages[0].Subject, page.NextCursor)
	}
	page2, err := p.Search(ctx, "Paging", imapconn.Criteria{Subject: "message 1"}, 5, page.NextCursor)
	if err != nil {
		t.Fatal(err)
	}
	if len(page2.Messages) != 5 || page2.Messages[0].Subject != "message 14" || page2.NextCursor != "" {
		t.Fatalf("criteria page 2: n=%d first=%q cursor=%q", len(page2.Messages), page2.Messages[0].Subject, page2.NextCursor)
	}
	// A cursor is bound to its search.
	if _, err := p.Search(ctx, "Paging", imapconn.Criteria{Subject: "other"}, 5, page.NextCursor); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("cursor reused for another search: %v", err)
	}
	if st := p.Stats(); st.Dials != 1 {
		t.Errorf("%d logins for sequential calls; the pool must reuse one connection", st.Dials)
	}
}

func TestNewMailVisibleToPooledConnection(t *testing.T) { eachBackend(t, testNewMail) }

func testNewMail(t *testing.T, b *backend) {
	b.fill(t, "Fresh", 3, num)
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	if page, err := p.Search(ctx, "Fresh", imapconn.Criteria{}, 10, ""); err != nil || len(page.Messages) != 3 {
		t.Fatalf("first search: %v", err)
	}
	b.add(t, "Fresh", "From: x@example.org\r\nSubject: late arrival\r\n\r\nhi\r\n")
	page, err := p.Search(ctx, "Fresh", imapconn.Criteria{}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 4 || page.Messages[0].Subject != "late arrival" {
		t.Fatalf("the selected folder's count went stale: %d messages, newest %q", len(page.Messages), page.Messages[0].Subject)
	}
}

func TestErrorsAreTypedAndActionable(t *testing.T) { eachBackend(t, testTypedErrors) }

func testTypedErrors(t *testing.T, b *backend) {
	b.fill(t, "Typed", 1, num)
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	_, err := p.Search(ctx, "No Such Folder", imapconn.Criteria{}, 10, "")
	if fault.KindOf(err) != fault.NotFound || !strings.Contains(err.Error(), "list_folders") {
		t.Errorf("unknown folder: %v", err)
	}
	page, err := p.Search(ctx, "Typed", imapconn.Criteria{}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := imapconn.ParseID(page.Messages[0].ID)
	ref.UIDValidity++
	err = p.FetchRaw(ctx, ref, false, func(imapconn.MessageMeta, io.Reader) error { return nil })
	if fault.KindOf(err) != fault.Stale || !strings.Contains(strings.ToLower(err.Error()), "search again") {
		t.Errorf("stale id: %v", err)
	}
	ref.UIDValidity--
	ref.UID += 100
	err = p.FetchRaw(ctx, ref, false, func(imapconn.MessageMeta, io.Reader) error { return nil })
	if fault.KindOf(err) != fault.NotFound {
		t.Errorf("expunged message: %v", err)
	}
	if _, err := imapconn.ParseID("m1.garbage!"); fault.KindOf(err) != fault.Invalid {
		t.Errorf("bad id: %v", err)
	}
	bad := b.pool(t, b.addr, func(a *imapconn.Account) {
		a.Auth = &auth.PasswordLogin{Username: a.Email, Source: auth.SecretSource{Command: "printf wrong"}}
	})
	_, err = bad.Search(ctx, "INBOX", imapconn.Criteria{}, 1, "")
	if fault.KindOf(err) != fault.Auth || strings.Contains(err.Error(), "wrong") {
		t.Errorf("refused login: %v (and the password must not appear)", err)
	}
	// A password source that fails is the login's own error with its
	// hint, not "the server refused the login".
	nopw := b.pool(t, b.addr, func(a *imapconn.Account) {
		a.Auth = &auth.PasswordLogin{Username: a.Email, Source: auth.SecretSource{Command: "exit 3"}}
	})
	_, err = nopw.Search(ctx, "INBOX", imapconn.Criteria{}, 1, "")
	if fe := fault.As(err); fe == nil || fe.Kind != fault.Auth || fe.Hint == "" || strings.Contains(err.Error(), "refused") {
		t.Errorf("unreadable password: %v, want auth_failed with the password-source hint", err)
	}
}

func TestFetchDoesNotMarkReadUnlessAsked(t *testing.T) { eachBackend(t, testFetchPeek) }

func testFetchPeek(t *testing.T, b *backend) {
	b.fill(t, "Read", 1, num)
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	unseen := false
	seenFilter := func() int {
		page, err := p.Search(ctx, "Read", imapconn.Criteria{Seen: &unseen}, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Messages)
	}
	page, _ := p.Search(ctx, "Read", imapconn.Criteria{}, 10, "")
	ref, _ := imapconn.ParseID(page.Messages[0].ID)
	var body string
	err := p.FetchRaw(ctx, ref, false, func(_ imapconn.MessageMeta, r io.Reader) error {
		b, err := io.ReadAll(r)
		body = string(b)
		return err
	})
	if err != nil || !strings.Contains(body, "body 1") {
		t.Fatalf("fetch: %v %q", err, body)
	}
	if seenFilter() != 1 {
		t.Fatal("fetch set \\Seen without mark_read")
	}
	if err := p.FetchRaw(ctx, ref, true, func(imapconn.MessageMeta, io.Reader) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if seenFilter() != 0 {
		t.Fatal("mark_read did not set \\Seen")
	}
}

func TestConcurrentCallsStayWithinPoolLimit(t *testing.T) { eachBackend(t, testPoolLimit) }

func testPoolLimit(t *testing.T, b *backend) {
	b.fill(t, "Busy", 30, num)
	px := newProxy(t, b.addr)
	p := b.pool(t, px.addr(), func(a *imapconn.Account) { a.MaxConns = 3 })
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Search(context.Background(), "Busy", imapconn.Criteria{}, 20, "")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, max, total := px.stats(); max > 3 || total > 3 {
		t.Fatalf("server saw %d concurrent / %d total connections; pool limit is 3", max, total)
	}
	// 50 calls on 3 connections: most had to wait, and the pool says so.
	if st := p.Stats(); st.Waits < 1 || st.WaitTime <= 0 {
		t.Errorf("pool stats report no waits for 50 calls on 3 connections: %+v", st)
	}
}

func TestSilentServerTimesOut(t *testing.T) {
	leakCheck(t)
	b := &backend{acct: func(addr string) *imapconn.Account {
		host, port := splitHostPort(t, addr)
		return &imapconn.Account{ID: "t", Email: "x@example.org", IMAP: imapconn.Endpoint{Host: host, Port: port, TLS: imapconn.TLSPlain},
			Auth: &auth.PasswordLogin{Username: "x", Source: auth.SecretSource{Command: "printf x"}}}
	}}
	p := b.pool(t, blackHole(t), func(a *imapconn.Account) { a.DialTimeout = 300 * time.Millisecond })
	start := time.Now()
	_, err := p.Search(context.Background(), "INBOX", imapconn.Criteria{}, 1, "")
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("took %v; the dial deadline is 300ms", took)
	}
	if k := fault.KindOf(err); k != fault.Timeout && k != fault.Unavailable {
		t.Fatalf("want a timeout, got %v (%v)", k, err)
	}
}

func TestStalledCommandTimesOutAndNextCallWorks(t *testing.T) { eachBackend(t, testStall) }

func testStall(t *testing.T, b *backend) {
	b.fill(t, "Stall", 2, num)
	px := newProxy(t, b.addr)
	p := b.pool(t, px.addr(), nil)
	if _, err := p.Search(context.Background(), "Stall", imapconn.Criteria{}, 5, ""); err != nil {
		t.Fatal(err)
	}
	px.stalled.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Search(ctx, "Stall", imapconn.Criteria{}, 5, "")
	if fault.KindOf(err) != fault.Timeout {
		t.Fatalf("stalled server: want timeout, got %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("timeout took %v", took)
	}
	px.stalled.Store(false)
	if _, err := p.Search(context.Background(), "Stall", imapconn.Criteria{}, 5, ""); err != nil {
		t.Fatalf("call after a timeout: %v", err)
	}
	if st := p.Stats(); st.Dials != 2 || st.Open != 1 {
		t.Errorf("the stalled connection must be discarded and replaced: %+v", st)
	}
}

func TestDroppedIdleConnectionIsReplaced(t *testing.T) { eachBackend(t, testDrop) }

func testDrop(t *testing.T, b *backend) {
	b.fill(t, "Drop", 2, num)
	px := newProxy(t, b.addr)
	p := b.pool(t, px.addr(), nil)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := p.Search(ctx, "Drop", imapconn.Criteria{}, 5, ""); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		px.dropAll() // the server goes away while the connection idles
		time.Sleep(20 * time.Millisecond)
	}
	if st := p.Stats(); st.Dials != 3 {
		t.Errorf("want one fresh login per drop, got %+v", st)
	}
}

// TestDovecotRestartBetweenCalls: the server dies under a pooled
// connection; the next call reconnects and succeeds.
func TestDovecotRestartBetweenCalls(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		if b.stack == nil {
			t.Skip("needs a real server to kill")
		}
		b.fill(t, "Restart", 3, num)
		p := b.pool(t, b.addr, nil)
		ctx := context.Background()
		if _, err := p.Search(ctx, "Restart", imapconn.Criteria{}, 5, ""); err != nil {
			t.Fatal(err)
		}
		if err := b.stack.KillDovecot(); err != nil {
			t.Fatal(err)
		}
		if err := b.stack.StartDovecot(); err != nil {
			t.Fatal(err)
		}
		page, err := p.Search(ctx, "Restart", imapconn.Criteria{}, 5, "")
		if err != nil || len(page.Messages) != 3 {
			t.Fatalf("call after a Dovecot restart: %v", err)
		}
	})
}

// TestNoConnectionLeak: many calls and a pool close leave no session open
// on the server (Dovecot's own count, not ours).
func TestNoConnectionLeak(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		if b.sessions() < 0 {
			t.Skip("the in-process server cannot count sessions")
		}
		b.fill(t, "Leak", 5, num)
		a := b.acct(b.addr)
		a.MaxConns = 4
		p := imapconn.NewPool(a, slog.New(slog.DiscardHandler))
		var wg sync.WaitGroup
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := p.Search(context.Background(), "Leak", imapconn.Criteria{}, 5, ""); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := b.sessions(); n < 1 || n > 4 {
			t.Errorf("server has %d sessions for the user during use; pool limit is 4", n)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(3 * time.Second)
		for b.sessions() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d sessions left open after Close", b.sessions())
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
