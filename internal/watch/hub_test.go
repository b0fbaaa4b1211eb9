package watch

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// memAccount serves an in-process go-imap server with an INBOX and returns
// an account for it whose logins go through a.
func memAccount(t *testing.T, a imapconn.Authenticator) *imapconn.Account {
	t.Helper()
	u := imapmemserver.NewUser("u@example.test", "pw")
	if err := u.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem := imapmemserver.New()
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); ln.Close(); wg.Wait() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	if a == nil {
		a = &imapconn.PasswordLogin{Username: "u@example.test", Source: auth.SecretSource{Command: "printf pw"}}
	}
	return &imapconn.Account{ID: "t", Email: "u@example.test", IMAP: imapconn.Endpoint{Host: host, Port: p, TLS: imapconn.TLSPlain}, Auth: a}
}

// gateAuth holds every login until open is closed, ignoring the context,
// as a slow credential helper would: a watcher closed meanwhile cannot end
// before the gate opens.
type gateAuth struct {
	entered chan struct{}
	open    chan struct{}
	once    sync.Once
}

func (g *gateAuth) AuthenticateIMAP(context.Context, *imapclient.Client) error {
	g.once.Do(func() { close(g.entered) })
	<-g.open
	return errors.New("gate: no login")
}

func (h *Hub) numWatchers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.watchers)
}

// TestHubCloseAwaitsLingerClose: a watcher whose linger expired is being
// closed by its timer when the hub closes; Close must not return before it
// has ended (the old Close did not know about it).
func TestHubCloseAwaitsLingerClose(t *testing.T) {
	leakCheck(t)
	g := &gateAuth{entered: make(chan struct{}), open: make(chan struct{})}
	acct := memAccount(t, g)
	h := NewHub(NewFeed(openStore(t, t.TempDir()), FeedOptions{}), []Target{{Account: acct, Options: fastOptions()}},
		HubOptions{Linger: 10 * time.Millisecond, Log: testLog()})
	w, release, err := h.Acquire("t", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	<-g.entered // the watcher is inside its login
	release()
	for deadline := time.Now().Add(5 * time.Second); h.numWatchers() > 0; {
		if time.Now().After(deadline) {
			t.Fatal("the linger timer never took the watcher out")
		}
		time.Sleep(5 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { h.Close(); close(closed) }()
	select {
	case <-closed:
		close(g.open)
		t.Fatal("Hub.Close returned while a lingering watcher was still closing")
	case <-time.After(200 * time.Millisecond):
	}
	close(g.open)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Hub.Close did not return after the watcher ended")
	}
	select {
	case <-w.done:
	default:
		t.Fatal("Hub.Close returned before the watcher's goroutine ended")
	}
}

// TestHubStartAfterCloseStartsNothing: Start after Close must not start
// watchers that nothing would ever close.
func TestHubStartAfterCloseStartsNothing(t *testing.T) {
	leakCheck(t)
	acct := memAccount(t, nil)
	h := NewHub(NewFeed(openStore(t, t.TempDir()), FeedOptions{}), []Target{{Account: acct, Always: true, Options: fastOptions()}},
		HubOptions{Log: testLog()})
	h.Close()
	h.Start()
	if n := h.numWatchers(); n != 0 {
		h.Close()
		t.Fatalf("%d watchers started after Close", n)
	}
}

// TestHubConcurrentAcquireClose: consumers acquiring and releasing while
// linger timers fire and the hub closes leave no goroutine behind (run
// with -race: the linger field is only touched under the hub's lock).
func TestHubConcurrentAcquireClose(t *testing.T) {
	leakCheck(t)
	acct := memAccount(t, nil)
	h := NewHub(NewFeed(openStore(t, t.TempDir()), FeedOptions{}), []Target{{Account: acct, Folders: []string{"INBOX"}, Options: fastOptions()}},
		HubOptions{Linger: time.Millisecond, Log: testLog()})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				_, release, err := h.Acquire("t", "INBOX")
				if err != nil {
					return // closed
				}
				time.Sleep(time.Duration(i%3) * time.Millisecond)
				release()
				time.Sleep(time.Duration(i%4) * time.Millisecond)
			}
		}()
	}
	time.Sleep(60 * time.Millisecond)
	h.Start()
	h.Close()
	wg.Wait()
	if n := h.numWatchers(); n != 0 {
		t.Fatalf("%d watchers left after Close", n)
	}
}

func (w *Watcher) silentServer() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sched.silent
}
