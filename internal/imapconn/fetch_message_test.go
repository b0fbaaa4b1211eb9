package imapconn_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/parse"
)

// attachmentBytes is deterministic incompressible content of n bytes.
func attachmentBytes(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// withAttachment builds a message with a text body, an HTML alternative
// and one base64 attachment (RFC 2231 non-ASCII file name).
func withAttachment(subject string, att []byte) string {
	var b strings.Builder
	b.WriteString("From: Alice <alice@example.org>\r\nTo: bob@example.test\r\nSubject: " + subject + "\r\n" +
		"Date: Mon, 02 Nov 2026 10:00:00 +0100\r\nMessage-ID: <big@example.org>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n" +
		"--outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n" +
		"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe quarterly report is attached.\r\n" +
		"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The <b>quarterly report</b> is attached.</p>\r\n" +
		"--alt--\r\n" +
		"--outer\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment; filename*=utf-8''Bericht-M%C3%A4rz.pdf\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(att)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--outer--\r\n")
	return b.String()
}

// firstID is the reference of folder's newest message.
func firstID(tb testing.TB, p *imapconn.Pool, folder string) imapconn.MessageRef {
	tb.Helper()
	page, err := p.Search(context.Background(), folder, imapconn.Criteria{}, 1, "")
	if err != nil || len(page.Messages) == 0 {
		tb.Fatalf("search %s: %v", folder, err)
	}
	ref, err := imapconn.ParseID(page.Messages[0].ID)
	if err != nil {
		tb.Fatal(err)
	}
	return ref
}

// TestFetchMessageDownloadsOnlyTextParts: rendering a message with a 25 MB
// attachment reads a few kilobytes from the server, lists the attachment
// with its size, and leaves the message unread; the attachment itself
// then streams intact through FetchPart.
func TestFetchMessageDownloadsOnlyTextParts(t *testing.T) { eachBackend(t, testStructureFirst) }

func testStructureFirst(t *testing.T, b *backend) {
	if testing.Short() {
		t.Skip("25 MB message")
	}
	att := attachmentBytes(25 << 20)
	raw := withAttachment("Quarterly report", att)
	b.fill(t, "Big", 0, num)
	b.add(t, "Big", raw)
	px := newProxy(t, b.addr)
	// The test counts bytes, not seconds: streaming 25 MB under the race
	// detector on a loaded machine can outlast the 30 s default deadline.
	p := b.pool(t, px.addr(), func(a *imapconn.Account) { a.CommandTimeout = 3 * time.Minute })
	ctx := context.Background()
	ref := firstID(t, p, "Big")

	before := px.down.Load()
	f, err := p.FetchMessage(ctx, ref, imapconn.FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	read := px.down.Load() - before
	t.Logf("%s: rendering a %d-byte message read %d bytes from the server", b.name, len(raw), read)
	if read > 64<<10 {
		t.Errorf("rendering read %d bytes from the server; only the structure, headers and text (a few KB) are needed", read)
	}
	m := f.Message
	if f.Fallback != "" || m.Subject != "Quarterly report" || !strings.Contains(m.Text, "quarterly report is attached") {
		t.Fatalf("fallback=%q subject=%q text=%q", f.Fallback, m.Subject, m.Text)
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("attachments: %+v", m.Attachments)
	}
	a := m.Attachments[0]
	if a.PartID != "2" || a.Filename != "Bericht-März.pdf" || a.MediaType != "application/pdf" {
		t.Errorf("attachment listed as %+v", a)
	}
	if d := a.Size - int64(len(att)); d < -int64(len(att))/100 || d > int64(len(att))/100 {
		t.Errorf("attachment size %d, want about %d", a.Size, len(att))
	}
	if f.Meta.Size < int64(len(raw)) || slices.Contains(f.Meta.Flags, "seen") {
		t.Errorf("meta %+v", f.Meta)
	}

	// A limit below the size fails before the body is requested.
	before = px.down.Load()
	_, err = p.FetchPart(ctx, ref, "2", 1<<20, io.Discard)
	var tl *imapconn.ErrPartTooLarge
	if !errors.As(err, &tl) || !errors.Is(err, parse.ErrTooLarge) || tl.Size < 25<<20-(1<<20) {
		t.Fatalf("over-limit part: %v", err)
	}
	if n := px.down.Load() - before; n > 64<<10 {
		t.Errorf("refusing an over-limit part read %d bytes", n)
	}
	h := sha256.New()
	pc, err := p.FetchPart(ctx, ref, "2", 30<<20, h)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(att)
	if !bytes.Equal(h.Sum(nil), want[:]) || pc.Info.Size != int64(len(att)) || pc.Info.Filename != "Bericht-März.pdf" || pc.Fallback != "" {
		t.Fatalf("streamed part differs: %+v", pc)
	}
	// Text parts stream too; bad ids are told apart.
	var buf bytes.Buffer
	if pc, err := p.FetchPart(ctx, ref, "1.2", 1<<20, &buf); err != nil || pc.Info.MediaType != "text/html" || !strings.Contains(buf.String(), "<b>quarterly") {
		t.Errorf("text part: %v %+v %q", err, pc, buf.String())
	}
	if _, err := p.FetchPart(ctx, ref, "7", 1<<20, io.Discard); fault.KindOf(err) != fault.NotFound {
		t.Errorf("missing part: %v", err)
	}
	if _, err := p.FetchPart(ctx, ref, "1", 1<<20, io.Discard); fault.KindOf(err) != fault.Invalid {
		t.Errorf("multipart container: %v", err)
	}
	if _, err := p.FetchPart(ctx, ref, "../2", 1<<20, io.Discard); fault.KindOf(err) != fault.Invalid {
		t.Errorf("bad part id: %v", err)
	}

	// Nothing so far marked it read; mark_read does.
	if f, err := p.FetchMessage(ctx, ref, imapconn.FetchOptions{}); err != nil || slices.Contains(f.Meta.Flags, "seen") {
		t.Fatalf("\\Seen set without mark_read: %v %v", err, f.Meta.Flags)
	}
	if _, err := p.FetchMessage(ctx, ref, imapconn.FetchOptions{MarkRead: true}); err != nil {
		t.Fatal(err)
	}
	if f, err := p.FetchMessage(ctx, ref, imapconn.FetchOptions{}); err != nil || !slices.Contains(f.Meta.Flags, "seen") {
		t.Fatalf("mark_read did not set \\Seen: %v %v", err, f.Meta.Flags)
	}
}

// TestFetchMessageFallsBackOnBrokenBodystructure: a server whose
// BODYSTRUCTURE reply cannot be decoded still gets the message rendered
// (from the raw message, said in problems) and its parts extracted.
func TestFetchMessageFallsBackOnBrokenBodystructure(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		if b.stack != nil {
			t.Skip("rewriting replies needs a plaintext server")
		}
		att := attachmentBytes(3000)
		b.fill(t, "Broken", 0, num)
		b.add(t, "Broken", withAttachment("Odd server", att))
		px := newRewritingProxy(t, b.addr, breakBodystructure)
		p := b.pool(t, px.addr(), nil)
		ctx := context.Background()
		ref := firstID(t, p, "Broken")
		px.rewriting.Store(true)
		f, err := p.FetchMessage(ctx, ref, imapconn.FetchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		m := f.Message
		if f.Fallback == "" || !strings.Contains(m.Text, "quarterly report is attached") || len(m.Attachments) != 1 || m.Attachments[0].Size != 3000 {
			t.Fatalf("fallback=%q text=%q attachments=%+v", f.Fallback, m.Text, m.Attachments)
		}
		if !slices.ContainsFunc(m.Problems, func(p parse.Problem) bool { return p.Kind == "structure" }) {
			t.Errorf("the fallback is not reported in problems: %+v", m.Problems)
		}
		h := sha256.New()
		pc, err := p.FetchPart(ctx, ref, "2", 1<<20, h)
		want := sha256.Sum256(att)
		if err != nil || pc.Fallback == "" || !bytes.Equal(h.Sum(nil), want[:]) || pc.Info.Filename != "Bericht-März.pdf" {
			t.Fatalf("part via fallback: %v %+v", err, pc)
		}
		if _, err := p.FetchPart(ctx, ref, "5", 1<<20, io.Discard); fault.KindOf(err) != fault.NotFound {
			t.Errorf("missing part via fallback: %v", err)
		}
		if f, err := p.FetchMessage(ctx, ref, imapconn.FetchOptions{}); err != nil || slices.Contains(f.Meta.Flags, "seen") {
			t.Errorf("fallback set \\Seen: %v", err)
		}
	})
}

// TestFetchMessageMatchesRawParse: for every golden message, rendering
// from BODYSTRUCTURE + text parts gives what parsing the server's raw copy
// gives (sizes of undownloaded parts are estimates).
func TestFetchMessageMatchesRawParse(t *testing.T) {
	files, err := filepath.Glob("../../testdata/corpus/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden messages: %v", err)
	}
	eachBackend(t, func(t *testing.T, b *backend) {
		b.fill(t, "Corpus", 0, num)
		p := b.pool(t, b.addr, nil)
		ctx := context.Background()
		compared := 0
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b.add(t, "Corpus", string(raw))
			name := filepath.Base(f)
			page, err := p.Search(ctx, "Corpus", imapconn.Criteria{}, 1, "")
			if err == nil && len(page.Messages) == 0 {
				t.Fatalf("%s: not found", name)
			}
			if err != nil {
				if b.stack == nil {
					// imapmemserver cannot build an envelope for a few
					// malformed messages and drops the connection.
					t.Logf("%s: the in-process server cannot serve it: %v", name, err)
					continue
				}
				t.Fatalf("%s: %v", name, err)
			}
			ref, _ := imapconn.ParseID(page.Messages[0].ID)
			var want *parse.Message
			if err := p.FetchRaw(ctx, ref, false, func(_ imapconn.MessageMeta, r io.Reader) error {
				want, err = parse.Parse(r, parse.ParseOptions{})
				return err
			}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got, err := p.FetchMessage(ctx, ref, imapconn.FetchOptions{})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got.Fallback != "" {
				t.Logf("%s: fell back to the raw message: %s", name, got.Fallback)
				got.Message.Problems = got.Message.Problems[:len(got.Message.Problems)-1]
			}
			if why, ok := memserverDiverges[name]; ok && b.stack == nil {
				t.Logf("%s: not compared on the in-process server: %s", name, why)
				continue
			}
			compareRendering(t, name, want, got.Message)
			compared++
		}
		if compared < len(files)*3/4 {
			t.Errorf("only %d of %d messages compared", compared, len(files))
		}
	})
}

