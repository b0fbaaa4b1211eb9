package tools

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-message"

	"github.com/mailmcp/mailmcp/compose"
	"github.com/mailmcp/mailmcp/internal/demo"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/parse"
)

// These tests send through the MCP tools to the demo service, whose SMTP
// server delivers every demo-domain recipient to the one INBOX, and read
// the delivered copies back over IMAP.

func autonomous(i *AccountInfo) { i.Policy = policy.Policy{Mode: policy.Autonomous} }

// sendHarness is a demo harness that may send without confirmation.
func sendHarness(t *testing.T, info func(*AccountInfo)) *harness {
	t.Helper()
	return newHarness(t, harnessOptions{Sending: true, Info: func(i *AccountInfo) {
		autonomous(i)
		if info != nil {
			info(i)
		}
	}})
}

// sendOK calls a sending tool that must succeed and decodes its result.
func sendOK(h *harness, tool string, args map[string]any) sendOutput {
	h.t.Helper()
	var out sendOutput
	h.Decode(tool, args, &out)
	return out
}

// copies returns the raw copies of the message with messageID in folder.
func copies(t *testing.T, m *imapconn.Manager, account, folder, messageID string) [][]byte {
	t.Helper()
	raws, _ := copiesFlags(t, m, account, folder, messageID)
	return raws
}

