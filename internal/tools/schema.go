package tools

import (
	"encoding/json"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
)

// errorSchema describes structuredContent.error of an error result (see
// ErrorInfo); kept short, since every output schema carries it.
var errorSchema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"kind":      map[string]any{"type": "string"},
		"message":   map[string]any{"type": "string"},
		"hint":      map[string]any{"type": "string"},
		"retryable": map[string]any{"type": "boolean"},
	},
	"required": []string{"kind", "message"},
}

// outputSchema builds the published output schema of t: its success shape
// (from t.Output) or the error shape {"error": …}. Clients such as the
// TypeScript SDK validate structuredContent against the output schema even
// when isError is set, so the schema must accept both.
func (t *Tool) outputSchema() json.RawMessage {
	var tmp mcp.Tool
	t.Output(&tmp)
	var m map[string]any
	b, err := json.Marshal(tmp.OutputSchema)
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		// A Go type that cannot become a schema is a programmer fault,
		// caught by TestSchemaSnapshots before it ships.
		panic(fmt.Sprintf("tool %s: output schema: %v", t.Name, err))
	}
	props, _ := m["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
		m["properties"] = props
	}
	props["error"] = errorSchema
	if req, ok := m["required"].([]any); ok && len(req) > 0 {
		m["anyOf"] = []any{
			map[string]any{"required": req},
			map[string]any{"required": []string{"error"}},
		}
	}
	delete(m, "required")
	out, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("tool %s: output schema: %v", t.Name, err))
	}
	return out
}
