package watch

import (
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// appendTo appends a test message to folder over a connection of its own,
// closed before returning.
func appendTo(t *testing.T, s *testrig.Stack, u testrig.User, folder, subject string) {
	t.Helper()
	c, err := imapclient.DialTLS(s.IMAPSAddr(), &imapclient.Options{TLSConfig: s.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(u.Username, u.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	appendRaw(t, c, folder, mail(u, subject))
	_ = c.Logout().Wait()
}

// appendRaw appends raw to folder over c.
func appendRaw(t *testing.T, c *imapclient.Client, folder string, raw []byte) {
	t.Helper()
	app := c.Append(folder, int64(len(raw)), nil)
	if _, err := app.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Wait(); err != nil {
		t.Fatal(err)
	}
}

// connections is the most IMAP sessions Dovecot reports for u over d.
func connections(t *testing.T, s *testrig.Stack, u testrig.User, d time.Duration) int {
	t.Helper()
	most := 0
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		n, err := s.ConnectionCount(u)
		if err != nil {
			t.Fatal(err)
		}
		most = max(most, n)
	}
	return most
}

// TestConnectionBudget: five watched folders of one account hold at most
// two connections on Dovecot (one IDLE for the first folder, one shared by
// the polled others), not one each; mail appended to a polled folder is
// still reported once.
func TestConnectionBudget(t *testing.T) {
	s := testrig.Require(t)
	leakCheck(t)
	u := s.NewUser(t)
	folders := []string{"INBOX", "A", "B", "C", "D"}
	c := imapClient(t, s, u)
	for _, f := range folders[1:] {
		if err := c.Create(f, nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Logout().Wait()
	c.Close()
	opt := fastOptions()
	opt.PollInterval = 300 * time.Millisecond
	h := NewHub(NewFeed(openStore(t, t.TempDir()), FeedOptions{}), []Target{{Account: dovecotAccount(s, u), Folders: folders, Always: true, Options: opt}},
		HubOptions{Log: testLog()})
	defer h.Close()
	h.Start()
	for _, f := range folders {
		w, release, err := h.Acquire("t", f)
		if err != nil {
			t.Fatal(err)
		}
		waitReady(t, w)
		release()
	}
	n := connections(t, s, u, 1500*time.Millisecond)
	t.Logf("%d watched folders: %d IMAP connections", len(folders), n)
	if n > 2 {
		t.Errorf("%d watched folders hold %d connections, want at most 2", len(folders), n)
	}
	appendTo(t, s, u, "C", "Into C")
	deliver(t, s, u, "Into INBOX")
	evs := expectOnce(t, h.Feed(), 0, []string{"Into C", "Into INBOX"}, 10*time.Second, time.Second)
	for _, e := range evs {
		if e.Subject() == "Into C" && e.Folder != "C" {
			t.Errorf("reported in folder %q", e.Folder)
		}
	}
}

// TestNotifyWakesPolledFolder: where the server offers NOTIFY (Dovecot
// does), the IDLE connection asks to hear about the polled folders, so
// mail appended to one is reported at once, long before its poll interval,
// still on two connections.
func TestNotifyWakesPolledFolder(t *testing.T) {
	s := testrig.Require(t)
	leakCheck(t)
	u := s.NewUser(t)
	c := imapClient(t, s, u)
	if !c.Caps().Has("NOTIFY") {
		t.Fatalf("Dovecot does not offer NOTIFY: %v", c.Caps())
	}
	for _, f := range []string{"A", "B"} {
		if err := c.Create(f, nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Logout().Wait()
	c.Close()
	opt := fastOptions()
	opt.PollInterval = time.Minute
	h := NewHub(NewFeed(openStore(t, t.TempDir()), FeedOptions{}), []Target{{Account: dovecotAccount(s, u), Folders: []string{"INBOX", "A", "B"}, Always: true, Options: opt}},
		HubOptions{Log: testLog()})
	defer h.Close()
	h.Start()
	for _, f := range []string{"INBOX", "A", "B"} {
		w, release, err := h.Acquire("t", f)
		if err != nil {
			t.Fatal(err)
		}
		waitReady(t, w)
		release()
	}
	time.Sleep(300 * time.Millisecond) // the first visits done, IDLE under way
	start := time.Now()
	appendTo(t, s, u, "B", "Into B")
	evs, _ := collect(t, h.Feed(), 0, 1, 10*time.Second)
	subjectsOnce(t, evs, []string{"Into B"})
	t.Logf("polled folder (poll interval %s): reported %s after the append", opt.PollInterval, evs[0].Time.Sub(start).Round(time.Millisecond))
	if n := connections(t, s, u, 500*time.Millisecond); n > 2 {
		t.Errorf("%d connections, want at most 2", n)
	}
}
