package tools

import (
	"encoding/json"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/audit"
	"github.com/mailmcp/mailmcp/internal/fault"
)

// auditCall records one call of a write tool: who, what, on which ids and
// recipients, and how it ended — never bodies or credentials.
func auditCall(d *Deps, t *Tool, a *Args, res *mcp.CallToolResult) {
	if d.Audit == nil || !t.Writes {
		return
	}
	e := audit.Entry{Tool: t.Name, Account: a.rawString("account"), Outcome: "ok"}
	if e.Account == "" {
		if def, ok := d.Mail.Default(); ok {
			e.Account = def
		}
	}
	e.IDs = append(a.rawStrings("ids"), a.rawStrings("id")...)
	e.IDs = append(e.IDs, a.rawStrings("draft_id")...)
	for _, k := range []string{"to", "cc", "bcc"} {
		e.Recipients = append(e.Recipients, a.rawStrings(k)...)
	}
	for _, k := range []string{"folder", "name", "new_name"} {
		if v := a.rawString(k); v != "" {
			e.Folder = v
			break
		}
	}
	switch {
	case res == nil:
		e.Outcome = "error"
	case res.IsError:
		e.Outcome = "error"
		info, ok := resultError(res)
		if !ok {
			// Only errResult makes error results; anything else is a bug.
			info = ErrorInfo{Kind: fault.Internal, Message: firstLine(resultText(res))}
		}
		e.Kind, e.Detail = string(info.Kind), info.Message
		if info.Kind == fault.Forbidden || info.Kind == fault.LimitReached {
			e.Outcome = "refused"
		}
	default:
		if st := structuredStatus(res); st != "" {
			e.Outcome = st
		}
	}
	if err := d.Audit.Write(e); err != nil {
		d.Log.Warn("audit log write failed", "tool", t.Name, "err", err)
	}
}

// structuredStatus reads a top-level "status" of the structured result
// (sent, queued, pending, draft_saved, …) when the tool reports one.
func structuredStatus(res *mcp.CallToolResult) string {
	if res.StructuredContent == nil {
		return ""
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return ""
	}
	var s struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(b, &s) != nil {
		return ""
	}
	return s.Status
}

func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// rawString reads an argument for auditing without recording a problem.
func (a *Args) rawString(name string) string {
	s, _ := a.m[name].(string)
	return s
}

// rawStrings reads a string or list-of-strings argument for auditing
// without recording a problem. Recipient objects contribute their address.
func (a *Args) rawStrings(name string) []string {
	switch v := a.m[name].(type) {
	case string:
		if v != "" {
			return []string{v}
		}
	case []any:
		var out []string
		for _, x := range v {
			switch x := x.(type) {
			case string:
				out = append(out, x)
			case map[string]any:
				if s, ok := x["email"].(string); ok {
					out = append(out, s)
				} else if s, ok := x["address"].(string); ok {
					out = append(out, s)
				}
			}
		}
		return out
	}
	return nil
}
