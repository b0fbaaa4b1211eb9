package tools

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/outbox"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// These tests send through the tools against the real Postfix (submission
// with STARTTLS on one account, implicit TLS on another) and read what
// Dovecot delivered.

// rigUser is a stack user and the harness account id that reaches it.
type rigUser struct {
	ID string
	testrig.User
}

// rigOptions tune rigHarness.
type rigOptions struct {
	SavesSent bool // the provider of every account files sent mail itself
	// Policy, when set, is the send policy of every account (default:
	// autonomous).
	Policy *policy.Policy
	// Elicit, when set, makes the client offer elicitation and answer
	// with it.
	Elicit func(mcp.ElicitationRequest) *mcp.ElicitationResult
}

// rigHarness makes one fresh stack user per id and a harness with an
// account for each (the first submits with STARTTLS on 587, the others
// with implicit TLS on 465) and an outbox that retries within a second.
func rigHarness(t *testing.T, opt rigOptions, ids ...string) (*testrig.Stack, *harness, []rigUser) {
	t.Helper()
	s := testrig.Require(t)
	var accts []*imapconn.Account
	var infos []AccountInfo
	var users []rigUser
	for i, id := range ids {
		u := rigUser{ID: id, User: s.NewUser(t)}
		users = append(users, u)
		ih, ip := splitHostPort(t, s.IMAPSAddr())
		smtpAddr, smtpTLS := s.SubmissionsAddr(), imapconn.TLSImplicit
		if i == 0 {
			smtpAddr, smtpTLS = s.SubmissionAddr(), imapconn.TLSStartTLS
		}
		sh, sp := splitHostPort(t, smtpAddr)
		accts = append(accts, &imapconn.Account{
			ID: id, Email: u.Email, TLS: s.TLSConfig(),
			IMAP: imapconn.Endpoint{Host: ih, Port: ip, TLS: imapconn.TLSImplicit},
			SMTP: imapconn.Endpoint{Host: sh, Port: sp, TLS: smtpTLS},
			Auth: &auth.PasswordLogin{Username: u.Username, Source: auth.SecretSource{Command: "printf %s '" + u.Password + "'"}},
		})
		infos = append(infos, AccountInfo{ID: id, Email: u.Email, Name: strings.ToUpper(id[:1]) + id[1:], Provider: "generic",
			DownloadDir: t.TempDir(), InlineAttachmentMax: 1 << 20, MaxRecipients: 50, MaxMessageBytes: 25 << 20,
			SavesSent: opt.SavesSent, Policy: policy.Policy{Mode: policy.Autonomous}})
		if opt.Policy != nil {
			infos[i].Policy = *opt.Policy
		}
	}
	hopt := harnessOptions{Accounts: accts, Infos: infos, Sending: true, Outbox: func(c *outbox.Config) {
		c.BaseDelay, c.MaxDelay, c.Poll = 200*time.Millisecond, time.Second, 200*time.Millisecond
	}}
	if opt.Elicit != nil {
		hopt.Elicit = elicitFunc(opt.Elicit)
	}
	h := newHarness(t, hopt)
	return s, h, users
}

