package policy

import (
	"strings"
	"testing"
)

// TestContentDigest: the digest ignores what differs between two builds
// of one message or a server's re-encoding (Date, Message-ID, boundaries,
// transfer encoding, line endings) and changes with anything a reader or
// recipient would see (issue 14, items 1 and 9).
func TestContentDigest(t *testing.T) {
	base := "From: Ann <ann@example.org>\r\nTo: bob@example.org\r\nSubject: Plan\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: <a@example.org>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello Bob\r\n" +
		"--b1\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n"
	same := map[string]func(string) string{
		"other date and Message-ID": func(s string) string {
			return strings.NewReplacer("Mon, 02 Nov 2026 10:00:00", "Tue, 03 Nov 2026 11:00:00", "<a@example.org>", "<b@example.org>").Replace(s)
		},
		"other boundary": func(s string) string { return strings.ReplaceAll(s, "b1", "zz9") },
		"quoted-printable body": func(s string) string {
			return strings.Replace(s, "7bit\r\n\r\nHello Bob", "quoted-printable\r\n\r\nHello=20Bob", 1)
		},
		"LF line endings":          func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") },
		"re-folded subject header": func(s string) string { return strings.Replace(s, "Subject: Plan", "Subject:\r\n  Plan", 1) },
	}
	differ := map[string]func(string) string{
		"body":       func(s string) string { return strings.Replace(s, "Hello Bob", "Hello Bob, pay Mallory", 1) },
		"attachment": func(s string) string { return strings.Replace(s, "JVBERi0xLjQK", "JVBERi0xLjUK", 1) },
		"file name":  func(s string) string { return strings.ReplaceAll(s, "a.pdf", "b.pdf") },
		"recipient":  func(s string) string { return strings.Replace(s, "To: bob@", "To: mallory@", 1) },
		"Reply-To": func(s string) string {
			return strings.Replace(s, "Subject:", "Reply-To: mallory@evil.test\r\nSubject:", 1)
		},
		"Bcc":     func(s string) string { return strings.Replace(s, "Subject:", "Bcc: mallory@evil.test\r\nSubject:", 1) },
		"subject": func(s string) string { return strings.Replace(s, "Subject: Plan", "Subject: Plan B", 1) },
	}
	want, err := ContentDigest([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range same {
		if got, err := ContentDigest([]byte(f(base))); err != nil || got != want {
			t.Errorf("%s: digest changed (err %v)", name, err)
		}
	}
	for name, f := range differ {
		if got, err := ContentDigest([]byte(f(base))); err != nil || got == want {
			t.Errorf("another %s: same digest (err %v)", name, err)
		}
	}
}

// TestDecideForeignSenderAndUntrusted: a sender field that is not the
// account's own, or untrusted content, needs the user in every mode that
// sends, autonomous included.
func TestDecideForeignSenderAndUntrusted(t *testing.T) {
	own := []string{"ann@example.org"}
	cases := []struct {
		name string
		o    Outgoing
		want string
	}{
		{"own From only", Outgoing{Senders: []Sender{{"From", "ann@example.org"}}, Own: own}, ""},
		{"foreign Reply-To", Outgoing{Senders: []Sender{{"From", "ann@example.org"}, {"Reply-To", "mallory@evil.test"}}, Own: own}, "Reply-To: mallory@evil.test"},
		{"foreign Sender", Outgoing{Senders: []Sender{{"Sender", "ceo@example.org"}}, Own: own}, "Sender: ceo@example.org"},
		{"untrusted", Outgoing{Own: own, Untrusted: "not saved by mailmcp"}, "not saved by mailmcp"},
	}
	for _, c := range cases {
		d := Policy{Mode: Autonomous}.Decide(c.o, nil)
		if got := strings.Join(d.Reasons, "; "); d.Confirm != (c.want != "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: confirm %v, reasons %q; want a confirmation naming %q", c.name, d.Confirm, got, c.want)
		}
	}
}
