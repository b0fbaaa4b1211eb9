package mailconn_test

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

	"github.com/mailmcp/mailmcp/auth"
	"github.com/mailmcp/mailmcp/internal/demo"
	"github.com/mailmcp/mailmcp/mailconn"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func startDemo(t *testing.T) *demo.Server {
	t.Helper()
	srv, err := demo.Start(demo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	return srv
}

func newPool(t *testing.T, addr string, mut func(*mailconn.Account)) *mailconn.Pool {
	t.Helper()
	host, port := splitHostPort(t, addr)
	a := &mailconn.Account{
		ID: "t", Email: demo.Email,
		IMAP: mailconn.Endpoint{Host: host, Port: port, TLS: mailconn.TLSPlain},
		Auth: &mailconn.PasswordLogin{Username: demo.Email, Source: auth.SecretSource{Command: "printf " + demo.Password}},
	}
	if mut != nil {
		mut(a)
	}
	p := mailconn.NewPool(a, slog.New(slog.DiscardHandler))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Close(ctx); err != nil {
			t.Errorf("close pool: %v", err)
		}
	})
	return p
}

func splitHostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	var host string
	var port int
	i := strings.LastIndexByte(addr, ':')
	host = addr[:i]
	if _, err := fmt.Sscanf(addr[i+1:], "%d", &port); err != nil {
		t.Fatal(err)
	}
	return host, port
}

// fill creates folder and appends n messages numbered 1..n (oldest first).
func fill(t *testing.T, srv *demo.Server, folder string, n int, subject func(i int) string) {
	t.Helper()
	if err := srv.CreateFolder(folder); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		d := base.Add(time.Duration(i) * time.Minute)
		raw := fmt.Sprintf("From: Sender %d <s%d@example.org>\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <m%d@example.org>\r\n\r\nbody %d\r\n",
			i, i, demo.Email, subject(i), d.Format(time.RFC1123Z), i, i)
		if err := srv.Deliver(folder, []byte(raw), nil, d); err != nil {
			t.Fatal(err)
		}
	}
}

func num(i int) string { return fmt.Sprintf("message %02d", i) }

