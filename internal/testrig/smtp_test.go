package testrig_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// A user sends to another user over submission (STARTTLS + AUTH PLAIN) and
// over submissions (implicit TLS); both messages arrive in the INBOX.
func TestSubmissionDeliversToLocalUser(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	alice, bob := s.NewUser(t), s.NewUser(t)
	for _, implicit := range []bool{false, true} {
		c := dialSubmission(t, s, implicit)
		if _, ok := c.TLSConnectionState(); !ok {
			t.Fatalf("submission (implicit=%v) is not using TLS", implicit)
		}
		subject := "hello implicit=" + map[bool]string{false: "no", true: "yes"}[implicit]
		err := sendAs(c, sasl.NewPlainClient("", alice.Username, alice.Password), alice.Email, []string{bob.Email},
			message(alice.Email, bob.Email, subject, "hi bob"))
		if err != nil {
			t.Fatalf("send (implicit TLS=%v): %v", implicit, err)
		}
		if err := c.Quit(); err != nil {
			t.Errorf("QUIT: %v", err)
		}
		waitForSearch(t, s, bob, subjectIs(subject))
	}
}

func TestSubmissionRequiresAuth(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	alice, bob := s.NewUser(t), s.NewUser(t)
	c := dialSubmission(t, s, false)
	if err := c.Mail(alice.Email, nil); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	err := c.Rcpt(bob.Email, nil)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code/100 != 5 {
		t.Fatalf("RCPT without AUTH on submission: got %v, want a 5xx rejection", err)
	}

	c2 := dialSubmission(t, s, true)
	err = c2.Auth(sasl.NewPlainClient("", alice.Username, "wrong"))
	if !errors.As(err, &se) || se.Code != 535 {
		t.Fatalf("AUTH with a wrong password: got %v, want 535", err)
	}
}

// Mail to another domain is accepted, never leaves the machine, and comes
// back to the sender as a DSN (multipart/report).
func TestBounceToOutsideDomain(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	alice := s.NewUser(t)
	outside := s.AddressOutside()
	c := dialSubmission(t, s, false)
	err := sendAs(c, sasl.NewPlainClient("", alice.Username, alice.Password), alice.Email, []string{outside},
		message(alice.Email, outside, "will bounce", "nobody is there"))
	if err != nil {
		t.Fatalf("send to %s: %v", outside, err)
	}
	uids := waitForSearch(t, s, alice, &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Content-Type", Value: "multipart/report"}}})

	cl := loginIMAP(t, s, alice)
	if _, err := cl.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := cl.Fetch(imap.UIDSetNum(uids[0]), &imap.FetchOptions{
		Envelope:    true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("FETCH DSN: %v", err)
	}
	var raw string
	for _, b := range msgs[0].BodySection {
		raw = string(b.Bytes)
	}
	if !strings.Contains(raw, "report-type=delivery-status") || !strings.Contains(raw, outside) {
		t.Errorf("DSN does not look like a delivery-status report for %s:\n%s", outside, raw)
	}
	if from := msgs[0].Envelope.From; len(from) == 0 || !containsFold(from[0].Mailbox, "MAILER-DAEMON") {
		t.Errorf("DSN From = %v, want MAILER-DAEMON", from)
	}
}

// The MX port takes mail for existing local users only, without AUTH.
func TestMXPort(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	bob := s.NewUser(t)
	ctx := ctxT(t)
	if err := s.Deliver(ctx, "someone@remote.example", []string{bob.Email}, message("someone@remote.example", bob.Email, "via mx", "hi")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	waitForSearch(t, s, bob, subjectIs("via mx"))

	// A user added just now is known to Postfix at once (socketmap).
	carol := s.NewUser(t)
	if err := s.Deliver(ctx, "someone@remote.example", []string{strings.Replace(carol.Email, "@", "+tag@", 1)}, message("someone@remote.example", carol.Email, "plus tag", "hi")); err != nil {
		t.Fatalf("Deliver to a fresh user with +tag: %v", err)
	}
	waitForSearch(t, s, carol, subjectIs("plus tag"))

	var se *smtp.SMTPError
	err := s.Deliver(ctx, "someone@remote.example", []string{"nobody-here@" + s.Domain}, message("a@b.example", "x", "x", "x"))
	if !errors.As(err, &se) || se.Code != 550 {
		t.Errorf("Deliver to an unknown local user: got %v, want 550", err)
	}
	err = s.Deliver(ctx, "someone@remote.example", []string{s.AddressOutside()}, message("a@b.example", "x", "x", "x"))
	if !errors.As(err, &se) || se.Code/100 != 5 {
		t.Errorf("Deliver to another domain via MX (relaying): got %v, want a 5xx rejection", err)
	}
}

// A message larger than the quota is refused at delivery (552 5.2.2) and
// not stored; a small one fits.
func TestQuotaUserRefusesOverQuota(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	q := s.QuotaUser(t)
	ctx := ctxT(t)
	if err := s.DeliverLMTP(ctx, "a@example.test", []string{q.Email}, message("a@example.test", q.Email, "small", "fits")); err != nil {
		t.Fatalf("small message to the quota user: %v", err)
	}
	big := message("a@example.test", q.Email, "big", strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 2500)) // ~165 KB
	err := s.DeliverLMTP(ctx, "a@example.test", []string{q.Email}, big)
	var lmtpErr smtp.LMTPDataError
	if !errors.As(err, &lmtpErr) {
		t.Fatalf("over-quota delivery: got %v, want an LMTP per-recipient error", err)
	}
	se := lmtpErr[q.Email]
	if se == nil || se.Code != 552 || se.EnhancedCode != (smtp.EnhancedCode{5, 2, 2}) {
		t.Fatalf("over-quota delivery: got %v, want 552 5.2.2", err)
	}
	if n := inboxCount(t, s, q); n != 1 {
		t.Errorf("quota user's INBOX has %d messages, want 1 (the big one must not be stored)", n)
	}

	// Through Postfix the refusal becomes a bounce to the sender.
	alice := s.NewUser(t)
	c := dialSubmission(t, s, true)
	if err := sendAs(c, sasl.NewPlainClient("", alice.Username, alice.Password), alice.Email, []string{q.Email}, big); err != nil {
		t.Fatalf("submit big message to quota user: %v", err)
	}
	waitForSearch(t, s, alice, &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Content-Type", Value: "multipart/report"}}})
	if n := inboxCount(t, s, q); n != 1 {
		t.Errorf("quota user's INBOX has %d messages after the bounce, want 1", n)
	}
}
