package present

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailmcp/mailmcp/parse"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.txt from the current output")

const (
	goldenCorpus = "../../testdata/corpus"
	goldenDir    = "../../testdata/golden"
)

// TestGolden renders the first page of each curated message (nonce
// replaced) and compares it with the committed golden. parse's TestGolden
// compares the structure. Refresh with: go test ./internal/present -run TestGolden -update
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenCorpus, "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs in %s: %v", goldenCorpus, err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			m := parseFile(t, f)
			r, err := Render(m, RenderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := []byte(strings.ReplaceAll(r.Text, r.Nonce, "NONCE") + "\n")
			path := filepath.Join(goldenDir, name+".txt")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("missing golden %s (run with -update): %v", path, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file (run with -update and review the diff)\n--- got ---\n%s", path, got)
			}
		})
	}
}

// TestPagingCorpus pages through every curated message in every format and
// checks bounds, framing and that the pages tile the content exactly.
func TestPagingCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(goldenCorpus, "*.eml"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			m := parseFile(t, f)
			for _, fm := range []Format{FormatMarkdown, FormatText, FormatRawHeaders} {
				r, err := Render(m, RenderOptions{Format: fm, MaxChars: HardMaxChars})
				if err != nil {
					t.Fatal(err)
				}
				checkPaging(t, m, RenderOptions{Format: fm, MaxChars: max(1000, r.TotalChars/20), StripQuotes: fm == FormatText})
			}
		})
	}
}

func parseFile(t testing.TB, path string) *parse.Message {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parse.Parse(bytes.NewReader(raw), parse.ParseOptions{Headers: []string{"X-Mailer"}})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func BenchmarkRender(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(goldenCorpus, "*.eml"))
	var msgs []*parse.Message
	for _, f := range files {
		msgs = append(msgs, parseFile(b, f))
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range msgs {
			if _, err := Render(m, RenderOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// checkPaging renders every page and checks bounds, framing and that the
// pages tile the content exactly.
func checkPaging(t *testing.T, m *parse.Message, opt RenderOptions) {
	t.Helper()
	total, seen := -1, 0
	for page := 0; ; page++ {
		if page > 10000 {
			t.Fatal("paging does not terminate")
		}
		r, err := Render(m, opt)
		if err != nil {
			t.Fatalf("Render(%+v): %v", opt, err)
		}
		if !utf8.ValidString(r.Text) {
			t.Fatal("rendered text is not valid UTF-8")
		}
		if r.ReturnedChars > opt.MaxChars {
			t.Fatalf("page has %d chars > MaxChars %d", r.ReturnedChars, opt.MaxChars)
		}
		closing := markerClose + " nonce=" + r.Nonce + ">>>"
		if c := strings.Count(r.Text, closing); c != 1 {
			t.Fatalf("closing marker appears %d times", c)
		}
		if c := strings.Count(r.Text, "END_EXTERNAL_EMAIL_CONTENT"); c != 1 {
			t.Fatalf("closing marker word appears %d times", c)
		}
		if total >= 0 && r.TotalChars != total {
			t.Fatalf("total changed between pages: %d then %d", total, r.TotalChars)
		}
		total = r.TotalChars
		if r.Offset != seen {
			t.Fatalf("page offset %d, want %d", r.Offset, seen)
		}
		seen += r.ReturnedChars
		if !r.Truncated {
			break
		}
		if r.ReturnedChars == 0 {
			t.Fatal("empty page before the end")
		}
		opt.Cursor = r.NextCursor
	}
	if seen != total {
		t.Fatalf("pages cover %d of %d chars", seen, total)
	}
}
