package compose

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// BenchmarkBuildText builds a short reply-sized text message.
func BenchmarkBuildText(b *testing.B) {
	m := &Message{From: Address{Name: "Zoë", Email: "z@example.org"}, To: []Address{{Email: "a@example.org"}},
		Subject: "Grüße", Text: strings.Repeat("Ein Absatz mit Umlauten: äöü.\n", 40)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(m, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildAttachment10MB builds a message with a 10 MB binary attachment.
func BenchmarkBuildAttachment10MB(b *testing.B) {
	data := bytes.Repeat([]byte{0, 1, 2, 3, 250, 251, 252, 253}, 10<<20/8)
	m := &Message{From: Address{Email: "z@example.org"}, To: []Address{{Email: "a@example.org"}}, Subject: "data", Text: "attached",
		Attachments: []Attachment{{Filename: "data.bin", Size: int64(len(data)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}}}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(m, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
