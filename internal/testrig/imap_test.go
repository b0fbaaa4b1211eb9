package testrig_test

import (
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// The servers' certificate verifies against the test CA, and only against
// it: without the CA the handshake fails.
func TestTLSVerifiedByTestCA(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	d := &net.Dialer{Timeout: 5 * time.Second}
	for _, addr := range []string{s.IMAPSAddr(), s.SubmissionsAddr()} {
		conn, err := tlsDial(d, addr, s)
		if err != nil {
			t.Fatalf("TLS to %s with the test CA: %v", addr, err)
		}
		conn.Close()

		conn, err = tls.DialWithDialer(d, "tcp", addr, &tls.Config{ServerName: s.Host})
		if err == nil {
			conn.Close()
			t.Fatalf("TLS to %s without the test CA succeeded; the certificate must not be publicly trusted", addr)
		}
	}
}

func TestIMAPLoginCapabilitiesAndSpecialUse(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	u := s.NewUser(t)
	for _, starttls := range []bool{true, false} {
		var c *imapclient.Client
		if starttls {
			c = dialIMAPStartTLS(t, s)
		} else {
			c = dialIMAPS(t, s)
		}
		if err := c.Login(u.Username, u.Password).Wait(); err != nil {
			t.Fatalf("LOGIN (starttls=%v): %v", starttls, err)
		}
		caps, err := c.Capability().Wait()
		if err != nil {
			t.Fatalf("CAPABILITY: %v", err)
		}
		for _, want := range []imap.Cap{imap.CapIdle, imap.CapMove, imap.CapUIDPlus, imap.CapCondStore, imap.CapSpecialUse, imap.CapQuota} {
			if _, ok := caps[want]; !ok {
				t.Errorf("capability %s missing (starttls=%v): %v", want, starttls, caps)
			}
		}

		list, err := c.List("", "*", &imap.ListOptions{ReturnSpecialUse: true}).Collect()
		if err != nil {
			t.Fatalf("LIST: %v", err)
		}
		got := map[string][]imap.MailboxAttr{}
		for _, m := range list {
			got[m.Mailbox] = m.Attrs
		}
		for name, attr := range map[string]imap.MailboxAttr{
			"Sent": imap.MailboxAttrSent, "Drafts": imap.MailboxAttrDrafts, "Trash": imap.MailboxAttrTrash,
			"Junk": imap.MailboxAttrJunk, "Archive": imap.MailboxAttrArchive,
		} {
			if !hasAttr(got[name], attr) {
				t.Errorf("LIST: %s should exist with %s, got %v (all: %v)", name, attr, got[name], got)
			}
		}
		if _, ok := got["INBOX"]; !ok {
			t.Errorf("LIST: no INBOX: %v", got)
		}
		if err := c.Logout().Wait(); err != nil {
			t.Errorf("LOGOUT: %v", err)
		}
	}
}

func hasAttr(attrs []imap.MailboxAttr, want imap.MailboxAttr) bool {
	for _, a := range attrs {
		if a == want {
			return true
		}
	}
	return false
}

func TestIMAPWrongPasswordFails(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	u := s.NewUser(t)
	c := dialIMAPS(t, s)
	start := time.Now()
	err := c.Login(u.Username, u.Password+"x").Wait()
	var imapErr *imap.Error
	if !errors.As(err, &imapErr) || imapErr.Code != imap.ResponseCodeAuthenticationFailed {
		t.Fatalf("LOGIN with a wrong password: got %v, want NO [AUTHENTICATIONFAILED]", err)
	}
	// The rig disables Dovecot's failure delay; tests with negative logins
	// must stay fast.
	if d := time.Since(start); d > 400*time.Millisecond {
		t.Errorf("failed login took %v, want it answered at once", d)
	}
}

// Two users never see each other's mail, and a new user's INBOX is empty.
func TestNewUserIsEmptyAndIsolated(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	a, b := s.NewUser(t), s.NewUser(t)
	if a.Email == b.Email {
		t.Fatalf("NewUser returned the same address twice: %s", a.Email)
	}
	if err := s.DeliverLMTP(ctxT(t), "x@example.test", []string{a.Email}, message("x@example.test", a.Email, "only for a", "hi")); err != nil {
		t.Fatalf("DeliverLMTP: %v", err)
	}
	if n := inboxCount(t, s, a); n != 1 {
		t.Errorf("a's INBOX has %d messages, want 1", n)
	}
	if n := inboxCount(t, s, b); n != 0 {
		t.Errorf("b's INBOX has %d messages, want 0", n)
	}
}

// Opening more than MaxUserIPConnections sessions for one user from one IP
// fails: a client that leaks connections cannot pass the real-server tier.
func TestConnectionLimitCatchesLeaks(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	u := s.NewUser(t)
	var open []interface{ Close() error }
	for i := 0; i < testrig.MaxUserIPConnections; i++ {
		open = append(open, loginIMAP(t, s, u))
	}
	n, err := s.ConnectionCount(u)
	if err != nil {
		t.Fatal(err)
	}
	if n != testrig.MaxUserIPConnections {
		t.Fatalf("ConnectionCount = %d, want %d", n, testrig.MaxUserIPConnections)
	}

	extra := dialIMAPS(t, s)
	err = extra.Login(u.Username, u.Password).Wait()
	if err == nil {
		// Some versions answer OK and drop the session right after.
		err = extra.Noop().Wait()
	}
	if err == nil {
		t.Fatalf("connection %d for one user succeeded; mail_max_userip_connections is not enforced", testrig.MaxUserIPConnections+1)
	}
	t.Logf("connection %d refused as expected: %v", testrig.MaxUserIPConnections+1, err)

	for _, c := range open {
		c.Close()
	}
	waitConnections(t, s, u, 0)
	c := loginIMAP(t, s, u)
	if err := c.Noop().Wait(); err != nil {
		t.Fatalf("login after closing the leaked connections: %v", err)
	}
}

// waitConnections polls ConnectionCount until it equals want.
func waitConnections(t testing.TB, s *testrig.Stack, u testrig.User, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := s.ConnectionCount(u)
		if err != nil {
			t.Fatal(err)
		}
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ConnectionCount = %d, want %d", n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Populate writes Maildir files that Dovecot then serves.
func TestPopulate(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	u := s.NewUser(t)
	const n = 500
	start := time.Now()
	s.Populate(t, u, "INBOX", n)
	s.Populate(t, u, "Archive", 3)
	s.Populate(t, u, "Projects/2024", 2)
	t.Logf("populated %d messages in %v", n+5, time.Since(start))

	c := loginIMAP(t, s, u)
	for folder, want := range map[string]uint32{"INBOX": n, "Archive": 3, "Projects/2024": 2} {
		st, err := c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			t.Fatalf("STATUS %s: %v", folder, err)
		}
		if *st.NumMessages != want {
			t.Errorf("STATUS %s: %d messages, want %d", folder, *st.NumMessages, want)
		}
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("SELECT: %v", err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(n), &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("FETCH %d: %v (%d results)", n, err, len(msgs))
	}
	if got, want := msgs[0].Envelope.Subject, "Message 500"; got != want {
		t.Errorf("subject of the last message = %q, want %q", got, want)
	}
}