func TestSearchPagesNewestFirstWithStableIDs(t *testing.T) {
	srv := startDemo(t)
	fill(t, srv, "Paging", 45, num)
	p := newPool(t, srv.IMAPAddr, nil)
	ctx := context.Background()
	var subjects []string
	cursor := ""
	pages := 0
	for {
		page, err := p.Search(ctx, "Paging", mailconn.Criteria{}, 20, cursor)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, m := range page.Messages {
			subjects = append(subjects, m.Subject)
			ref, err := mailconn.ParseID(m.ID)
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
	page, err := p.Search(ctx, "Paging", mailconn.Criteria{Subject: "message 1"}, 5, "")
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 10 || len(page.Messages) != 5 || page.Messages[0].Subject != "message 19" || page.NextCursor == "" {
		t.Fatalf("criteria page: total=%d n=%d first=%q cursor=%q", page.Total, len(page.Messages), page.Messages[0].Subject, page.NextCursor)
	}
	page2, err := p.Search(ctx, "Paging", mailconn.Criteria{Subject: "message 1"}, 5, page.NextCursor)
	if err != nil {
		t.Fatal(err)
	}
	if len(page2.Messages) != 5 || page2.Messages[0].Subject != "message 14" || page2.NextCursor != "" {
		t.Fatalf("criteria page 2: n=%d first=%q cursor=%q", len(page2.Messages), page2.Messages[0].Subject, page2.NextCursor)
	}
	// A cursor is bound to its search.
	if _, err := p.Search(ctx, "Paging", mailconn.Criteria{Subject: "other"}, 5, page.NextCursor); mailconn.KindOf(err) != mailconn.KindInvalid {
		t.Fatalf("cursor reused for another search: %v", err)
	}
	if st := p.Stats(); st.Dials != 1 {
		t.Errorf("%d logins for sequential calls; the pool must reuse one connection", st.Dials)
	}
}

func TestNewMailVisibleToPooledConnection(t *testing.T) {
	srv := startDemo(t)
	fill(t, srv, "Fresh", 3, num)
	p := newPool(t, srv.IMAPAddr, nil)
	ctx := context.Background()
	if page, err := p.Search(ctx, "Fresh", mailconn.Criteria{}, 10, ""); err != nil || len(page.Messages) != 3 {
		t.Fatalf("first search: %v", err)
	}
	raw := "From: x@example.org\r\nSubject: late arrival\r\n\r\nhi\r\n"
	if err := srv.Deliver("Fresh", []byte(raw), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	page, err := p.Search(ctx, "Fresh", mailconn.Criteria{}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 4 || page.Messages[0].Subject != "late arrival" {
		t.Fatalf("the selected folder's count went stale: %d messages, newest %q", len(page.Messages), page.Messages[0].Subject)
	}
}

func TestErrorsAreTypedAndActionable(t *testing.T) {
	srv := startDemo(t)
	fill(t, srv, "Typed", 1, num)
	p := newPool(t, srv.IMAPAddr, nil)
	ctx := context.Background()
	_, err := p.Search(ctx, "No Such Folder", mailconn.Criteria{}, 10, "")
	if mailconn.KindOf(err) != mailconn.KindNotFound || !strings.Contains(err.Error(), "list_folders") {
		t.Errorf("unknown folder: %v", err)
	}
	page, err := p.Search(ctx, "Typed", mailconn.Criteria{}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := mailconn.ParseID(page.Messages[0].ID)
	ref.UIDValidity++
	err = p.FetchRaw(ctx, ref, false, func(mailconn.MessageMeta, io.Reader) error { return nil })
	if mailconn.KindOf(err) != mailconn.KindStale || !strings.Contains(strings.ToLower(err.Error()), "search again") {
		t.Errorf("stale id: %v", err)
	}
	ref.UIDValidity--
	ref.UID += 100
	err = p.FetchRaw(ctx, ref, false, func(mailconn.MessageMeta, io.Reader) error { return nil })
	if mailconn.KindOf(err) != mailconn.KindNotFound {
		t.Errorf("expunged message: %v", err)
	}
	if _, err := mailconn.ParseID("m1.garbage!"); mailconn.KindOf(err) != mailconn.KindInvalid {
		t.Errorf("bad id: %v", err)
	}
	bad := newPool(t, srv.IMAPAddr, func(a *mailconn.Account) {
		a.Auth = &mailconn.PasswordLogin{Username: demo.Email, Source: auth.SecretSource{Command: "printf wrong"}}
	})
	_, err = bad.Search(ctx, "INBOX", mailconn.Criteria{}, 1, "")
	if mailconn.KindOf(err) != mailconn.KindAuth || strings.Contains(err.Error(), "wrong") {
		t.Errorf("refused login: %v (and the password must not appear)", err)
	}
}

func TestFetchDoesNotMarkReadUnlessAsked(t *testing.T) {
	srv := startDemo(t)
	fill(t, srv, "Read", 1, num)
	p := newPool(t, srv.IMAPAddr, nil)
	ctx := context.Background()
	unseen := false
	seenFilter := func() int {
		page, err := p.Search(ctx, "Read", mailconn.Criteria{Seen: &unseen}, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Messages)
	}
	page, _ := p.Search(ctx, "Read", mailconn.Criteria{}, 10, "")
	ref, _ := mailconn.ParseID(page.Messages[0].ID)
	var body string
	err := p.FetchRaw(ctx, ref, false, func(_ mailconn.MessageMeta, r io.Reader) error {
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
	if err := p.FetchRaw(ctx, ref, true, func(mailconn.MessageMeta, io.Reader) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if seenFilter() != 0 {
		t.Fatal("mark_read did not set \\Seen")
	}
}

func TestConcurrentCallsStayWithinPoolLimit(t *testing.T) {
	srv := startDemo(t)
	fill(t, srv, "Busy", 30, num)
	px := newProxy(t, srv.IMAPAddr)
	p := newPool(t, px.addr(), func(a *mailconn.Account) { a.MaxConns = 3 })
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Search(context.Background(), "Busy", mailconn.Criteria{}, 20, "")
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
}

func TestSilentServerTimesOut(t *testing.T) {
	p := newPool(t, blackHole(t), func(a *mailconn.Account) { a.DialTimeout = 300 * time.Millisecond })
	start := time.Now()
	_, err := p.Search(context.Background(), "INBOX", mailconn.Criteria{}, 1, "")
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("took %v; the dial deadline is 300ms", took)
	}
	if k := mailconn.KindOf(err); k != mailconn.KindTimeout && k != mailconn.KindUnavailable {
		t.Fatalf("want a timeout, got %v (%v)", k, err)
	}
}

func TestStalledCommandTimesOutAndNextCallWorks(t *testing.T) {
	srv := startDemo(t)
	fill(t, srv, "Stall", 2, num)
	px := newProxy(t, srv.IMAPAddr)
	p := newPool(t, px.addr(), nil)
	if _, err := p.Search(context.Background(), "Stall", mailconn.Criteria{}, 5, ""); err != nil {
		t.Fatal(err)
	}
	px.stalled.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Search(ctx, "Stall", mailconn.Criteria{}, 5, "")
	if mailconn.KindOf(err) != mailconn.KindTimeout {
		t.Fatalf("stalled server: want timeout, got %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("timeout took %v", took)
	}
	px.stalled.Store(false)
	if _, err := p.Search(context.Background(), "Stall", mailconn.Criteria{}, 5, ""); err != nil {
		t.Fatalf("call after a timeout: %v", err)
	}
	if st := p.Stats(); st.Dials != 2 || st.Open != 1 {
		t.Errorf("the stalled connection must be discarded and replaced: %+v", st)
	}
}

func TestDroppedIdleConnectionIsReplaced(t *testing.T) {
	srv := startDemo(t)
	fill(t, srv, "Drop", 2, num)
	px := newProxy(t, srv.IMAPAddr)
	p := newPool(t, px.addr(), nil)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := p.Search(ctx, "Drop", mailconn.Criteria{}, 5, ""); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		px.dropAll() // the server goes away while the connection idles
		time.Sleep(20 * time.Millisecond)
	}
	if st := p.Stats(); st.Dials != 3 {
		t.Errorf("want one fresh login per drop, got %+v", st)
	}
}
