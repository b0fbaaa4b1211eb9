package parse

import (
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// bigMessage streams a message with a short text body and a base64
// attachment of about size decoded bytes, generated on the fly so the test
// itself holds nothing large in memory.
type bigMessage struct {
	head, tail string
	line       string // one base64 line (57 decoded bytes)
	chunk      []byte // 512 lines, built once
	lines      int
	buf        []byte
	stage      int
}

func newBigMessage(size int) *bigMessage {
	block := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"), 1)[:57]
	return &bigMessage{
		head:  "From: a@example.com\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		tail:  "--b--\r\n",
		line:  base64.StdEncoding.EncodeToString(block) + "\r\n",
		lines: size / 57,
	}
}

func (g *bigMessage) lineChunk() []byte {
	if g.chunk == nil {
		g.chunk = []byte(strings.Repeat(g.line, 512))
	}
	return g.chunk
}

func (g *bigMessage) decodedSize() int64 { return int64(g.lines) * 57 }

func (g *bigMessage) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		switch {
		case g.stage == 0:
			g.buf = []byte(g.head)
			g.stage = 1
		case g.stage == 1 && g.lines > 0:
			// Serve many lines at once.
			n := min(g.lines, 512)
			g.buf = g.lineChunk()[:n*len(g.line)]
			g.lines -= n
		case g.stage == 1:
			g.buf = []byte(g.tail)
			g.stage = 2
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

const bigSize = 25 << 20

// TestLargeAttachmentMemory: parsing a message with a 25 MB attachment
// must not hold the attachment: well under 5 MB allocated in total.
func TestLargeAttachmentMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	g := newBigMessage(bigSize)
	want := g.decodedSize()
	// Warm up package-level state (converter, tables) outside the measurement.
	if _, err := Parse(strings.NewReader("Subject: x\n\nwarm"), ParseOptions{}); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := Parse(g, ParseOptions{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Size != want || m.Text != "See attached." {
		t.Fatalf("attachments %+v text %q", m.Attachments, m.Text)
	}
	total := after.TotalAlloc - before.TotalAlloc // includes the generator's one 40 KB chunk
	t.Logf("TotalAlloc delta %d KB, HeapInuse delta %d KB", total>>10, (int64(after.HeapInuse)-int64(before.HeapInuse))>>10)
	if total > 5<<20 {
		t.Errorf("parse allocated %d MB for a %d MB attachment; it must stream", total>>20, want>>20)
	}
	if d := int64(after.HeapInuse) - int64(before.HeapInuse); d > 5<<20 {
		t.Errorf("heap in use grew by %d MB", d>>20)
	}
}

func BenchmarkLargeAttachment(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(newBigMessage(bigSize).decodedSize()))
	for b.Loop() {
		if _, err := Parse(newBigMessage(bigSize), ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExtractLargeAttachment(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(newBigMessage(bigSize).decodedSize()))
	for b.Loop() {
		if _, err := ExtractPart(newBigMessage(bigSize), "2", io.Discard, 1<<30); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCorpus parses every shared-corpus message per iteration
// (throughput in MB/s of raw message; allocs reported per message).
func BenchmarkCorpus(b *testing.B) {
	dir := corpusDir(b)
	var msgs [][]byte
	var total int64
	for _, e := range corpusEntries(b, dir) {
		raw, err := os.ReadFile(filepath.Join(dir, e.path))
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, raw)
		total += int64(len(raw))
	}
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(total)
		for b.Loop() {
			for _, raw := range msgs {
				if _, err := Parse(bytes.NewReader(raw), ParseOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(msgs)), "µs/msg")
	})
}
