package watch

import (
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// TestBurstEachOnce: 200 messages delivered in a burst are each reported
// exactly once.
func TestBurstEachOnce(t *testing.T) {
	s := testrig.Require(t)
	leakCheck(t)
	u := s.NewUser(t)
	feed := NewFeed(openStore(t, t.TempDir()), FeedOptions{})
	startWatcher(t, dovecotAccount(s, u), "INBOX", feed, fastOptions())
	want := subjects("Burst", 200)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(want); i += 4 {
				deliver(t, s, u, want[i])
			}
		}()
	}
	wg.Wait()
	evs := expectOnce(t, feed, 0, want, 60*time.Second, 1500*time.Millisecond)
	for _, e := range evs {
		if e.Kind == KindMessage && (e.Snippet == "" || e.MessageID == "" || e.Envelope == nil) {
			t.Fatalf("incomplete event: %+v", e)
		}
	}
}

// TestDovecotRestartDuringIdle: mail that arrives while Dovecot is down is
// reported once it is back.
func TestDovecotRestartDuringIdle(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	feed := NewFeed(openStore(t, t.TempDir()), FeedOptions{})
	startWatcher(t, dovecotAccount(s, u), "INBOX", feed, fastOptions())
	deliver(t, s, u, "Before 1")
	evs, next := collect(t, feed, 0, 1, 20*time.Second)
	if err := s.StopDovecot(); err != nil {
		t.Fatal(err)
	}
	// Written straight into the Maildir while no IMAP server runs.
	s.PopulateFunc(t, u, "INBOX", 3, func(i int) []byte { return mail(u, subjects("Down", 3)[i-1]) })
	time.Sleep(300 * time.Millisecond) // let the watcher fail a reconnect or two
	if err := s.StartDovecot(); err != nil {
		t.Fatal(err)
	}
	deliver(t, s, u, "After 1")
	more, next := collect(t, feed, next, 4, 30*time.Second)
	tail, _ := collect2(t, feed, next, time.Second)
	subjectsOnce(t, append(append(evs, more...), tail...), []string{"Before 1", "Down 1", "Down 2", "Down 3", "After 1"})
}

// TestRestartResumesFromCheckpoint: a new watcher on the same state
// directory reports what arrived while none ran, and nothing twice.
func TestRestartResumesFromCheckpoint(t *testing.T) {
	s := testrig.Require(t)
	leakCheck(t)
	u := s.NewUser(t)
	dir := t.TempDir()
	acct := dovecotAccount(s, u)
	feed1 := NewFeed(openStore(t, dir), FeedOptions{})
	w1 := startWatcher(t, acct, "INBOX", feed1, fastOptions())
	deliver(t, s, u, "First 1")
	deliver(t, s, u, "First 2")
	collect(t, feed1, 0, 2, 20*time.Second)
	w1.Close()
	for _, sub := range subjects("Between", 3) {
		deliver(t, s, u, sub)
	}
	feed2 := NewFeed(openStore(t, dir), FeedOptions{}) // as a new process would
	startWatcher(t, acct, "INBOX", feed2, fastOptions())
	deliver(t, s, u, "Second 1")
	expectOnce(t, feed2, 0, []string{"First 1", "First 2", "Between 1", "Between 2", "Between 3", "Second 1"}, 20*time.Second, time.Second)
}

// TestTwoWatchersOneFeedEachOnce: two watchers (as two processes sharing a
// state directory would run) never emit the same message twice.
func TestTwoWatchersOneFeedEachOnce(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	dir := t.TempDir()
	acct := dovecotAccount(s, u)
	feedA, feedB := NewFeed(openStore(t, dir), FeedOptions{}), NewFeed(openStore(t, dir), FeedOptions{})
	startWatcher(t, acct, "INBOX", feedA, fastOptions())
	startWatcher(t, acct, "INBOX", feedB, fastOptions())
	want := subjects("Shared", 20)
	for _, sub := range want {
		deliver(t, s, u, sub)
	}
	expectOnce(t, feedA, 0, want, 30*time.Second, 1500*time.Millisecond)
}

