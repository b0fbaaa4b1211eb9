package watch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"go.uber.org/goleak"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/internal/testrig/statetest"
)

func TestMain(m *testing.M) { testrig.Main(m) }

func testLog() *slog.Logger {
	if os.Getenv("WATCH_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func leakCheck(t *testing.T) {
	opts := []goleak.Option{goleak.IgnoreCurrent(),
		// The rig's PostgreSQL server (MAILMCP_TEST_STATE=postgres), started
		// by the first test that needs it and stopped when the binary ends.
		goleak.IgnoreAnyFunction("github.com/mailmcp/mailmcp/internal/testrig.(*Postgres).Start.func1")}
	t.Cleanup(func() { goleak.VerifyNone(t, opts...) })
}

// fastOptions make reconnects quick for tests.
func fastOptions() Options {
	return Options{BackoffMin: 50 * time.Millisecond, BackoffMax: 500 * time.Millisecond, CommandTimeout: 10 * time.Second, Log: testLog()}
}

func dovecotAccount(s *testrig.Stack, u testrig.User) *imapconn.Account {
	return &imapconn.Account{ID: "t", Email: u.Email, TLS: s.TLSConfig(),
		IMAP: imapconn.Endpoint{Host: s.Host, Port: s.IMAPSPort, TLS: imapconn.TLSImplicit},
		Auth: &imapconn.PasswordLogin{Username: u.Username, Source: auth.SecretSource{Command: "printf %s '" + u.Password + "'"}}}
}

func openStore(t testing.TB, dir string) store.Store {
	st := statetest.Open(t, dir)
	t.Cleanup(func() { st.Close() })
	return st
}

func mail(u testrig.User, subject string) []byte { return mailTo(u.Email, subject) }

func mailTo(to, subject string) []byte {
	return []byte("From: Alice <alice@example.test>\r\nTo: " + to + "\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, this is " + subject + ".\r\n")
}

func deliver(t testing.TB, s *testrig.Stack, u testrig.User, subject string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.DeliverLMTP(ctx, "alice@example.test", []string{u.Email}, mail(u, subject)); err != nil {
		t.Fatal(err)
	}
}

// startWatcher starts a watcher that the test closes at its end and waits
// until it is ready.
func startWatcher(t testing.TB, acct *imapconn.Account, folder string, feed *Feed, opt Options) *Watcher {
	t.Helper()
	w := Start(acct, folder, feed, opt)
	t.Cleanup(w.Close)
	waitReady(t, w)
	return w
}

func waitReady(t testing.TB, w *Watcher) {
	t.Helper()
	select {
	case <-w.Ready():
	case <-time.After(20 * time.Second):
		t.Fatalf("watcher not ready: %v", w.Err())
	}
}

// collect reads the feed until want message events arrived (or timeout),
// then returns every event read.
func collect(t testing.TB, f *Feed, after uint64, want int, timeout time.Duration) ([]Event, uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var all []Event
	n := 0
	for n < want {
		p, err := f.Wait(ctx, after, 500, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Events) == 0 && ctx.Err() != nil {
			t.Fatalf("only %d of %d message events within %s", n, want, timeout)
		}
		for _, e := range p.Events {
			if e.Kind == KindMessage {
				n++
			}
		}
		all = append(all, p.Events...)
		after = p.Next
	}
	return all, after
}

// collect2 returns whatever arrives after cursor within d.
func collect2(t testing.TB, f *Feed, after uint64, d time.Duration) ([]Event, uint64) {
	t.Helper()
	deadline := time.Now().Add(d)
	var all []Event
	for time.Now().Before(deadline) {
		p, err := f.Read(t.Context(), after, 1000, nil)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Events...)
		after = p.Next
		time.Sleep(100 * time.Millisecond)
	}
	return all, after
}

// expectOnce reads the feed after cursor until every subject in want has a
// message event, keeps reading for quiet to catch late duplicates, checks
// that each subject was reported exactly once and nothing else, and returns
// the events read.
func expectOnce(t testing.TB, f *Feed, after uint64, want []string, timeout, quiet time.Duration) []Event {
	t.Helper()
	evs, next := collect(t, f, after, len(want), timeout)
	tail, _ := collect2(t, f, next, quiet)
	evs = append(evs, tail...)
	subjectsOnce(t, evs, want)
	return evs
}

// subjectsOnce checks that every subject appears in exactly one message
// event and that there are no others.
func subjectsOnce(t testing.TB, evs []Event, subjects []string) {
	t.Helper()
	seen := map[string]int{}
	uids := map[string]int{} // folder and UID
	for _, e := range evs {
		if e.Kind != KindMessage {
			continue
		}
		seen[e.Subject()]++
		uids[fmt.Sprintf("%s/%d", e.Folder, e.UID)]++
	}
	for _, s := range subjects {
		if seen[s] != 1 {
			t.Errorf("subject %q reported %d times", s, seen[s])
		}
		delete(seen, s)
	}
	for s, n := range seen {
		t.Errorf("unexpected subject %q reported %d times", s, n)
	}
	for u, n := range uids {
		if n != 1 {
			t.Errorf("uid %s reported %d times", u, n)
		}
	}
}

func subjects(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", prefix, i+1)
	}
	return out
}

// imapClient logs a plain client in, for changing flags in tests.
func imapClient(t testing.TB, s *testrig.Stack, u testrig.User) *imapclient.Client {
	c, err := imapclient.DialTLS(s.IMAPSAddr(), &imapclient.Options{TLSConfig: s.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(u.Username, u.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}
