package config

import (
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// locator maps key paths such as "accounts[1].imap.port" to the line that
// sets them, so semantic problems can point at the file like syntax ones do.
type locator struct{ lines map[string]int }

func newLocator(data []byte) *locator {
	l := &locator{lines: map[string]int{}}
	p := unstable.Parser{}
	p.Reset(data)
	arrays := map[string]int{} // array-table path -> count seen so far
	table := ""
	for p.NextExpression() {
		n := p.Expression()
		line := p.Shape(n.Raw).Start.Line
		if n.Kind != unstable.KeyValue {
			// Table headers carry no range of their own; their key does.
			it := n.Key()
			if it.Next() {
				line = p.Shape(it.Node().Raw).Start.Line
			}
		}
		switch n.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = l.tablePath(n, arrays, n.Kind == unstable.ArrayTable)
			if _, ok := l.lines[table]; !ok {
				l.lines[table] = line
			}
		case unstable.KeyValue:
			key := strings.Join(keyParts(n.Key()), ".")
			full := key
			if table != "" {
				full = table + "." + key
			}
			l.lines[full] = line
		}
	}
	return l
}

// tablePath resolves a header like [accounts.imap] inside the current
// element of [[accounts]] to "accounts[N].imap".
func (l *locator) tablePath(n *unstable.Node, arrays map[string]int, isArray bool) string {
	parts := keyParts(n.Key())
	path := ""
	for i, part := range parts {
		if path != "" {
			path += "."
		}
		path += part
		if isArray && i == len(parts)-1 {
			arrays[path]++
			return fmt.Sprintf("%s[%d]", path, arrays[path]-1)
		}
		if c, ok := arrays[path]; ok {
			path = fmt.Sprintf("%s[%d]", path, c-1)
		}
	}
	return path
}

// keyParts are the dotted parts of a key or table header.
func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

// line returns the line of key, else of its closest enclosing table.
func (l *locator) line(key string) int {
	if l == nil {
		return 0
	}
	for k := key; k != ""; {
		if n, ok := l.lines[k]; ok {
			return n
		}
		i := strings.LastIndexAny(k, ".")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}
