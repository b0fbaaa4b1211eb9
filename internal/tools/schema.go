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

// compactInput publishes an input schema without what a model does not
// need, since clients pay for the list in every turn: an empty "required"
// list (mcp-go always writes one) and the length bounds of strings (guards
// against abuse, not guidance; checkArgs still enforces them from the full
// schema and its error states the bound).
func compactInput(tool string, in mcp.ToolInputSchema) json.RawMessage {
	m := toNode(tool, in)
	if req, ok := m["required"].([]any); ok && len(req) == 0 {
		delete(m, "required")
	}
	dropKeys(m, "minLength", "maxLength")
	return fromNode(tool, m)
}

// dropKeys removes the keywords keys from schema n and its subschemas
// (never from a properties map, whose keys are parameter names).
func dropKeys(n any, keys ...string) {
	switch n := n.(type) {
	case map[string]any:
		for k, v := range n {
			if k == "properties" {
				if props, ok := v.(map[string]any); ok {
					for _, p := range props {
						dropKeys(p, keys...)
					}
				}
				continue
			}
			dropKeys(v, keys...)
		}
		for _, k := range keys {
			delete(n, k)
		}
	case []any:
		for _, v := range n {
			dropKeys(v, keys...)
		}
	}
}

// dropClosed removes "additionalProperties": false from an output schema
// and its subschemas: a client needs the fields a result has, not a promise
// that it has no others, and the words are paid for in every turn.
func dropClosed(n any) {
	switch n := n.(type) {
	case map[string]any:
		if ap, ok := n["additionalProperties"].(bool); ok && !ap {
			delete(n, "additionalProperties")
		}
		for _, v := range n {
			dropClosed(v)
		}
	case []any:
		for _, v := range n {
			dropClosed(v)
		}
	}
}

func toNode(tool string, v any) map[string]any {
	var m map[string]any
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil {
		// A schema that cannot be encoded is a programmer fault, caught by
		// TestSchemaSnapshots before it ships.
		panic(fmt.Sprintf("tool %s: schema: %v", tool, err))
	}
	return m
}

func fromNode(tool string, m map[string]any) json.RawMessage {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("tool %s: schema: %v", tool, err))
	}
	return b
}

// outputSchema builds the published output schema of t: its success shape
// (from t.Output) or the error shape {"error": …}. Clients such as the
// TypeScript SDK validate structuredContent against the output schema even
// when isError is set, so the schema must accept both.
func (t *Tool) outputSchema() json.RawMessage {
	var tmp mcp.Tool
	t.Output(&tmp)
	m := toNode(t.Name, tmp.OutputSchema)
	dropClosed(m)
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
	return fromNode(t.Name, m)
}
