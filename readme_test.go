package mailmcp_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/tools"
)

var update = flag.Bool("update", false, "rewrite the generated README sections")

// TestREADMEGeneratedSections keeps the README's tool and settings tables
// equal to what the registry and the config package say.
func TestREADMEGeneratedSections(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, sec := range []struct{ name, body string }{
		{"tools", tools.MarkdownTable()},
		{"settings", config.SettingsMarkdown()},
	} {
		start, end := "<!-- "+sec.name+":start -->\n", "<!-- "+sec.name+":end -->"
		i, j := strings.Index(readme, start), strings.Index(readme, end)
		if i < 0 || j < i {
			t.Fatalf("README lacks the %s markers", sec.name)
		}
		current := readme[i+len(start) : j]
		if current == sec.body {
			continue
		}
		if *update {
			readme = readme[:i+len(start)] + sec.body + readme[j:]
			continue
		}
		t.Errorf("README %s table is stale: run go test . -update", sec.name)
	}
	if *update {
		if err := os.WriteFile("README.md", []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