// waitCopies polls folder until the message with messageID arrives and
// returns its copies.
func waitCopies(t *testing.T, h *harness, account, folder, messageID string) [][]byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c := copies(t, h.Mail, account, folder, messageID); len(c) > 0 {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("<%s> never arrived in %s/%s", messageID, account, folder)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// idOf returns the mailbox id of the message with messageID in folder.
func idOf(t *testing.T, h *harness, account, folder, messageID string) string {
	t.Helper()
	var page struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	h.Decode("search", map[string]any{"account": account, "folder": folder, "header_name": "Message-ID", "header_value": messageID}, &page)
	if len(page.Messages) != 1 {
		t.Fatalf("%d messages <%s> in %s/%s", len(page.Messages), messageID, account, folder)
	}
	return page.Messages[0].ID
}

func TestRigReplyThreadsBccAndSentOnce(t *testing.T) {
	_, h, u := rigHarness(t, rigOptions{}, "alice", "bob", "carol")
	alice, bob, carol := u[0], u[1], u[2]

	first := sendOK(h, "send_email", map[string]any{"account": "alice", "to": []any{bob.Email}, "bcc": []any{carol.Email},
		"subject": "Plan for Q3", "body": "Here is the plan.", "idempotency_key": "q3"})
	if first.Status != "sent" || first.SentCopy != outbox.CopySaved || len(first.Accepted) != 2 {
		t.Fatalf("send_email over STARTTLS: %+v", first)
	}
	for _, rcpt := range []string{"bob", "carol"} {
		raw := waitCopies(t, h, rcpt, "INBOX", first.MessageID)
		if len(raw) != 1 {
			t.Errorf("%s got %d copies", rcpt, len(raw))
		}
		if hdr := headerOf(raw[0]); strings.Contains(strings.ToLower(hdr), "\nbcc:") || strings.Contains(hdr, carol.Email) {
			t.Errorf("%s's copy reveals the Bcc recipient:\n%s", rcpt, hdr)
		}
	}
	if n := len(copies(t, h.Mail, "alice", "Sent", first.MessageID)); n != 1 {
		t.Errorf("alice's Sent holds %d copies, want 1", n)
	}

	// Bob replies over implicit TLS; alice gets a threaded reply.
	bobCopy := idOf(t, h, "bob", "INBOX", first.MessageID)
	r1 := sendOK(h, "reply", map[string]any{"id": bobCopy, "body": "Looks good."})
	if r1.Status != "sent" || !slices.Equal(r1.Accepted, []string{alice.Email}) {
		t.Fatalf("bob's reply: %+v", r1)
	}
	m := parseRaw(t, waitCopies(t, h, "alice", "INBOX", r1.MessageID)[0])
	if m.Subject != "Re: Plan for Q3" || m.InReplyTo != "<"+first.MessageID+">" || !slices.Equal(m.References, []string{"<" + first.MessageID + ">"}) {
		t.Errorf("reply as delivered: subject %q In-Reply-To %q References %v", m.Subject, m.InReplyTo, m.References)
	}
	_, flags := copiesFlags(t, h.Mail, "bob", "INBOX", first.MessageID)
	if len(flags) != 1 || !slices.Contains(flags[0], "answered") {
		t.Errorf("bob's original after replying: flags %v, want answered", flags)
	}

	// Alice answers the reply: the chain grows, the subject does not.
	r2 := sendOK(h, "reply", map[string]any{"id": idOf(t, h, "alice", "INBOX", r1.MessageID), "body": "Great, go ahead."})
	if r2.Status != "sent" {
		t.Fatalf("alice's reply: %+v", r2)
	}
	m = parseRaw(t, waitCopies(t, h, "bob", "INBOX", r2.MessageID)[0])
	wantRefs := []string{"<" + first.MessageID + ">", "<" + r1.MessageID + ">"}
	if m.Subject != "Re: Plan for Q3" || m.InReplyTo != "<"+r1.MessageID+">" || !slices.Equal(m.References, wantRefs) {
		t.Errorf("second reply as delivered: subject %q In-Reply-To %q References %v, want %v", m.Subject, m.InReplyTo, m.References, wantRefs)
	}
	if n := len(copies(t, h.Mail, "alice", "Sent", r2.MessageID)); n != 1 {
		t.Errorf("alice's Sent holds %d copies of her reply, want 1", n)
	}
	if n := len(copies(t, h.Mail, "bob", "Sent", r1.MessageID)); n != 1 {
		t.Errorf("bob's Sent holds %d copies of his reply, want 1", n)
	}
}

func TestRigProviderSavesSent(t *testing.T) {
	_, h, u := rigHarness(t, rigOptions{SavesSent: true}, "alice", "bob")
	out := sendOK(h, "send_email", map[string]any{"account": "alice", "to": []any{u[1].Email}, "subject": "Filed by the provider", "body": "x"})
	if out.Status != "sent" || out.SentCopy != outbox.CopyServer {
		t.Fatalf("send for a provider that saves sent mail: %+v", out)
	}
	waitCopies(t, h, "bob", "INBOX", out.MessageID)
	if n := len(copies(t, h.Mail, "alice", "Sent", out.MessageID)); n != 0 {
		t.Errorf("%d Sent copies appended although the provider files its own", n)
	}
}

func TestRigPostfixDownQueuesThenDeliversOnce(t *testing.T) {
	s, h, u := rigHarness(t, rigOptions{}, "alice", "bob")
	if err := s.StopPostfix(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.StartPostfix(); err != nil {
			t.Errorf("restart postfix: %v", err)
		}
	})
	q := sendOK(h, "send_email", map[string]any{"account": "alice", "to": []any{u[1].Email}, "subject": "Sent while Postfix was down", "body": "x", "idempotency_key": "down"})
	if q.Status != "queued" || q.LastError == "" {
		t.Fatalf("send with Postfix stopped: %+v", q)
	}
	if err := s.StartPostfix(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var it sendOutput
	for {
		items := outboxItems(h, map[string]any{"outbox_id": q.OutboxID, "check_bounces": false})
		if it = items[0]; it.Status == "sent" && it.SentCopy == outbox.CopySaved {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not sent after Postfix came back: %+v", it)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if it.Attempts < 2 {
		t.Errorf("attempts %d, want at least 2", it.Attempts)
	}
	waitCopies(t, h, "bob", "INBOX", q.MessageID)
	// A retried call and a few more worker sweeps change nothing.
	again := sendOK(h, "send_email", map[string]any{"account": "alice", "to": []any{u[1].Email}, "subject": "Sent while Postfix was down", "body": "x", "idempotency_key": "down"})
	if !again.Duplicate || again.OutboxID != q.OutboxID {
		t.Errorf("retry after delivery: %+v", again)
	}
	h.Deps.Outbox.Wake()
	time.Sleep(time.Second)
	if n := len(copies(t, h.Mail, "bob", "INBOX", q.MessageID)); n != 1 {
		t.Errorf("bob received %d copies, want exactly 1", n)
	}
	if n := len(copies(t, h.Mail, "alice", "Sent", q.MessageID)); n != 1 {
		t.Errorf("alice's Sent holds %d copies, want 1", n)
	}
}

func TestRigBounceLinkedInOutboxStatus(t *testing.T) {
	s, h, _ := rigHarness(t, rigOptions{}, "alice")
	outside := s.AddressOutside()
	out := sendOK(h, "send_email", map[string]any{"account": "alice", "to": []any{outside}, "subject": "To the outside", "body": "x"})
	if out.Status != "sent" || !slices.Equal(out.Accepted, []string{outside}) {
		t.Fatalf("Postfix should accept mail to %s and bounce it later: %+v", outside, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	var it sendOutput
	for {
		items := outboxItems(h, map[string]any{"account": "alice"})
		if it = items[0]; len(it.Bounces) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no bounce linked to %s: %+v", out.OutboxID, it)
		}
		time.Sleep(200 * time.Millisecond)
	}
	b := it.Bounces[0]
	t.Logf("outbox_status after the bounce: status %s error %q bounce %+v", it.Status, it.LastError, b)
	if it.OutboxID != out.OutboxID || b.Address != outside || b.Action != "failed" || !strings.HasPrefix(b.Enhanced, "5.") ||
		!strings.Contains(b.Diagnostic, "external delivery disabled") {
		t.Errorf("bounce: %+v", b)
	}
	if it.Status != "failed" || !strings.Contains(it.LastError, "external delivery disabled") {
		t.Errorf("a message that bounced for every recipient reads %q (%q), want failed with the bounce's reason", it.Status, it.LastError)
	}
	if items := outboxItems(h, map[string]any{"status": "failed"}); len(items) != 1 || items[0].OutboxID != out.OutboxID {
		t.Errorf("outbox_status status=failed: %+v", items)
	}
}
