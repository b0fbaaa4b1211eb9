package parse

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestDump prints the parse and render of the files in $PARSE_DUMP
// (comma-separated); a debugging aid, skipped otherwise.
func TestDump(t *testing.T) {
	list := os.Getenv("PARSE_DUMP")
	if list == "" {
		t.Skip("set PARSE_DUMP to a comma-separated list of message files")
	}
	for _, p := range strings.Split(list, ",") {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(f, ParseOptions{})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		r, _ := m.Render(RenderOptions{MaxChars: 3000})
		j, _ := json.MarshalIndent(m, "", " ")
		if os.Getenv("PARSE_DUMP_JSON") == "" {
			j = nil
		}
		fmt.Fprintf(os.Stderr, "===== %s\n%s\n%s\n", p, j, r.Text)
	}
}