// copiesFlags also returns each copy's flags.
func copiesFlags(t *testing.T, m *imapconn.Manager, account, folder, messageID string) ([][]byte, [][]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := m.Pool(account)
	if err != nil {
		t.Fatal(err)
	}
	mid := strings.Trim(messageID, "<>")
	page, err := p.Search(ctx, folder, imapconn.Criteria{Header: [][2]string{{"Message-ID", mid}}}, 50, "")
	if err != nil {
		t.Fatalf("search %s for %s: %v", folder, mid, err)
	}
	var raws [][]byte
	var flags [][]string
	for _, env := range page.Messages {
		ref, err := imapconn.ParseID(env.ID)
		if err != nil {
			t.Fatal(err)
		}
		err = p.FetchRaw(ctx, ref, false, func(meta imapconn.MessageMeta, r io.Reader) error {
			b, err := io.ReadAll(r)
			raws, flags = append(raws, b), append(flags, meta.Flags)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return raws, flags
}

// inboxCount counts the demo INBOX.
func inboxCount(t *testing.T, h *harness) int {
	t.Helper()
	p, _ := h.Mail.Pool("demo")
	page, err := p.Search(context.Background(), "INBOX", imapconn.Criteria{}, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	return page.Total
}

// one returns the single copy of messageID in folder.
func one(t *testing.T, m *imapconn.Manager, account, folder, messageID string) []byte {
	t.Helper()
	c := copies(t, m, account, folder, messageID)
	if len(c) != 1 {
		t.Fatalf("%d copies of <%s> in %s/%s, want exactly 1", len(c), messageID, account, folder)
	}
	return c[0]
}

// mimePart is one entity of a delivered message, its body decoded.
type mimePart struct {
	Type, Disposition, Filename string
	Params                      map[string]string
	Body                        []byte
}

// mimeParts walks a message's MIME tree.
func mimeParts(t *testing.T, raw []byte) []mimePart {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) {
		t.Fatalf("read message: %v", err)
	}
	var out []mimePart
	err = e.Walk(func(_ []int, p *message.Entity, err error) error {
		if err != nil {
			return err
		}
		mt, params, _ := p.Header.ContentType()
		disp, dparams, _ := p.Header.ContentDisposition()
		mp := mimePart{Type: mt, Disposition: disp, Filename: dparams["filename"], Params: params}
		if !strings.HasPrefix(mt, "multipart/") {
			mp.Body, err = io.ReadAll(p.Body)
			if err != nil {
				return err
			}
		}
		out = append(out, mp)
		return nil
	})
	if err != nil {
		t.Fatalf("walk message: %v", err)
	}
	return out
}

func findPart(parts []mimePart, match func(mimePart) bool) *mimePart {
	for i := range parts {
		if match(parts[i]) {
			return &parts[i]
		}
	}
	return nil
}

// header returns the raw (unfolded, undecoded) header section of raw.
func headerOf(raw []byte) string {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		return string(raw[:i+2])
	}
	return string(raw)
}

func parseRaw(t *testing.T, raw []byte) *parse.Message {
	t.Helper()
	m, err := parse.Parse(bytes.NewReader(raw), parse.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// demoMessage returns the id, raw bytes and parsed form of the demo
// message in folder whose subject is exactly subject.
func demoMessage(t *testing.T, h *harness, folder, subject string) (string, []byte, *parse.Message) {
	t.Helper()
	ctx := context.Background()
	p, _ := h.Mail.Pool("demo")
	page, err := p.Search(ctx, folder, imapconn.Criteria{Subject: subject}, 50, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range page.Messages {
		if env.Subject != subject {
			continue
		}
		ref, _ := imapconn.ParseID(env.ID)
		var raw []byte
		if err := p.FetchRaw(ctx, ref, false, func(_ imapconn.MessageMeta, r io.Reader) (err error) {
			raw, err = io.ReadAll(r)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return env.ID, raw, parseRaw(t, raw)
	}
	t.Fatalf("no message %q in %s", subject, folder)
	return "", nil, nil
}

// partBytes extracts one part's decoded content.
func partBytes(t *testing.T, raw []byte, partID string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := parse.ExtractPart(bytes.NewReader(raw), partID, &buf, 50<<20); err != nil {
		t.Fatalf("extract part %s: %v", partID, err)
	}
	return buf.Bytes()
}

// outboxItems lists the outbox through the tool.
func outboxItems(h *harness, args map[string]any) []sendOutput {
	h.t.Helper()
	var out outboxStatusOutput
	if args == nil {
		args = map[string]any{}
	}
	h.Decode("outbox_status", args, &out)
	return out.Items
}

const contractSubject = "Service agreement v3 for your review"

func TestSendEmailCcBccMarkdownAttachments(t *testing.T) {
	dir := t.TempDir()
	report := []byte("quarterly figures\nline two\n")
	if err := os.WriteFile(filepath.Join(dir, "Bericht März.txt"), report, 0o600); err != nil {
		t.Fatal(err)
	}
	h := sendHarness(t, func(i *AccountInfo) { i.AttachmentDir = dir })
	origID, origRaw, orig := demoMessage(t, h, "INBOX", contractSubject)
	if len(orig.Attachments) == 0 {
		t.Fatal("the demo contract has no attachment")
	}
	pdf := orig.Attachments[0]

	out := sendOK(h, "send_email", map[string]any{
		"to":       []any{"Friend <friend@demo.mailmcp.test>"},
		"cc":       []any{"carbon@demo.mailmcp.test"},
		"bcc":      []any{"hidden@demo.mailmcp.test"},
		"subject":  "Zahlen für März ✓",
		"body":     "Hello **world**\n\n- one\n- two\n",
		"markdown": true,
		"attachments": []any{"Bericht März.txt",
			map[string]any{"message_id": origID, "part": pdf.PartID}},
		"idempotency_key": "cc-bcc-1",
	})
	if out.Status != "sent" || out.Duplicate || out.SentCopy != "saved" {
		t.Fatalf("send_email: %+v", out)
	}
	slices.Sort(out.Accepted)
	if want := []string{"carbon@demo.mailmcp.test", "friend@demo.mailmcp.test", "hidden@demo.mailmcp.test"}; !slices.Equal(out.Accepted, want) {
		t.Errorf("accepted %v, want %v (the Bcc recipient is in the envelope)", out.Accepted, want)
	}
	if !strings.HasSuffix(out.MessageID, "@demo.mailmcp.test") {
		t.Errorf("Message-ID %q is not on the sender's domain", out.MessageID)
	}

	raw := one(t, h.Mail, "demo", "INBOX", out.MessageID)
	hdr := headerOf(raw)
	if strings.Contains(strings.ToLower(hdr), "\nbcc:") || strings.Contains(hdr, "hidden@") {
		t.Errorf("the delivered copy reveals the Bcc recipient:\n%s", hdr)
	}
	for _, want := range []string{"\r\nCc: ", "\r\nDate: ", "\r\nMime-Version: 1.0", "=?utf-8?"} {
		if !strings.Contains(strings.ToLower(hdr), strings.ToLower(want)) {
			t.Errorf("delivered header lacks %q:\n%s", want, hdr)
		}
	}
	for i := 0; i < len(hdr); i++ {
		if hdr[i] >= 0x80 {
			t.Fatalf("raw 8-bit byte in the header (non-ASCII must be RFC 2047 encoded):\n%s", hdr)
		}
	}
	m := parseRaw(t, raw)
	if m.Subject != "Zahlen für März ✓" || len(m.Cc) != 1 || len(m.Bcc) != 0 {
		t.Errorf("parsed copy: subject %q cc %v bcc %v", m.Subject, m.Cc, m.Bcc)
	}

	parts := mimeParts(t, raw)
	if findPart(parts, func(p mimePart) bool { return p.Type == "multipart/alternative" }) == nil {
		t.Error("no multipart/alternative for the Markdown body")
	}
	html := findPart(parts, func(p mimePart) bool { return p.Type == "text/html" })
	if html == nil || !strings.Contains(string(html.Body), "<strong>world</strong>") || !strings.Contains(string(html.Body), "<li>one</li>") {
		t.Errorf("HTML alternative missing or not rendered from Markdown: %+v", html)
	}
	plain := findPart(parts, func(p mimePart) bool { return p.Type == "text/plain" && p.Disposition != "attachment" })
	if plain == nil || !strings.Contains(string(plain.Body), "Hello **world**") {
		t.Errorf("plain text part: %+v", plain)
	}
	file := findPart(parts, func(p mimePart) bool { return p.Filename == "Bericht März.txt" })
	if file == nil || !bytes.Equal(bytes.ReplaceAll(file.Body, []byte("\r\n"), []byte("\n")), report) {
		t.Errorf("file attachment missing or changed: %+v", file)
	}
	if !strings.Contains(string(raw), "filename*=") {
		t.Error("the non-ASCII file name is not RFC 2231 encoded")
	}
	fromMsg := findPart(parts, func(p mimePart) bool { return p.Filename == pdf.Filename })
	if fromMsg == nil || !bytes.Equal(fromMsg.Body, partBytes(t, origRaw, pdf.PartID)) {
		t.Errorf("attachment %s taken from message %s missing or changed", pdf.Filename, origID)
	}

	// The Sent copy is the same message, filed once.
	if sent := one(t, h.Mail, "demo", "Sent", out.MessageID); !bytes.Contains(sent, []byte("Zahlen")) {
		t.Error("Sent copy has the wrong content")
	}
}

func TestSendEmailAttachmentPathOutsideRefused(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o600)
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o700)
	h := sendHarness(t, func(i *AccountInfo) { i.AttachmentDir = dir })
	before := inboxCount(t, h)
	for _, path := range []string{"../" + filepath.Base(outside) + "/secret.txt", "sub/../../x", filepath.Join(outside, "secret.txt"), "link.txt", "/etc/passwd"} {
		msg := h.Fail("send_email", map[string]any{"to": []any{friend}, "subject": "leak", "body": "x", "attachments": []any{path}})
		if !strings.Contains(msg, "path_outside") || !strings.Contains(msg, "Nothing was sent or queued") {
			t.Errorf("attachment %q: %s", path, msg)
		}
	}
	if msg := h.Fail("send_email", map[string]any{"to": []any{friend}, "subject": "leak", "body": "x", "attachments": []any{"missing.txt"}}); !strings.Contains(msg, "does not exist") {
		t.Errorf("missing file: %s", msg)
	}
	if items := outboxItems(h, nil); len(items) != 0 {
		t.Errorf("refused sends left outbox items: %+v", items)
	}
	if after := inboxCount(t, h); after != before {
		t.Errorf("INBOX went from %d to %d messages", before, after)
	}
}

// threadMessage is a message from a demo-domain correspondent, two
// replies deep, to Dana and another person with Dana (in capitals) in Cc.
const threadMessage = "From: Friend <friend@demo.mailmcp.test>\r\n" +
	"To: Dana Demo <dana@demo.mailmcp.test>, Other <other@demo.mailmcp.test>\r\n" +
	"Cc: third@demo.mailmcp.test, DANA@demo.mailmcp.test\r\n" +
	"Subject: RE: Re: Plans for Friday\r\n" +
	"Date: Mon, 02 Nov 2026 10:00:00 +0100\r\n" +
	"Message-ID: <c3.thread@demo.mailmcp.test>\r\n" +
	"In-Reply-To: <b2.thread@demo.mailmcp.test>\r\n" +
	"References: <a1.thread@example.org>\r\n <b2.thread@demo.mailmcp.test>\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
	"Shall we move it to Saturday?\r\n"

func TestReplyThreadsAndFlagsAnswered(t *testing.T) {
	h := sendHarness(t, nil)
	if err := h.Demo.Deliver("INBOX", []byte(threadMessage), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	origID, _, _ := demoMessage(t, h, "INBOX", "RE: Re: Plans for Friday")

	out := sendOK(h, "reply", map[string]any{"id": origID, "body": "Saturday works.", "idempotency_key": "r1"})
	if out.Status != "sent" || !slices.Equal(out.Accepted, []string{"friend@demo.mailmcp.test"}) {
		t.Fatalf("reply: %+v", out)
	}
	m := parseRaw(t, one(t, h.Mail, "demo", "INBOX", out.MessageID))
	if m.Subject != "Re: Plans for Friday" {
		t.Errorf("subject %q, want one Re:", m.Subject)
	}
	if m.InReplyTo != "<c3.thread@demo.mailmcp.test>" {
		t.Errorf("In-Reply-To %q", m.InReplyTo)
	}
	if want := []string{"<a1.thread@example.org>", "<b2.thread@demo.mailmcp.test>", "<c3.thread@demo.mailmcp.test>"}; !slices.Equal(m.References, want) {
		t.Errorf("References %v, want %v", m.References, want)
	}
	if len(m.To) != 1 || m.To[0].Email != "friend@demo.mailmcp.test" || len(m.Cc) != 0 {
		t.Errorf("reply recipients To %v Cc %v", m.To, m.Cc)
	}
	if !strings.Contains(m.Text, "Saturday works.") || !strings.Contains(m.Text, "> Shall we move it to Saturday?") {
		t.Errorf("reply text does not quote the original:\n%s", m.Text)
	}
	_, flags := copiesFlags(t, h.Mail, "demo", "INBOX", "c3.thread@demo.mailmcp.test")
	if len(flags) != 1 || !slices.Contains(flags[0], "answered") {
		t.Errorf("original's flags after the reply: %v, want \\Answered", flags)
	}

	all := sendOK(h, "reply", map[string]any{"id": origID, "body": "All of us.", "reply_all": true, "quote": false})
	slices.Sort(all.Accepted)
	if want := []string{"friend@demo.mailmcp.test", "other@demo.mailmcp.test", "third@demo.mailmcp.test"}; all.Status != "sent" || !slices.Equal(all.Accepted, want) {
		t.Fatalf("reply_all: accepted %v (status %s), want %v without the account's own address", all.Accepted, all.Status, want)
	}
	m = parseRaw(t, one(t, h.Mail, "demo", "INBOX", all.MessageID))
	if len(m.To) != 1 || m.To[0].Email != "friend@demo.mailmcp.test" || len(m.Cc) != 2 {
		t.Errorf("reply_all headers To %v Cc %v", m.To, m.Cc)
	}
	if strings.Contains(m.Text, "> Shall we") {
		t.Error("quote=false still quoted the original")
	}
}

func TestForwardInlineAndAsAttachment(t *testing.T) {
	h := sendHarness(t, nil)
	origID, origRaw, orig := demoMessage(t, h, "INBOX", contractSubject)
	pdf := orig.Attachments[0]
	want := partBytes(t, origRaw, pdf.PartID)

	in := sendOK(h, "forward", map[string]any{"id": origID, "to": []any{friend}, "note": "FYI, see below."})
	if in.Status != "sent" {
		t.Fatalf("forward inline: %+v", in)
	}
	raw := one(t, h.Mail, "demo", "INBOX", in.MessageID)
	m := parseRaw(t, raw)
	if m.Subject != "Fwd: "+contractSubject {
		t.Errorf("subject %q", m.Subject)
	}
	for _, s := range []string{"FYI, see below.", "---------- Forwarded message ----------", "From: Jonas Weber", "version 3 of the"} {
		if !strings.Contains(m.Text, s) {
			t.Errorf("inline forward lacks %q:\n%s", s, m.Text)
		}
	}
	if len(m.Attachments) != len(orig.Attachments) {
		t.Fatalf("inline forward has %d attachments, the original %d", len(m.Attachments), len(orig.Attachments))
	}
	if a := m.Attachments[0]; a.Filename != pdf.Filename || !bytes.Equal(partBytes(t, raw, a.PartID), want) {
		t.Errorf("re-attached %q differs from the original's %q", a.Filename, pdf.Filename)
	}

	att := sendOK(h, "forward", map[string]any{"id": origID, "to": []any{friend}, "as_attachment": true})
	if att.Status != "sent" {
		t.Fatalf("forward as attachment: %+v", att)
	}
	raw = one(t, h.Mail, "demo", "INBOX", att.MessageID)
	rfc822 := findPart(mimeParts(t, raw), func(p mimePart) bool { return p.Type == "message/rfc822" })
	if rfc822 == nil {
		t.Fatal("no message/rfc822 part")
	}
	if !bytes.Contains(rfc822.Body, []byte(orig.MessageID)) {
		t.Error("the attached message is not the original")
	}
	m = parseRaw(t, raw)
	if len(m.Nested) != 1 || len(m.Nested[0].Attachments) != len(orig.Attachments) {
		t.Fatalf("attached original: %d nested, attachments %+v", len(m.Nested), m.Nested)
	}
	if a := m.Nested[0].Attachments[0]; !bytes.Equal(partBytes(t, raw, a.PartID), want) {
		t.Error("the attached original's PDF differs")
	}
}

const draftMessageRaw = "From: Dana Demo <dana@demo.mailmcp.test>\r\n" +
	"To: Friend <friend@demo.mailmcp.test>\r\n" +
	"Bcc: hidden@demo.mailmcp.test\r\n" +
	"Subject: Draft ready to go\r\n" +
	"Date: Mon, 02 Nov 2026 10:00:00 +0100\r\n" +
	"Message-ID: <draft-1@demo.mailmcp.test>\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
	"Finished at last.\r\n"

func TestSendDraftTwiceSendsOnce(t *testing.T) {
	h := sendHarness(t, nil)
	// Stored as mailmcp's save_draft stores it: a draft mailmcp saved is
	// sent as it stands.
	if err := h.Demo.Deliver("Drafts", []byte(draftMessageRaw), []imap.Flag{imap.FlagDraft, imap.FlagSeen}, time.Now()); err != nil {
		t.Fatal(err)
	}
	recordSaved(context.Background(), h.Deps, "demo", "draft-1@demo.mailmcp.test", []byte(draftMessageRaw))
	id, _, _ := demoMessage(t, h, "Drafts", "Draft ready to go")
	first := sendOK(h, "send_draft", map[string]any{"id": id})
	slices.Sort(first.Accepted)
	if first.Status != "sent" || first.Duplicate || !slices.Equal(first.Accepted, []string{"friend@demo.mailmcp.test", "hidden@demo.mailmcp.test"}) {
		t.Fatalf("send_draft: %+v", first)
	}
	second := sendOK(h, "send_draft", map[string]any{"id": id})
	if !second.Duplicate || second.OutboxID != first.OutboxID || second.Status != "sent" {
		t.Fatalf("second send_draft: %+v (first %s)", second, first.OutboxID)
	}
	raw := one(t, h.Mail, "demo", "INBOX", "draft-1@demo.mailmcp.test")
	if strings.Contains(headerOf(raw), "hidden@") {
		t.Errorf("the sent draft reveals its Bcc:\n%s", headerOf(raw))
	}
	if n := len(copies(t, h.Mail, "demo", "Drafts", "draft-1@demo.mailmcp.test")); n != 0 {
		t.Errorf("%d drafts left after sending", n)
	}
	if n := len(copies(t, h.Mail, "demo", "Sent", "draft-1@demo.mailmcp.test")); n != 1 {
		t.Errorf("%d Sent copies, want 1", n)
	}
	// The draft is gone; a new key cannot resend it.
	if msg := h.Fail("send_draft", map[string]any{"id": id, "idempotency_key": "other"}); !strings.Contains(msg, "not_found") {
		t.Errorf("send_draft of a sent draft with a new key: %s", msg)
	}
	if n := len(copies(t, h.Mail, "demo", "INBOX", "draft-1@demo.mailmcp.test")); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
}

func TestIdempotencyKeySendsOnce(t *testing.T) {
	h := sendHarness(t, nil)
	args := map[string]any{"to": []any{friend}, "subject": "Only once please", "body": "x", "idempotency_key": "k-once"}
	first := sendOK(h, "send_email", args)
	if first.Status != "sent" || first.Duplicate {
		t.Fatalf("first: %+v", first)
	}
	// A retry reports the first send.
	again := sendOK(h, "send_email", args)
	if !again.Duplicate || again.OutboxID != first.OutboxID || again.MessageID != first.MessageID || again.Status != "sent" {
		t.Fatalf("retry: %+v", again)
	}
	// The same key with a changed body is another message: a conflict, not
	// a silent "already sent" (issue 14, item 9).
	args["body"] = "changed"
	if msg := h.Fail("send_email", args); !strings.Contains(msg, "conflict") || !strings.Contains(msg, "nothing was sent") {
		t.Fatalf("changed body, same key: %s", msg)
	}

	// Concurrent calls with one key: one submission.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var outs []sendOutput
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out sendOutput
			h.Decode("send_email", map[string]any{"to": []any{friend}, "subject": "Raced once", "body": "y", "idempotency_key": "k-race"}, &out)
			mu.Lock()
			outs = append(outs, out)
			mu.Unlock()
		}()
	}
	wg.Wait()
	fresh := 0
	for _, o := range outs {
		if !o.Duplicate {
			fresh++
		}
		if o.OutboxID != outs[0].OutboxID {
			t.Errorf("one key, two outbox items: %s and %s", o.OutboxID, outs[0].OutboxID)
		}
	}
	if fresh != 1 {
		t.Errorf("%d of 6 concurrent calls report a new send, want 1", fresh)
	}
	if n := len(copies(t, h.Mail, "demo", "INBOX", first.MessageID)); n != 1 {
		t.Errorf("key k-once: %d deliveries", n)
	}
	if n := len(copies(t, h.Mail, "demo", "INBOX", outs[0].MessageID)); n != 1 {
		t.Errorf("key k-race: %d deliveries", n)
	}
	if items := outboxItems(h, nil); len(items) != 2 {
		t.Errorf("outbox has %d items, want 2", len(items))
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// forward accepts on addr and relays each connection to target until the
// test ends.
func relay(t *testing.T, addr, target string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go io.Copy(s, c)
				io.Copy(c, s)
			}()
		}
	}()
}

func TestQueuedSendCancelAndOutboxStatus(t *testing.T) {
	port := closedPort(t)
	h := newHarness(t, harnessOptions{Sending: true, Info: autonomous,
		Account: func(a *imapconn.Account) { a.SMTP.Port = port }})
	q := sendOK(h, "send_email", map[string]any{"to": []any{friend}, "subject": "Stuck for now", "body": "x"})
	if q.Status != "queued" || q.OutboxID == "" || q.LastError == "" || q.NextAttempt == "" || q.Attempts != 1 {
		t.Fatalf("send to a closed SMTP port: %+v", q)
	}
	if items := outboxItems(h, map[string]any{"status": "queued"}); len(items) != 1 || items[0].OutboxID != q.OutboxID {
		t.Fatalf("outbox_status status=queued: %+v", items)
	}
	c := sendOK(h, "cancel_send", map[string]any{"outbox_id": q.OutboxID})
	if c.Status != "cancelled" {
		t.Fatalf("cancel_send: %+v", c)
	}
	if again := sendOK(h, "cancel_send", map[string]any{"outbox_id": q.OutboxID}); again.Status != "cancelled" {
		t.Errorf("cancelling twice: %+v", again)
	}

	// The server comes back: new mail goes out, the cancelled one never.
	relay(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), h.Demo.SMTPAddr)
	s := sendOK(h, "send_email", map[string]any{"to": []any{friend}, "subject": "Goes out", "body": "y"})
	if s.Status != "sent" {
		t.Fatalf("send after the server returned: %+v", s)
	}
	msg := h.Fail("cancel_send", map[string]any{"outbox_id": s.OutboxID})
	if !strings.Contains(msg, "already sent") {
		t.Errorf("cancelling a sent message: %s", msg)
	}
	if msg := h.Fail("cancel_send", map[string]any{"outbox_id": "ob000nope"}); !strings.Contains(msg, "not_found") {
		t.Errorf("unknown id: %s", msg)
	}
	h.Deps.Outbox.Wake()
	time.Sleep(200 * time.Millisecond)
	if n := len(copies(t, h.Mail, "demo", "INBOX", q.MessageID)); n != 0 {
		t.Errorf("the cancelled message was delivered %d times", n)
	}

	items := outboxItems(h, nil)
	if len(items) != 2 || items[0].OutboxID != s.OutboxID || items[0].Status != "sent" || items[1].Status != "cancelled" {
		t.Fatalf("outbox_status: %+v", items)
	}
	one := outboxItems(h, map[string]any{"outbox_id": q.OutboxID})
	if len(one) != 1 || one[0].Subject != "Stuck for now" || len(one[0].Refused) != 1 {
		t.Errorf("outbox_status outbox_id: %+v", one)
	}
	if msg := h.Fail("outbox_status", map[string]any{"outbox_id": "ob000nope"}); !strings.Contains(msg, "not_found") {
		t.Errorf("outbox_status of an unknown id: %s", msg)
	}
}

func TestSendBadInputQueuesNothing(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "big.bin"), bytes.Repeat([]byte{0xA5}, 48<<10), 0o600)
	h := sendHarness(t, func(i *AccountInfo) {
		i.MaxRecipients, i.MaxMessageBytes, i.AttachmentDir = 3, 32<<10, dir
	})
	before := inboxCount(t, h)
	base := func(kv ...any) map[string]any {
		m := map[string]any{"to": []any{friend}, "subject": "ok", "body": "ok"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name, tool string
		args       map[string]any
		want       []string
	}{
		{"CRLF in subject", "send_email", base("subject", "Hi\r\nBcc: evil@demo.mailmcp.test"), []string{"header_injection", "subject"}},
		{"LF in subject", "send_email", base("subject", "Hi\nthere"), []string{"header_injection", "subject"}},
		{"CRLF in a display name", "send_email", base("to", []any{"Ann\r\nBcc: evil@demo.mailmcp.test <ann@demo.mailmcp.test>"}), []string{"header_injection"}},
		{"invalid address", "send_email", base("to", []any{"not-an-address"}), []string{"invalid_address", "not-an-address"}},
		{"invalid cc", "send_email", base("cc", []any{"bob@"}), []string{"invalid_address", "cc"}},
		{"invalid reply_to", "send_email", base("reply_to", []any{"a b c"}), []string{"invalid_address", "reply_to"}},
		{"too many recipients", "send_email", base("to", []any{"a@demo.mailmcp.test", "b@demo.mailmcp.test"}, "cc", []any{"c@demo.mailmcp.test"}, "bcc", []any{"d@demo.mailmcp.test"}),
			[]string{"too_many_recipients", "4 recipients", "limit of 3"}},
		{"oversize body", "send_email", base("body", strings.Repeat("long line of text ", 3000)), []string{"too_large"}},
		{"oversize attachment", "send_email", base("attachments", []any{"big.bin"}), []string{"too_large"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := h.Fail(c.tool, c.args)
			for _, w := range append(c.want, "Nothing was sent or queued") {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q: %s", w, msg)
				}
			}
		})
	}
	if items := outboxItems(h, nil); len(items) != 0 {
		t.Errorf("bad input queued %d items: %+v", len(items), items)
	}
	if after := inboxCount(t, h); after != before {
		t.Errorf("bad input delivered %d messages", after-before)
	}
}

