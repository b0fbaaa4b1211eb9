package testrig_test

import (
	"net"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// These tests stop and kill the servers, so they are not parallel: Go runs
// all sequential top-level tests before any parallel one starts.

// waitClosed waits until the client notices its connection is gone.
func waitClosed(t *testing.T, closed <-chan struct{}) {
	t.Helper()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("client did not notice the server going away")
	}
}

func TestKillAndRestartDovecot(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)

	c := loginIMAP(t, s, u)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := s.KillDovecot(); err != nil {
		t.Fatalf("KillDovecot: %v", err)
	}
	if err := c.Noop().Wait(); err == nil {
		t.Fatal("NOOP succeeded after Dovecot was killed")
	}
	waitClosed(t, c.Closed())

	if err := s.StartDovecot(); err != nil {
		t.Fatalf("StartDovecot: %v", err)
	}
	c = loginIMAP(t, s, u)
	if err := c.Noop().Wait(); err != nil {
		t.Fatalf("NOOP after restart: %v", err)
	}

	start := time.Now()
	if err := s.RestartDovecot(); err != nil {
		t.Fatalf("RestartDovecot: %v", err)
	}
	t.Logf("RestartDovecot took %v", time.Since(start))
	// shutdown_clients = yes: the old session is gone, a new login works.
	waitClosed(t, c.Closed())
	c = loginIMAP(t, s, u)
	if err := c.Noop().Wait(); err != nil {
		t.Fatalf("NOOP after RestartDovecot: %v", err)
	}
}

func TestKillAndRestartPostfix(t *testing.T) {
	s := testrig.Require(t)
	alice, bob := s.NewUser(t), s.NewUser(t)
	plain := func() sasl.Client { return sasl.NewPlainClient("", alice.Username, alice.Password) }

	c := dialSubmission(t, s, true)
	if err := c.Auth(plain()); err != nil {
		t.Fatal(err)
	}
	if err := s.KillPostfix(); err != nil {
		t.Fatalf("KillPostfix: %v", err)
	}
	if err := c.Noop(); err == nil {
		t.Fatal("NOOP succeeded after Postfix was killed")
	}

	if err := s.StartPostfix(); err != nil {
		t.Fatalf("StartPostfix: %v", err)
	}
	c = dialSubmission(t, s, true)
	if err := sendAs(c, plain(), alice.Email, []string{bob.Email}, message(alice.Email, bob.Email, "after kill", "x")); err != nil {
		t.Fatalf("send after restart: %v", err)
	}
	waitForSearch(t, s, bob, subjectIs("after kill"))

	start := time.Now()
	if err := s.RestartPostfix(); err != nil {
		t.Fatalf("RestartPostfix: %v", err)
	}
	t.Logf("RestartPostfix took %v", time.Since(start))
	if err := c.Noop(); err == nil {
		t.Fatal("NOOP on a session from before RestartPostfix succeeded")
	}
	c = dialSubmission(t, s, false)
	if err := sendAs(c, plain(), alice.Email, []string{bob.Email}, message(alice.Email, bob.Email, "after restart", "x")); err != nil {
		t.Fatalf("send after RestartPostfix: %v", err)
	}
	waitForSearch(t, s, bob, subjectIs("after restart"))
}

// A second process can attach to the stack through its rig.json (what
// MAILMCP_RIG names); users it adds work on the shared servers.
func TestAttach(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	a, err := testrig.Attach(s.RigFile())
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	defer a.Close()
	if a.IMAPSPort != s.IMAPSPort || a.CAFile != s.CAFile || a.Domain != s.Domain {
		t.Fatalf("attached stack differs: %+v vs %+v", a, s)
	}
	u := a.NewUser(t)
	c := loginIMAP(t, a, u)
	tok := a.IssueToken(u)
	c2 := dialIMAPS(t, s)
	if err := c2.Authenticate(&xoauth2{user: u.Username, token: tok}); err != nil {
		t.Fatalf("XOAUTH2 with a token issued through the attached stack: %v", err)
	}
	_ = c
}

// With Dovecot down, submission cannot authenticate (Postfix's SASL goes
// through Dovecot); once Dovecot is back, submission works again within
// seconds (the rig shortens Postfix's 60 s service throttle).
func TestSubmissionWhileDovecotDown(t *testing.T) {
	s := testrig.Require(t)
	alice, bob := s.NewUser(t), s.NewUser(t)
	if err := s.KillDovecot(); err != nil {
		t.Fatalf("KillDovecot: %v", err)
	}
	t.Cleanup(func() { _ = s.StartDovecot() })

	conn, err := tlsDial(&net.Dialer{Timeout: 5 * time.Second}, s.SubmissionsAddr(), s)
	if err == nil {
		c := smtp.NewClient(conn)
		c.CommandTimeout = 5 * time.Second
		err = c.Auth(sasl.NewPlainClient("", alice.Username, alice.Password))
		c.Close()
	}
	if err == nil {
		t.Fatal("AUTH on submissions succeeded while Dovecot was down")
	}
	t.Logf("with Dovecot down, submissions AUTH fails: %v", err)

	if err := s.StartDovecot(); err != nil {
		t.Fatalf("StartDovecot: %v", err)
	}
	start := time.Now()
	for {
		conn, err := tlsDial(&net.Dialer{Timeout: 5 * time.Second}, s.SubmissionsAddr(), s)
		if err == nil {
			c := smtp.NewClient(conn)
			c.CommandTimeout = 5 * time.Second
			err = sendAs(c, sasl.NewPlainClient("", alice.Username, alice.Password), alice.Email, []string{bob.Email},
				message(alice.Email, bob.Email, "after dovecot came back", "x"))
			c.Close()
		}
		if err == nil {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("submission still failing %v after Dovecot restarted: %v%s", time.Since(start), err, s.LogTails())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("submission works again %v after Dovecot restarted", time.Since(start).Round(time.Millisecond))
	waitForSearch(t, s, bob, subjectIs("after dovecot came back"))
}
