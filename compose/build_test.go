package compose

import (
	"bytes"
	"errors"
	"io"
	netmail "net/mail"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
)

func reader(s string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

func build(t *testing.T, m *Message) (*Built, *enmime.Envelope) {
	t.Helper()
	b, err := Build(m, Limits{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if bytes.Contains(bytes.ReplaceAll(b.Raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatalf("bare LF in output:\n%s", b.Raw)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(b.Raw))
	if err != nil {
		t.Fatalf("parse back: %v", err)
	}
	if len(env.Errors) > 0 {
		t.Fatalf("parse back problems: %v\n%s", env.Errors, b.Raw)
	}
	return b, env
}

// header returns the raw (undecoded) value of a top-level header field.
func rawHeader(raw []byte, name string) string {
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	var out []string
	lines := strings.Split(string(head), "\r\n")
	for i := 0; i < len(lines); i++ {
		k, v, ok := strings.Cut(lines[i], ":")
		if !ok || !strings.EqualFold(k, name) {
			continue
		}
		for i+1 < len(lines) && (strings.HasPrefix(lines[i+1], " ") || strings.HasPrefix(lines[i+1], "\t")) {
			i++
			v += lines[i]
		}
		out = append(out, strings.TrimSpace(v))
	}
	return strings.Join(out, "\n")
}

func TestBuildHeadersEncodedAndBccAbsent(t *testing.T) {
	date := time.Date(2026, 11, 2, 9, 30, 0, 0, time.FixedZone("", 3600))
	b, env := build(t, &Message{
		From:    Address{Name: "Zoë Ünïcode", Email: "zoe@example.org"},
		To:      []Address{{Name: "Ann", Email: "ann@example.org"}, {Email: "bob@例え.jp"}},
		Cc:      []Address{{Email: "ANN@example.org"}, {Email: "carl@example.org"}},
		Bcc:     []Address{{Email: "secret@example.net"}},
		ReplyTo: []Address{{Email: "list@example.org"}},
		Subject: "Grüße aus Köln — Straße",
		Text:    "Hallo,\nschöne Grüße.\n",
		Date:    date,
	})
	for _, f := range []string{"Subject", "From"} {
		if v := rawHeader(b.Raw, f); !isASCII(v) || !strings.Contains(v, "=?utf-8?") {
			t.Errorf("%s not RFC 2047 encoded: %q", f, v)
		}
	}
	if got := env.GetHeader("Subject"); got != "Grüße aus Köln — Straße" {
		t.Errorf("subject decodes to %q", got)
	}
	if rawHeader(b.Raw, "Bcc") != "" || bytes.Contains(b.Raw, []byte("secret@")) {
		t.Errorf("Bcc written into the message:\n%s", b.Raw)
	}
	want := []string{"ann@example.org", "bob@xn--r8jz45g.jp", "carl@example.org", "secret@example.net"}
	if strings.Join(b.Recipients, ",") != strings.Join(want, ",") {
		t.Errorf("recipients = %v, want %v (deduplicated, IDNA domain)", b.Recipients, want)
	}
	if b.NeedsSMTPUTF8 {
		t.Error("NeedsSMTPUTF8 for ASCII local parts")
	}
	if rawHeader(b.Raw, "MIME-Version") != "1.0" {
		t.Error("no MIME-Version")
	}
	if d, _ := netmail.ParseDate(rawHeader(b.Raw, "Date")); !d.Equal(date) {
		t.Errorf("Date = %q", rawHeader(b.Raw, "Date"))
	}
	if !strings.HasSuffix(b.MessageID, "@example.org") || rawHeader(b.Raw, "Message-Id") != "<"+b.MessageID+">" {
		t.Errorf("Message-ID %q / header %q not on the From domain", b.MessageID, rawHeader(b.Raw, "Message-Id"))
	}
	if rawHeader(b.Raw, "Reply-To") != "<list@example.org>" {
		t.Errorf("Reply-To = %q", rawHeader(b.Raw, "Reply-To"))
	}
	if env.Text != "Hallo,\nschöne Grüße.\n" && env.Text != "Hallo,\r\nschöne Grüße.\r\n" {
		t.Errorf("text = %q", env.Text)
	}
	if !strings.Contains(string(b.Raw), "Content-Transfer-Encoding: quoted-printable") {
		t.Error("non-ASCII text not quoted-printable")
	}
}

func TestBuildTransferEncodingPerPart(t *testing.T) {
	long := strings.Repeat("x", 1200)
	bin := string([]byte{0, 1, 2, 0xff, 0xfe, 'P', 'K'})
	b, env := build(t, &Message{
		From: Address{Email: "a@example.org"}, To: []Address{{Email: "b@example.org"}},
		Subject: "plain ascii", Text: "just ascii\nlines\n",
		Attachments: []Attachment{
			{Filename: "data.bin", Open: reader(bin)},
			{Filename: "long.txt", ContentType: "text/plain", Open: reader(long)},
		},
	})
	parts := strings.Split(string(b.Raw), "--")
	var encs []string
	for _, p := range parts {
		if i := strings.Index(p, "Content-Transfer-Encoding: "); i >= 0 {
			encs = append(encs, strings.Fields(p[i+len("Content-Transfer-Encoding: "):])[0])
		}
	}
	if strings.Join(encs, ",") != "7bit,base64,base64" {
		t.Errorf("encodings = %v, want 7bit text then base64 attachments", encs)
	}
	if len(env.Attachments) != 2 || string(env.Attachments[0].Content) != bin || string(env.Attachments[1].Content) != long {
		t.Fatalf("attachments do not round-trip: %d", len(env.Attachments))
	}
	if strings.ReplaceAll(env.Text, "\r\n", "\n") != "just ascii\nlines\n" {
		t.Errorf("text = %q", env.Text)
	}
}

func TestBuildRFC2231FileNames(t *testing.T) {
	name := "Résumé – final (2026).pdf"
	b, env := build(t, &Message{
		From: Address{Email: "a@example.org"}, To: []Address{{Email: "b@example.org"}},
		Text: "see attached", Attachments: []Attachment{{Filename: name, Open: reader("%PDF-1.4")}},
	})
	if !strings.Contains(string(b.Raw), "filename*=utf-8''R%C3%A9sum%C3%A9") {
		t.Errorf("no RFC 2231 filename parameter:\n%s", b.Raw)
	}
	if len(env.Attachments) != 1 || env.Attachments[0].FileName != name || env.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("attachment = %+v", env.Attachments)
	}
}

func TestBuildMarkdownAlternativeIsSanitised(t *testing.T) {
	b, env := build(t, &Message{
		From: Address{Email: "a@example.org"}, To: []Address{{Email: "b@example.org"}},
		Text:     "# Plan\n\n- **one**\n- two\n\n<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1)) and [ok](https://example.org)\n",
		Markdown: true,
	})
	if !strings.Contains(string(b.Raw), "multipart/alternative") {
		t.Fatal("no multipart/alternative")
	}
	html := env.HTML
	for _, want := range []string{"<h1>Plan</h1>", "<strong>one</strong>", `href="https://example.org"`} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q:\n%s", want, html)
		}
	}
	for _, bad := range []string{"onerror", "javascript:", "<img"} {
		if strings.Contains(html, bad) {
			t.Errorf("html keeps %q:\n%s", bad, html)
		}
	}
	if !strings.Contains(env.Text, "**one**") {
		t.Errorf("text alternative is not the Markdown source: %q", env.Text)
	}
}

func TestBuildThreadingHeaders(t *testing.T) {
	b, env := build(t, &Message{
		From: Address{Email: "a@example.org"}, To: []Address{{Email: "b@example.org"}},
		Subject: "Re: x", Text: "ok", InReplyTo: "<p2@example.org>", References: []string{"p1@example.org", "<p2@example.org>"},
		MessageID: "fixed.1@example.org",
	})
	if got := rawHeader(b.Raw, "In-Reply-To"); got != "<p2@example.org>" {
		t.Errorf("In-Reply-To = %q", got)
	}
	if got := rawHeader(b.Raw, "References"); got != "<p1@example.org> <p2@example.org>" {
		t.Errorf("References = %q", got)
	}
	if b.MessageID != "fixed.1@example.org" || env.GetHeader("Message-Id") != "<fixed.1@example.org>" {
		t.Errorf("Message-ID = %q", b.MessageID)
	}
}

func TestBuildMessageRFC822Attachment(t *testing.T) {
	orig := "From: x@example.org\r\nSubject: inner\r\n\r\nbody\r\n"
	b, _ := build(t, &Message{
		From: Address{Email: "a@example.org"}, To: []Address{{Email: "b@example.org"}}, Text: "fwd",
		Attachments: []Attachment{{Filename: "inner.eml", ContentType: "message/rfc822", Open: reader(orig)}},
	})
	s := string(b.Raw)
	i := strings.Index(s, "Content-Type: message/rfc822")
	if i < 0 || !strings.Contains(s[i:], "Content-Transfer-Encoding: 7bit") || !strings.Contains(s[i:], "Subject: inner") {
		t.Errorf("message/rfc822 part not 7bit with the message inline:\n%s", s)
	}
}

func TestBuildDraftKeepsBccAndNeedsNoRecipients(t *testing.T) {
	b, err := Build(&Message{From: Address{Email: "a@example.org"}, Bcc: []Address{{Email: "h@example.org"}}, Draft: true, Text: "wip"}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if rawHeader(b.Raw, "Bcc") != "<h@example.org>" {
		t.Errorf("draft lost its Bcc:\n%s", b.Raw)
	}
	if _, err := Build(&Message{From: Address{Email: "a@example.org"}, Draft: true}, Limits{}); err != nil {
		t.Errorf("empty draft refused: %v", err)
	}
}

func TestBuildSMTPUTF8(t *testing.T) {
	b, _ := build(t, &Message{From: Address{Email: "a@example.org"}, To: []Address{{Email: "jörg@example.org"}}, Text: "x"})
	if !b.NeedsSMTPUTF8 {
		t.Error("non-ASCII local part does not need SMTPUTF8")
	}
}

func TestBuildValidation(t *testing.T) {
	ok := func() *Message {
		return &Message{From: Address{Email: "a@example.org"}, To: []Address{{Email: "b@example.org"}}, Subject: "s", Text: "t"}
	}
	many := ok()
	for i := 0; i < 51; i++ {
		many.Cc = append(many.Cc, Address{Email: "r" + strings.Repeat("x", i) + "@example.org"})
	}
	cases := []struct {
		name  string
		mut   func(m *Message)
		lim   Limits
		code  Code
		field string
		msg   string
	}{
		{"CR in subject", func(m *Message) { m.Subject = "hi\r\nBcc: evil@example.org" }, Limits{}, CodeHeaderInjection, "subject", "carriage return"},
		{"LF in name", func(m *Message) { m.To[0].Name = "x\nBcc: e@example.org" }, Limits{}, CodeHeaderInjection, "to", "line feed"},
		{"LF in header", func(m *Message) { m.Headers = [][2]string{{"X-A", "b\nc"}} }, Limits{}, CodeHeaderInjection, "headers", "line feed"},
		{"reserved header", func(m *Message) { m.Headers = [][2]string{{"Bcc", "x@example.org"}} }, Limits{}, CodeInvalid, "headers", "cannot be set"},
		{"bad address", func(m *Message) { m.Cc = []Address{{Email: "not an address"}} }, Limits{}, CodeInvalidAddress, "cc", "not a valid"},
		{"no domain dot", func(m *Message) { m.To = []Address{{Email: "x@nodot"}} }, Limits{}, CodeInvalidAddress, "to", "invalid domain"},
		{"no sender", func(m *Message) { m.From = Address{} }, Limits{}, CodeInvalidAddress, "from", "required"},
		{"no recipients", func(m *Message) { m.To = nil }, Limits{}, CodeNoRecipients, "to", "at least one"},
		{"too many default", func(m *Message) { *m = *many }, Limits{}, CodeTooManyRecipients, "to", "52 recipients"},
		{"too many limit", func(m *Message) { m.Cc = []Address{{Email: "c@example.org"}} }, Limits{MaxRecipients: 1}, CodeTooManyRecipients, "to", "limit of 1"},
		{"oversize known", func(m *Message) { m.Attachments = []Attachment{{Filename: "a", Size: 2 << 20, Open: reader("")}} }, Limits{MaxBytes: 1 << 20}, CodeTooLarge, "", "1 MiB"},
		{"oversize streamed", func(m *Message) {
			m.Attachments = []Attachment{{Filename: "a", Open: reader(strings.Repeat("z", 2<<20))}}
		}, Limits{MaxBytes: 1 << 20}, CodeTooLarge, "", "larger than the limit"},
		{"bad in-reply-to", func(m *Message) { m.InReplyTo = "two words" }, Limits{}, CodeInvalid, "in_reply_to", "not a message id"},
		{"unreadable attachment", func(m *Message) {
			m.Attachments = []Attachment{{Filename: "a", Open: func() (io.ReadCloser, error) { return nil, errors.New("gone") }}}
		}, Limits{}, CodeAttachment, "attachments[0]", "gone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := ok()
			c.mut(m)
			_, err := Build(m, c.lim)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Code != c.code || e.Field != c.field || !strings.Contains(e.Error(), c.msg) {
				t.Errorf("err = %q (code %s, field %q), want code %s field %q containing %q", e, e.Code, e.Field, c.code, c.field, c.msg)
			}
		})
	}
}

func TestParseAddressList(t *testing.T) {
	l, err := ParseAddressList(`"Doe, Jane" <jane@EXAMPLE.org>, bob@example.org`)
	if err != nil || len(l) != 2 || l[0].Name != "Doe, Jane" || l[0].Email != "jane@example.org" || l[1].Email != "bob@example.org" {
		t.Fatalf("got %+v, %v", l, err)
	}
	if _, err := ParseAddressList("a@example.org,, <"); err == nil {
		t.Error("garbage accepted")
	}
	if l, err := ParseAddressList("  "); err != nil || len(l) != 0 {
		t.Errorf("blank = %v, %v", l, err)
	}
	if _, err := ParseAddress("a@example.org\r\nBcc: x@example.org"); err == nil {
		t.Error("CRLF accepted")
	}
}

func TestBuildInlineImagesAreRelated(t *testing.T) {
	b, env := build(t, &Message{
		From: Address{Email: "a@example.org"}, To: []Address{{Email: "b@example.org"}},
		Text: "Logo: ![logo](cid:logo1)", Markdown: true,
		Attachments: []Attachment{
			{Filename: "logo.png", Inline: true, ContentID: "logo1", Open: reader("\x89PNG")},
			{Filename: "report.pdf", Open: reader("%PDF")},
		},
	})
	s := string(b.Raw)
	mixed, related, alt := strings.Index(s, "multipart/mixed"), strings.Index(s, "multipart/related"), strings.Index(s, "multipart/alternative")
	if mixed < 0 || related < mixed || alt < related {
		t.Fatalf("want mixed(related(alternative, image), pdf):\n%s", s)
	}
	if !strings.Contains(s, "Content-Id: <logo1>") || !strings.Contains(env.HTML, `src="cid:logo1"`) {
		t.Errorf("inline image not referenced:\n%s", s)
	}
	if len(env.Inlines) != 1 || len(env.Attachments) != 1 || env.Attachments[0].FileName != "report.pdf" {
		t.Errorf("inlines %d attachments %d", len(env.Inlines), len(env.Attachments))
	}
}

func TestParseAddressesNamesTheField(t *testing.T) {
	_, err := ParseAddresses("cc", []string{"ok@example.org", "x\r\ny"})
	var e *Error
	if !errors.As(err, &e) || e.Field != "cc" || e.Code != CodeHeaderInjection {
		t.Fatalf("err = %v", err)
	}
	if got := clip(strings.Repeat("ä", 100)); !utf8.ValidString(got) {
		t.Errorf("clip cut a character: %q", got)
	}
}
