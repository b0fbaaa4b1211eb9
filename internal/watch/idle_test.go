package watch

import (
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// TestIdleWithoutPushNoticedWithinPollInterval: a server that accepts IDLE
// but announces nothing (a proxy swallows Dovecot's EXISTS while the
// watcher idles, as Cyrus behaves) still has its new mail reported within
// the poll interval, and the watcher then keeps checking at that interval.
func TestIdleWithoutPushNoticedWithinPollInterval(t *testing.T) {
	s := testrig.Require(t)
	leakCheck(t)
	u := s.NewUser(t)
	px := newLineProxy(t, s)
	px.swallowIdle.Store(true)
	feed := NewFeed(openStore(t, t.TempDir()), FeedOptions{})
	opt := fastOptions()
	opt.PollInterval = time.Second
	w := startWatcher(t, px.account(s, u), "INBOX", feed, opt)
	var next uint64
	for i, sub := range []string{"Unannounced 1", "Unannounced 2"} {
		time.Sleep(300 * time.Millisecond) // into IDLE
		start := time.Now()
		deliver(t, s, u, sub)
		evs, n := collect(t, feed, next, 1, opt.PollInterval+2*time.Second)
		subjectsOnce(t, evs, []string{sub})
		next = n
		t.Logf("message %d reported %s after delivery (poll interval %s)", i+1, evs[len(evs)-1].Time.Sub(start).Round(time.Millisecond), opt.PollInterval)
	}
	if got := px.sent(); len(matching(got, "NOOP")) == 0 {
		t.Errorf("no NOOP check while idling: %q", got)
	}
	if !w.silentServer() {
		t.Error("the watcher did not mark the server as not pushing")
	}
}

// TestIdleCheckRelaxesWhenServerPushes: when the server announces mail
// during IDLE, the checks back off from the poll interval.
func TestIdleCheckRelaxesWhenServerPushes(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	feed := NewFeed(openStore(t, t.TempDir()), FeedOptions{})
	opt := fastOptions()
	opt.PollInterval = 30 * time.Second
	w := startWatcher(t, dovecotAccount(s, u), "INBOX", feed, opt)
	time.Sleep(200 * time.Millisecond)
	deliver(t, s, u, "Pushed")
	collect(t, feed, 0, 1, 10*time.Second)
	time.Sleep(100 * time.Millisecond)
	if every := w.checkEvery(); every <= opt.PollInterval {
		t.Errorf("after a push the check interval is %s, want more than %s", every, opt.PollInterval)
	}
}
