package popbox

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/pop3"
	"github.com/mailmcp/mailmcp/internal/popstore"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

func TestMain(m *testing.M) { testrig.Main(m) }

func startBox(t *testing.T, s *testrig.Stack, u testrig.User, dir string) *Box {
	t.Helper()
	st, err := popstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	sy := &popstore.Syncer{Store: st, Dial: func(ctx context.Context) (*pop3.Client, error) {
		c, err := pop3.Dial(ctx, s.POP3SAddr(), pop3.Options{TLS: pop3.TLSImplicit, TLSConfig: s.TLSConfig()})
		if err != nil {
			return nil, err
		}
		return c, c.Login(ctx, u.Username, u.Password)
	}}
	b, err := Start(Options{Store: st, Syncer: sy, Poll: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func loginIMAP(t *testing.T, b *Box) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(b.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(b.Username, b.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFacade: POP3 mail appears in INBOX with stable UIDs across restarts,
// new mail is appended, writes are refused with the reason.
func TestFacade(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	s.Populate(t, u, "INBOX", 5)
	dir := t.TempDir()
	b := startBox(t, s, u, dir)
	c := loginIMAP(t, b)
	deadline := time.Now().Add(10 * time.Second)
	var sel *imap.SelectData
	for {
		var err error
		if sel, err = c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		if sel.NumMessages == 5 || time.Now().After(deadline) {
			break
		}
		c.Unselect().Wait()
		time.Sleep(100 * time.Millisecond)
	}
	if sel.NumMessages != 5 || sel.UIDValidity != 1 {
		t.Fatalf("INBOX: %d messages, UIDVALIDITY %d", sel.NumMessages, sel.UIDValidity)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "Message 3"}}}, nil).Wait()
	if err != nil || len(data.AllUIDs()) != 1 {
		t.Fatalf("search: %v %v", data, err)
	}
	uid := data.AllUIDs()[0]
	for name, err := range map[string]error{
		"create": c.Create("Projects", nil).Wait(),
		"move":   func() error { _, err := c.Move(imap.UIDSetNum(uid), "Trash").Wait(); return err }(),
		"copy":   func() error { _, err := c.Copy(imap.UIDSetNum(uid), "Trash").Wait(); return err }(),
		"flag":   c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(),
	} {
		var ie *imap.Error
		// MOVE to a folder that does not exist is refused before the
		// session is asked (TRYCREATE); any NO keeps the mail where it is.
		if !errors.As(err, &ie) || (name != "move" && !strings.Contains(ie.Text, "POP3 account")) {
			t.Errorf("%s: %v, want a NO naming the POP3 account", name, err)
		}
	}
	if err := c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Errorf("seen: %v", err)
	}
	// New mail on the server shows up at the next poll.
	if err := s.DeliverLMTP(context.Background(), "a@example.org", []string{u.Email}, []byte("From: a@example.org\r\nSubject: later\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		if err == nil && *st.NumMessages == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new message never appeared: %v %v", st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A restart serves the same UIDs.
	b.Close()
	b2 := startBox(t, s, u, dir)
	c2 := loginIMAP(t, b2)
	if _, err := c2.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	again, err := c2.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "Message 3"}}}, nil).Wait()
	if err != nil || len(again.AllUIDs()) != 1 || again.AllUIDs()[0] != uid {
		t.Fatalf("after a restart Message 3 is %v, was UID %d", again, uid)
	}
}

// TestThousandSearchable: 1000 messages backfilled over POP3 are all
// served and searchable through the box.
func TestThousandSearchable(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	s.Populate(t, u, "INBOX", 1000)
	b := startBox(t, s, u, t.TempDir())
	c := loginIMAP(t, b)
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		if err == nil && *st.NumMessages == 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("served %v of 1000 after 60 s (%v)", st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "Message 777"}}}, nil).Wait()
	if err != nil || len(data.AllUIDs()) != 1 {
		t.Fatalf("search Message 777: %v %v", data, err)
	}
	all, err := c.UIDSearch(&imap.SearchCriteria{Body: []string{"generated message number"}}, nil).Wait()
	if err != nil || len(all.AllUIDs()) != 1000 {
		t.Fatalf("body search found %d of 1000: %v", len(all.AllUIDs()), err)
	}
}
