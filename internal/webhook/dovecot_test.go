package webhook

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/internal/testrig/statetest"
	"github.com/mailmcp/mailmcp/internal/watch"
)

func TestMain(m *testing.M) { testrig.Main(m) }

func dovecotAccount(s *testrig.Stack, u testrig.User) *imapconn.Account {
	return &imapconn.Account{ID: "t", Email: u.Email, TLS: s.TLSConfig(),
		IMAP: imapconn.Endpoint{Host: s.Host, Port: s.IMAPSPort, TLS: imapconn.TLSImplicit},
		Auth: &auth.PasswordLogin{Username: u.Username, Source: auth.SecretSource{Command: "printf %s '" + u.Password + "'"}}}
}

func deliver(t testing.TB, s *testrig.Stack, u testrig.User, subject string) {
	t.Helper()
	msg := "From: Alice <alice@example.test>\r\nTo: " + u.Email + "\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nBody of " + subject + "\r\n"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.DeliverLMTP(ctx, "alice@example.test", []string{u.Email}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// pipeline is a watcher on a fresh Dovecot mailbox feeding one webhook.
func pipeline(t testing.TB, s *testrig.Stack, u testrig.User, url string, opt Options) (*watch.Watcher, *Hook, store.Store) {
	st := statetest.Open(t, t.TempDir())
	feed := watch.NewFeed(st, watch.FeedOptions{})
	h := New(Config{Name: "e2e", URL: url, Format: config.WebhookJSON, Secret: "k3y",
		Filter: watch.Filter{Kinds: []watch.Kind{watch.KindMessage}}}, opt, nil)
	h.Attach(feed)
	runHook(t, h, st)
	w := watch.Start(dovecotAccount(s, u), "INBOX", feed, watch.Options{BackoffMin: 50 * time.Millisecond})
	t.Cleanup(w.Close)
	select {
	case <-w.Ready():
	case <-time.After(20 * time.Second):
		t.Fatalf("watcher not ready: %v", w.Err())
	}
	return w, h, st
}

// TestReceiverDownEachOnce: while the receiver answers 503 and then refuses
// connections, events queue up; after it recovers each is delivered once,
// with a valid signature.
func TestReceiverDownEachOnce(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	r := newReceiver(t, "k3y")
	r.set(http.StatusServiceUnavailable, nil)
	_, h, st := pipeline(t, s, u, "http://"+r.addr+"/hook", fastOpts())
	for i := 1; i <= 5; i++ {
		deliver(t, s, u, fmt.Sprintf("Down %d", i))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		n := len(r.reqs)
		r.mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	addr := r.addr
	r.stop() // now connections are refused
	for i := 6; i <= 10; i++ {
		deliver(t, s, u, fmt.Sprintf("Down %d", i))
	}
	time.Sleep(1500 * time.Millisecond) // IDLE reports after ~0.5 s; let deliveries fail
	if r.count() != 0 {
		t.Fatalf("accepted %d while down", r.count())
	}
	r.set(200, nil)
	r.listen(addr)
	r.waitCount(10, 20*time.Second)
	time.Sleep(500 * time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.raw) != 10 {
		t.Fatalf("accepted %d deliveries, want 10", len(r.raw))
	}
	for k, n := range r.accepted {
		if n != 1 {
			t.Errorf("%s accepted %d times", k, n)
		}
	}
	subjects := map[string]bool{}
	for _, d := range r.docs {
		subjects[d.Event.Subject()] = true
	}
	for i := 1; i <= 10; i++ {
		if !subjects[fmt.Sprintf("Down %d", i)] {
			t.Errorf("Down %d never delivered", i)
		}
	}
	if n, _ := h.Pending(context.Background(), st); n != 0 {
		t.Errorf("%d deliveries still queued", n)
	}
}
