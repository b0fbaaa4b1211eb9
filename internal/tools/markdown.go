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
	b.WriteString("| Tool | Toolset | What it does | Writes | Parameters |\n|---|---|---|---|---|\n")
	all := All()
	var sends []string
	for _, t := range all {
		schema := inputSchema(t.MCP())
		props, _ := schema["properties"].(map[string]any)
		required := stringList(schema["required"])
		var params []string
		for name := range props {
			p := "`" + name + "`"
			if slices.Contains(required, name) {
				p += "*"
			}
			params = append(params, p)
		}
		slices.Sort(params)
		writes := "no"
		if t.Writes {
			writes = "yes"
		}
		if t.Sends {
			writes = "sends mail"
			sends = append(sends, "`"+t.Name+"`")
		}
		set := string(t.Toolset)
		if t.Toolset == ToolsetCore {
			set = "always"
		}
		desc := t.Description
		if i := strings.Index(desc, ". "); i > 0 {
			desc = desc[:i+1]
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", t.Name, set, desc, writes, strings.Join(params, ", "))
	}
	fmt.Fprintf(&b, "\n`*` required. The %d tools that send mail (%s) are offered only when an account can send: "+
		"with no account configured, or every account's `send_policy = \"disabled\"`, a server offers %d of the %d tools (and logs which it hides and why).\n",
		len(sends), strings.Join(sends, ", "), len(all)-len(sends), len(all))
	return b.String()
}
