package tools

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/policy"
)

// TestFetchCarriesTrustSignals: a spoofed message from a lookalike domain,
// with a forged "pass" further down, is flagged; a known sender is not.
func TestFetchCarriesTrustSignals(t *testing.T) {
	h := newHarness(t, harnessOptions{Sending: true, Info: func(i *AccountInfo) { i.AuthServIDs = []string{"mx.demo.mailmcp.test"} }})
	ctx := context.Background()
	if err := h.Deps.Ledger.AddKnown(ctx, "demo", []string{"pat@example.org"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Deps.Ledger.MarkSeeded(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	spoof := "Authentication-Results: mx.demo.mailmcp.test; spf=fail smtp.mailfrom=exarnple.org; dkim=none; dmarc=fail header.from=exarnple.org\r\n" +
		"Authentication-Results: mx.google.com; spf=pass; dkim=pass; dmarc=pass\r\n" +
		"From: \"pat@example.org\" <billing@exarnple.org>\r\nTo: dana@demo.mailmcp.test\r\nSubject: Invoice overdue\r\n" +
		"Date: Mon, 16 Nov 2026 09:00:00 +0000\r\nMessage-ID: <spoof@exarnple.org>\r\n\r\nPay now.\r\n"
	known := "Authentication-Results: mx.demo.mailmcp.test; spf=pass smtp.mailfrom=example.org; dkim=pass; dmarc=pass\r\n" +
		"From: Pat <pat@example.org>\r\nTo: dana@demo.mailmcp.test\r\nSubject: Lunch\r\n" +
		"Date: Mon, 16 Nov 2026 09:05:00 +0000\r\nMessage-ID: <lunch@example.org>\r\n\r\nNoon?\r\n"
	for _, raw := range []string{spoof, known} {
		if err := h.Demo.Deliver("INBOX", []byte(raw), nil, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	fetch := func(subject string) (policy.Trust, string) {
		var page struct {
			Messages []struct {
				ID string `json:"id"`
			} `json:"messages"`
		}
		h.Decode("search", map[string]any{"subject": subject}, &page)
		var out struct {
			Trust policy.Trust `json:"trust"`
		}
		res := h.Decode("fetch_message", map[string]any{"id": page.Messages[0].ID}, &out)
		return out.Trust, resultText(res)
	}
	tr, text := fetch("Invoice overdue")
	if tr.DMARC != "fail" || tr.VerifiedBy != "mx.demo.mailmcp.test" || !tr.DisplayNameMismatch || !tr.NewSender || tr.LookalikeOf != "example.org" {
		t.Errorf("spoofed message trust: %+v", tr)
	}
	if !strings.HasPrefix(text, "Sender checks (by mailmcp): spf=fail") || strings.Count(text, "Warning: ") != 4 {
		t.Errorf("the text must lead with the server's own checks:\n%s", text)
	}
	tr, _ = fetch("Lunch")
	if tr.DMARC != "pass" || tr.NewSender || tr.DisplayNameMismatch || tr.LookalikeOf != "" || len(tr.Warnings) != 0 {
		t.Errorf("known, authenticated sender: %+v", tr)
	}
}

// TestForgedTopHeaderIsNotBelieved: with the account's own authserv-id
// configured, a message carrying only someone else's "pass" is unverified.
func TestForgedTopHeaderIsNotBelieved(t *testing.T) {
	h := newHarness(t, harnessOptions{Info: func(i *AccountInfo) { i.AuthServIDs = []string{"mx.demo.mailmcp.test"} }})
	raw := "Authentication-Results: mx.attacker.example; spf=pass; dkim=pass; dmarc=pass\r\n" +
		"From: Bank <security@bank.example>\r\nTo: dana@demo.mailmcp.test\r\nSubject: Verify your account\r\n" +
		"Date: Mon, 16 Nov 2026 09:00:00 +0000\r\nMessage-ID: <forged-ar@bank.example>\r\n\r\nClick.\r\n"
	if err := h.Demo.Deliver("INBOX", []byte(raw), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	h.Decode("search", map[string]any{"subject": "Verify your account"}, &page)
	var out struct {
		Trust policy.Trust `json:"trust"`
	}
	res := h.Decode("fetch_message", map[string]any{"id": page.Messages[0].ID}, &out)
	if !out.Trust.Unverified || out.Trust.DMARC != "" || out.Trust.VerifiedBy != "" {
		t.Errorf("a foreign Authentication-Results header was believed: %+v", out.Trust)
	}
	if !strings.HasPrefix(resultText(res), "Sender checks (by mailmcp): no authentication results from your provider") {
		t.Errorf("text: %s", resultText(res))
	}
}

func TestAuthServIDsDefaults(t *testing.T) {
	d := &Deps{Accounts: []AccountInfo{{ID: "conf", AuthServIDs: []string{"mx.own.example"}}}}
	for _, c := range []struct {
		acct imapconn.Account
		want string
	}{
		{imapconn.Account{ID: "conf", Provider: "generic", IMAP: imapconn.Endpoint{Host: "imap.x.example"}}, "mx.own.example"},
		{imapconn.Account{ID: "g", Provider: "gmail", IMAP: imapconn.Endpoint{Host: "imap.gmail.com"}}, "mx.google.com .google.com"},
		{imapconn.Account{ID: "h", Provider: "generic", IMAP: imapconn.Endpoint{Host: "imap.mail.example.co.uk"}}, "example.co.uk .example.co.uk"},
		{imapconn.Account{ID: "l", Provider: "generic", IMAP: imapconn.Endpoint{Host: "127.0.0.1"}}, ""},
		{imapconn.Account{ID: "lh", Provider: "generic", IMAP: imapconn.Endpoint{Host: "localhost"}}, ""},
		{imapconn.Account{ID: "v6", Provider: "generic", IMAP: imapconn.Endpoint{Host: "::1"}}, ""},
	} {
		ids, why := authServIDs(d, &c.acct)
		if got := strings.Join(ids, " "); got != c.want || (got == "") != (why == policy.NoAuthServIDs) {
			t.Errorf("%s: %q, want %q", c.acct.ID, got, c.want)
		}
	}
}