// TestFlagsAndExpunge: CONDSTORE flag changes and expunges made by another
// client are reported.
func TestFlagsAndExpunge(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	feed := NewFeed(openStore(t, t.TempDir()), FeedOptions{})
	startWatcher(t, dovecotAccount(s, u), "INBOX", feed, fastOptions())
	deliver(t, s, u, "Flag me")
	deliver(t, s, u, "Delete me")
	evs, next := collect(t, feed, 0, 2, 20*time.Second)
	c := imapClient(t, s, u)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	uid := func(sub string) imap.UID {
		for _, e := range evs {
			if e.Subject() == sub {
				return imap.UID(e.UID)
			}
		}
		t.Fatalf("no event for %q", sub)
		return 0
	}
	if err := c.Store(imap.UIDSetNum(uid("Flag me")), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(uid("Delete me")), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var flagged, expunged bool
	for time.Now().Before(deadline) && !(flagged && expunged) {
		got, n := collect2(t, feed, next, 300*time.Millisecond)
		next = n
		for _, e := range got {
			switch {
			case e.Kind == KindFlags && e.UID == uint32(uid("Flag me")):
				for _, f := range e.Flags {
					flagged = flagged || f == "flagged"
				}
			case e.Kind == KindExpunged && e.UID == uint32(uid("Delete me")):
				if expunged {
					t.Errorf("expunge reported twice")
				}
				expunged = true
			}
		}
	}
	if !flagged || !expunged {
		t.Fatalf("flagged reported: %v, expunged reported: %v", flagged, expunged)
	}
}

// TestPollingFallback: without IDLE (forced here) the watcher polls with
// NOOP and still reports each message once.
func TestPollingFallback(t *testing.T) {
	s := testrig.Require(t)
	leakCheck(t)
	u := s.NewUser(t)
	feed := NewFeed(openStore(t, t.TempDir()), FeedOptions{})
	opt := fastOptions()
	opt.Poll, opt.PollInterval = true, 200*time.Millisecond
	startWatcher(t, dovecotAccount(s, u), "INBOX", feed, opt)
	want := subjects("Polled", 3)
	for _, sub := range want {
		deliver(t, s, u, sub)
	}
	expectOnce(t, feed, 0, want, 10*time.Second, 600*time.Millisecond)
}

// TestQuietWatchdogKeepsWorking: with a watchdog shorter than Dovecot's
// keepalive, IDLE is ended, NOOP answered, and IDLE resumed; mail that
// arrives afterwards is still reported.
func TestQuietWatchdogKeepsWorking(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	feed := NewFeed(openStore(t, t.TempDir()), FeedOptions{})
	opt := fastOptions()
	opt.QuietAfter = 200 * time.Millisecond
	w := startWatcher(t, dovecotAccount(s, u), "INBOX", feed, opt)
	time.Sleep(time.Second) // several watchdog rounds
	deliver(t, s, u, "After quiet")
	evs, _ := collect(t, feed, 0, 1, 10*time.Second)
	subjectsOnce(t, evs, []string{"After quiet"})
	if w.Err() != nil {
		t.Fatalf("watchdog broke the connection: %v", w.Err())
	}
}

// TestUIDValidityResetEvent: when a folder was deleted and created again
// (new UIDVALIDITY) while no watcher ran, the next watcher emits one reset
// event, then reports new mail again.
func TestUIDValidityResetEvent(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	c := imapClient(t, s, u)
	if err := c.Create("Box", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	acct := dovecotAccount(s, u)
	feed := NewFeed(openStore(t, dir), FeedOptions{})
	startWatcher(t, acct, "Box", feed, fastOptions()).Close()
	if err := c.Delete("Box").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Box", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	startWatcher(t, acct, "Box", feed, fastOptions())
	raw := mail(u, "After reset")
	app := c.Append("Box", int64(len(raw)), nil)
	if _, err := app.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Wait(); err != nil {
		t.Fatal(err)
	}
	evs, next := collect(t, feed, 0, 1, 10*time.Second)
	tail, _ := collect2(t, feed, next, 500*time.Millisecond)
	evs = append(evs, tail...)
	if len(evs) != 2 || evs[0].Kind != KindReset || evs[0].PrevUIDValidity == 0 || evs[0].PrevUIDValidity == evs[0].UIDValidity ||
		evs[1].Kind != KindMessage || evs[1].Subject() != "After reset" {
		t.Fatalf("events: %+v", evs)
	}
}
