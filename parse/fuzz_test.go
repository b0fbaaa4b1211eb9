package parse

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"
)

// seedCorpus adds the curated messages (and their HTML bodies) as seeds.
func seedCorpus(f *testing.F, htmlOnly bool) {
	files, _ := filepath.Glob(filepath.Join(goldenCorpus, "*.eml"))
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if !htmlOnly {
			f.Add(raw)
			continue
		}
		if i := bytes.Index(bytes.ToLower(raw), []byte("<html")); i >= 0 {
			f.Add(raw[i:])
		}
	}
	f.Add([]byte(structured))
}

func FuzzParse(f *testing.F) {
	seedCorpus(f, false)
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(bytes.NewReader(raw), ParseOptions{MaxTextBytes: 1 << 16})
		if err != nil {
			t.Fatalf("Parse failed without an I/O error: %v", err)
		}
		walkStrings(reflect.ValueOf(m), func(path, s string) {
			if !utf8.ValidString(s) {
				t.Fatalf("%s: invalid UTF-8", path)
			}
		})
		if len(m.Attachments) > 0 {
			a := m.Attachments[0]
			var buf bytes.Buffer
			got, err := ExtractPart(bytes.NewReader(raw), a.PartID, &buf, 1<<20)
			if err != nil {
				t.Fatalf("ExtractPart(%s): %v", a.PartID, err)
			}
			if got.Size != a.Size || int64(buf.Len()) != a.Size {
				t.Fatalf("ExtractPart(%s) size %d/%d, parse said %d", a.PartID, got.Size, buf.Len(), a.Size)
			}
		}
	})
}

func FuzzHTMLToText(f *testing.F) {
	seedCorpus(f, true)
	f.Add([]byte(`<div style="display:none">x</div><table><tr><th>a</th></tr><tr><td>b</td></tr></table>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out := HTMLToMarkdown(string(raw))
		if !utf8.ValidString(out) {
			t.Fatal("invalid UTF-8")
		}
		for _, r := range out {
			if invisible(r) {
				t.Fatalf("invisible rune %U kept", r)
			}
		}
	})
}
