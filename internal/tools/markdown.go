package tools

import (
	"fmt"
	"slices"
	"strings"
)

// MarkdownTable renders the tool table for the README from the registry, so
// the documentation cannot drift from the code (a test compares them).
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| Tool | What it does | Writes | Parameters |\n|---|---|---|---|\n")
	for _, t := range All() {
		m := t.MCP()
		var params []string
		for name := range m.InputSchema.Properties {
			p := "`" + name + "`"
			for _, r := range m.InputSchema.Required {
				if r == name {
					p += "*"
				}
			}
			params = append(params, p)
		}
		slices.Sort(params)
		writes := "no"
		if t.Writes {
			writes = "yes"
		}
		desc := t.Description
		if i := strings.Index(desc, ". "); i > 0 {
			desc = desc[:i+1]
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", t.Name, desc, writes, strings.Join(params, ", "))
	}
	b.WriteString("\n`*` required.\n")
	return b.String()
}
