package tools

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// attachmentFixture is a message with a PDF (RFC 2231 non-ASCII file
// name, part 2) and a Latin-1 CSV (part 3), delivered to a fresh folder.
type attachmentFixture struct {
	id  string
	pdf []byte
	csv string
}

func deliverAttachments(t *testing.T, h *harness, pdfSize int) attachmentFixture {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 9))
	pdf := make([]byte, pdfSize)
	for i := range pdf {
		pdf[i] = byte(r.Uint32())
	}
	csv := "name,city\nJosé,Zürich\n"
	latin1 := []byte{}
	for _, c := range csv {
		latin1 = append(latin1, byte(c))
	}
	var b strings.Builder
	b.WriteString("From: Alice <alice@example.org>\r\nTo: demo@example.test\r\nSubject: Files for you\r\nDate: Mon, 02 Nov 2026 10:00:00 +0100\r\n" +
		"Message-ID: <files@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTwo files attached.\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename*=utf-8''Bericht-M%C3%A4rz.pdf\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(pdf)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b\r\nContent-Type: text/csv; charset=iso-8859-1\r\nContent-Disposition: attachment; filename=\"people.csv\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	for _, c := range latin1 {
		switch {
		case c == '\n':
			b.WriteString("\r\n")
		case c >= 0x80 || c == '=':
			b.WriteString("=" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString("--b--\r\n")
	folder := "Files"
	if err := h.Demo.CreateFolder(folder); err != nil {
		t.Fatal(err)
	}
	if err := h.Demo.Deliver(folder, []byte(b.String()), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	p, err := h.Mail.Pool("demo")
	if err != nil {
		t.Fatal(err)
	}
	page, err := p.Search(context.Background(), folder, imapconn.Criteria{}, 1, "")
	if err != nil || len(page.Messages) != 1 {
		t.Fatalf("search: %v", err)
	}
	return attachmentFixture{id: page.Messages[0].ID, pdf: pdf, csv: csv}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func embedded(t *testing.T, res *mcp.CallToolResult) mcp.BlobResourceContents {
	t.Helper()
	for _, c := range res.Content {
		if er, ok := c.(mcp.EmbeddedResource); ok {
			if blob, ok := er.Resource.(mcp.BlobResourceContents); ok {
				return blob
			}
		}
	}
	t.Fatalf("no embedded blob resource in %+v", res.Content)
	return mcp.BlobResourceContents{}
}

func TestGetAttachment(t *testing.T) {
	h := newHarness(t, harnessOptions{Info: func(i *AccountInfo) { i.InlineAttachmentMax = 64 << 10 }})
	fx := deliverAttachments(t, h, 20000)

	// The part ids fetch_message lists are the ones get_attachment takes.
	var msg struct {
		Attachments []struct {
			PartID   string `json:"part_id"`
			Filename string `json:"filename"`
			Size     int64  `json:"size"`
		} `json:"attachments"`
	}
	h.Decode("fetch_message", map[string]any{"id": fx.id}, &msg)
	if len(msg.Attachments) != 2 || msg.Attachments[0].PartID != "2" || msg.Attachments[0].Filename != "Bericht-März.pdf" || msg.Attachments[1].PartID != "3" {
		t.Fatalf("fetch_message attachments: %+v", msg.Attachments)
	}

	var out attachmentOut
	res := h.Decode("get_attachment", map[string]any{"id": fx.id, "part": msg.Attachments[0].PartID}, &out)
	blob := embedded(t, res)
	raw, err := base64.StdEncoding.DecodeString(blob.Blob)
	if err != nil {
		t.Fatal(err)
	}
	if sha(raw) != sha(fx.pdf) || out.SHA256 != sha(fx.pdf) || out.Size != int64(len(fx.pdf)) {
		t.Fatalf("embedded bytes differ from the original attachment (size %d, sha %s)", out.Size, out.SHA256)
	}
	if blob.MIMEType != "application/pdf" || blob.URI != out.URI || !strings.HasPrefix(out.URI, "mail://demo/") || out.Filename != "Bericht-März.pdf" {
		t.Errorf("resource %s %s, out %+v", blob.URI, blob.MIMEType, out)
	}
	if out.Text != "" || !strings.Contains(out.Note, "PDF is not supported") {
		t.Errorf("PDF: text %q note %q", out.Text, out.Note)
	}

	// A text attachment comes with its decoded text, framed as untrusted.
	res = h.Decode("get_attachment", map[string]any{"id": fx.id, "part": "3"}, &out)
	if !strings.Contains(out.Text, "José,Zürich") || !strings.Contains(out.Text, "<<<EXTERNAL_EMAIL_CONTENT nonce=") ||
		!strings.Contains(resultText(res), "untrusted") || out.MediaType != "text/csv" {
		t.Errorf("CSV text: %+v", out)
	}
	if raw, _ := base64.StdEncoding.DecodeString(embedded(t, res).Blob); sha(raw) != out.SHA256 || !strings.Contains(string(raw), "Jos\xe9") {
		t.Errorf("CSV bytes are not the decoded original: %q", raw)
	}

	// Too large for inline: says how large and what to do.
	h2 := newHarness(t, harnessOptions{Info: func(i *AccountInfo) { i.InlineAttachmentMax = 10000 }})
	fx2 := deliverAttachments(t, h2, 20000)
	msgText := h2.Fail("get_attachment", map[string]any{"id": fx2.id, "part": "2"})
	if !strings.Contains(msgText, "save_attachment") || !strings.Contains(msgText, "19.") || !strings.Contains(msgText, "invalid_argument") {
		t.Errorf("too large: %s", msgText)
	}

	for _, c := range []struct{ part, want string }{
		{"9", "not_found"},
		{"2.4", "not_found"},
		{"1x", "invalid_argument"},
	} {
		if msg := h.Fail("get_attachment", map[string]any{"id": fx.id, "part": c.part}); !strings.Contains(msg, c.want) || !strings.Contains(msg, "part") {
			t.Errorf("part %q: %s", c.part, msg)
		}
	}
}
