package watch

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// TestReconnectCatchUpIsSmall: after a network cut, the watcher of a large
// folder catches up with a search above its checkpoint (SEARCH UID
// n:*), not a listing of the whole folder, and reports the mail delivered
// while it was cut off exactly once.
func TestReconnectCatchUpIsSmall(t *testing.T) {
	s := testrig.Require(t)
	leakCheck(t)
	u := s.NewUser(t)
	big := 5000
	if n, err := strconv.Atoi(os.Getenv("WATCH_RECONNECT_MESSAGES")); err == nil && n > 0 {
		big = n // a one-off measurement on a larger folder
	}
	s.PopulateFunc(t, u, "INBOX", big, func(i int) []byte { return mail(u, fmt.Sprintf("Old %d", i)) })
	px := newLineProxy(t, s)
	feed := NewFeed(openStore(t, t.TempDir()), FeedOptions{})
	startWatcher(t, px.account(s, u), "INBOX", feed, fastOptions())
	deliver(t, s, u, "Before")
	evs, next := collect(t, feed, 0, 1, 20*time.Second)
	subjectsOnce(t, evs, []string{"Before"})

	px.refuse.Store(true)
	px.dropAll()
	px.sent()
	away := subjects("Away", 3)
	for _, sub := range away {
		deliver(t, s, u, sub)
	}
	time.Sleep(200 * time.Millisecond) // a refused reconnect or two
	px.sent()
	before := px.down.Load()
	px.refuse.Store(false)
	more, next := collect(t, feed, next, len(away), 20*time.Second)
	catchUp := px.down.Load() - before
	deliver(t, s, u, "After")
	rest, next := collect(t, feed, next, 1, 20*time.Second)
	tail, _ := collect2(t, feed, next, time.Second)
	subjectsOnce(t, append(append(more, rest...), tail...), append(away, "After"))

	cmds := px.sent()
	for _, l := range cmds {
		if u := strings.ToUpper(l); strings.Contains(u, "SEARCH") && strings.HasSuffix(u, " ALL") {
			t.Errorf("the reconnect listed the whole folder: %q", l)
		}
	}
	t.Logf("reconnect to a %d-message folder: %d bytes from the server until the 3 missed messages were reported; commands: %q",
		big+1, catchUp, cmds)
	if catchUp > 16<<10 {
		t.Errorf("the reconnect catch-up read %d bytes from the server", catchUp)
	}
}

// TestReconnectReportsExpungedWhileAway: when the count after a reconnect
// shows that messages vanished, the folder is listed and each expunge is
// reported once.
func TestReconnectReportsExpungedWhileAway(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	px := newLineProxy(t, s)
	feed := NewFeed(openStore(t, t.TempDir()), FeedOptions{})
	startWatcher(t, px.account(s, u), "INBOX", feed, fastOptions())
	deliver(t, s, u, "Keep")
	deliver(t, s, u, "Drop")
	evs, next := collect(t, feed, 0, 2, 20*time.Second)
	var drop uint32
	for _, e := range evs {
		if e.Subject() == "Drop" {
			drop = e.UID
		}
	}
	px.refuse.Store(true)
	px.dropAll()
	c := imapClient(t, s, u)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(imap.UID(drop)), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	deliver(t, s, u, "Later")
	px.refuse.Store(false)
	more, next := collect(t, feed, next, 1, 20*time.Second)
	tail, _ := collect2(t, feed, next, time.Second)
	more = append(more, tail...)
	subjectsOnce(t, more, []string{"Later"})
	n := 0
	for _, e := range more {
		if e.Kind == KindExpunged {
			if e.UID != drop {
				t.Errorf("expunge of uid %d reported, want %d", e.UID, drop)
			}
			n++
		}
	}
	if n != 1 {
		t.Errorf("the expunge while away was reported %d times", n)
	}
}