// memserverDiverges are messages whose BODYSTRUCTURE from imapmemserver
// (go-message's MIME reader) disagrees with the raw MIME; Dovecot's agrees.
var memserverDiverges = map[string]string{
	"letters__test_japanese_multipart_related_euc-jp_over_base64.eml": "a base64-encoded multipart is described as one text part",
	"stalwart-mail-parser__thirdparty__005.eml":                       "text after a malformed close delimiter is dropped",
}

func compareRendering(t *testing.T, name string, want, got *parse.Message) {
	t.Helper()
	if got.Subject != want.Subject || got.Text != want.Text || got.PlainText != want.PlainText || got.BodySource != want.BodySource {
		t.Errorf("%q: body differs\n got %q (%s)\nwant %q (%s)", name, trim(got.Text), got.BodySource, trim(want.Text), want.BodySource)
	}
	if len(got.Attachments) != len(want.Attachments) {
		t.Errorf("%q: %d attachments, want %d: %+v vs %+v", name, len(got.Attachments), len(want.Attachments), got.Attachments, want.Attachments)
		return
	}
	for i, g := range got.Attachments {
		w := want.Attachments[i]
		gs, ws := g.Size, w.Size
		g.Size, w.Size = 0, 0
		if g != w {
			t.Errorf("%q: attachment %d\n got %+v\nwant %+v", name, i, g, w)
		}
		if d := gs - ws; d < -(ws/50+64) || d > ws/50+64 {
			t.Errorf("%q: attachment %s size %d, want about %d", name, g.PartID, gs, ws)
		}
	}
	same := func(what string, a, b any) {
		if !jsonEqual(a, b) {
			t.Errorf("%q: %s differs\n got %+v\nwant %+v", name, what, a, b)
		}
	}
	same("calendar", got.Calendar, want.Calendar)
	same("delivery status", got.DeliveryStatus, want.DeliveryStatus)
	same("receipt", got.Receipt, want.Receipt)
	same("security", got.Security, want.Security)
	same("nested count", len(got.Nested), len(want.Nested))
}

func trim(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}