func TestSaveDraftThenSendDraft(t *testing.T) {
	h := sendHarness(t, nil)
	if err := h.Demo.Deliver("INBOX", []byte(threadMessage), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	origID, _, _ := demoMessage(t, h, "INBOX", "RE: Re: Plans for Friday")
	var saved saveDraftOutput
	h.Decode("save_draft", map[string]any{"to": []any{friend}, "bcc": []any{"hidden@demo.mailmcp.test"},
		"subject": "Re: Plans for Friday", "body": "Draft of my answer.", "in_reply_to": origID}, &saved)
	out := sendOK(h, "send_draft", map[string]any{"id": saved.DraftID})
	slices.Sort(out.Accepted)
	if out.Status != "sent" || !slices.Equal(out.Accepted, []string{"friend@demo.mailmcp.test", "hidden@demo.mailmcp.test"}) {
		t.Fatalf("send_draft of a saved draft: %+v", out)
	}
	raw := one(t, h.Mail, "demo", "INBOX", saved.MessageID)
	if strings.Contains(headerOf(raw), "hidden@") {
		t.Errorf("the sent draft reveals its Bcc:\n%s", headerOf(raw))
	}
	if m := parseRaw(t, raw); m.InReplyTo != "<c3.thread@demo.mailmcp.test>" || len(m.References) != 3 {
		t.Errorf("the sent draft does not thread: In-Reply-To %q References %v", m.InReplyTo, m.References)
	}
	if again := sendOK(h, "send_draft", map[string]any{"id": saved.DraftID}); !again.Duplicate || again.OutboxID != out.OutboxID {
		t.Errorf("second send_draft: %+v", again)
	}
	if n := len(copies(t, h.Mail, "demo", "Drafts", saved.MessageID)); n != 0 {
		t.Errorf("%d drafts left after sending", n)
	}
	if n := len(copies(t, h.Mail, "demo", "INBOX", saved.MessageID)); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
}

// TestDraftMessageTakesDefaultLimits: an account without configured limits
// gets compose's defaults for drafts too, as for every other send.
func TestDraftMessageTakesDefaultLimits(t *testing.T) {
	var to []string
	for i := 0; i <= compose.DefaultMaxRecipients; i++ {
		to = append(to, "r"+strconv.Itoa(i)+"@demo.mailmcp.test")
	}
	raw := "To: " + strings.Join(to, ", ") + "\r\nSubject: many\r\nMessage-ID: <many@demo.mailmcp.test>\r\n\r\nhi\r\n"
	_, _, err := draftMessage([]byte(raw), AccountInfo{ID: "demo", Email: demo.Email})
	var ce *compose.Error
	if !errors.As(err, &ce) || ce.Code != compose.CodeTooManyRecipients {
		t.Fatalf("a draft to %d recipients on an account without limits: %v", len(to), err)
	}
	big := "To: friend@demo.mailmcp.test\r\nMessage-ID: <big@demo.mailmcp.test>\r\n\r\n" + strings.Repeat("x", int(compose.DefaultMaxBytes))
	if _, _, err := draftMessage([]byte(big), AccountInfo{ID: "demo", Email: demo.Email}); !errors.As(err, &ce) || ce.Code != compose.CodeTooLarge {
		t.Fatalf("a draft over %d bytes on an account without limits: %v", compose.DefaultMaxBytes, err)
	}
}

// TestSendDraftOfAnotherAccount: a draft id of one account used with
// another account's name is refused with a hint, not an internal error.
func TestSendDraftOfAnotherAccount(t *testing.T) {
	h := sendHarness(t, nil)
	id := imapconn.MessageRef{Account: "other", Folder: "Drafts", UIDValidity: 1, UID: 1}.ID()
	msg := h.Fail("send_draft", map[string]any{"account": "demo", "id": id})
	if !strings.Contains(msg, "belongs to account other") || !strings.Contains(msg, "Pass account other") {
		t.Errorf("send_draft with a foreign draft id: %s", msg)
	}
}
