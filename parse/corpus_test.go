package parse

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// corpusDir finds the shared corpus: $MAILMCP_CORPUS, else ../../shared/corpus
// relative to this package. Under CI=true a missing corpus fails.
func corpusDir(t testing.TB) string {
	dir := os.Getenv("MAILMCP_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus not found at %s (set MAILMCP_CORPUS)", dir)
		}
		t.Skipf("corpus not found at %s", dir)
	}
	return dir
}

type corpusEntry struct {
	path string // relative to the corpus dir
	tags string
}

func corpusEntries(t testing.TB, dir string) []corpusEntry {
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatalf("open manifest: %v", err)
	}
	defer f.Close()
	var out []corpusEntry
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 9 {
			continue
		}
		out = append(out, corpusEntry{path: cols[0], tags: cols[8]})
	}
	if len(out) == 0 {
		t.Fatal("empty manifest")
	}
	return out
}

var rawEncodedWord = regexp.MustCompile(`=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=`)

// TestCorpus parses every message of the shared corpus and checks the
// invariants an agent relies on.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	entries := corpusEntries(t, dir)
	for _, e := range entries {
		t.Run(e.path, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, e.path))
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			checkMessageInvariants(t, raw)
		})
	}
	t.Logf("%d corpus messages", len(entries))
}

func checkMessageInvariants(t *testing.T, raw []byte) {
	t.Helper()
	m, err := Parse(bytes.NewReader(raw), ParseOptions{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	walkStrings(reflect.ValueOf(m), func(path, s string) {
		if !utf8.ValidString(s) {
			t.Errorf("%s: invalid UTF-8 %q", path, s)
		}
	})
	checkDecodedHeaders(t, m)
	checkReplacementChars(t, m, raw)
}

func checkDecodedHeaders(t *testing.T, m *Message) {
	t.Helper()
	check := func(what, s string) {
		if rawEncodedWord.MatchString(s) {
			t.Errorf("%s keeps a raw encoded-word: %q", what, s)
		}
	}
	check("subject", m.Subject)
	for _, l := range [][]Address{m.From, m.To, m.Cc, m.ReplyTo} {
		for _, a := range l {
			check("address name", a.Name)
		}
	}
	for _, a := range m.Attachments {
		check("filename", a.Filename)
	}
	for _, n := range m.Nested {
		checkDecodedHeaders(t, n)
	}
}

// checkReplacementChars: U+FFFD may appear in text only when the input
// already held it, or when a charset problem (unknown charset, or bytes
// invalid for the declared charset) was reported.
func checkReplacementChars(t *testing.T, m *Message, raw []byte) {
	t.Helper()
	if bytes.Contains(raw, []byte("\xef\xbf\xbd")) {
		return
	}
	for _, p := range m.Problems {
		if p.Kind == "charset" {
			return
		}
	}
	var bad []string
	var visit func(m *Message)
	visit = func(m *Message) {
		for _, s := range []string{m.Subject, m.Text, m.PlainText} {
			if strings.ContainsRune(s, utf8.RuneError) {
				bad = append(bad, excerptAround(s, "\uFFFD"))
			}
		}
		for _, n := range m.Nested {
			visit(n)
		}
	}
	visit(m)
	if len(bad) > 0 {
		t.Errorf("U+FFFD without a charset problem: %q", bad)
	}
}

func excerptAround(s, sub string) string {
	i := strings.Index(s, sub)
	lo, hi := max(0, i-40), min(len(s), i+40)
	return strings.ToValidUTF8(s[lo:hi], "?")
}

// walkStrings calls fn for every string reachable from v.
func walkStrings(v reflect.Value, fn func(path, s string)) {
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() || v.Type().Field(i).Name == "all" {
					walk(v.Field(i), path+"."+v.Type().Field(i).Name)
				}
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), path)
			}
		case reflect.String:
			fn(path, v.String())
		}
	}
	walk(v, "")
}
