package tools

import (
	"slices"
	"strings"
	"testing"
)

// TestInvalidArgumentsAreSentences: schema violations come back as one
// invalid_argument result whose message names the parameter, what was
// wrong and what is valid — never a Go struct dump such as
// "&{Got:0/1 Want:1/1}" or "<root>: &{Missing:[id]}".
func TestInvalidArgumentsAreSentences(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	for _, c := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"search", map[string]any{"limit": 0}, "limit must be an integer from 1 to 100; got 0"},
		{"search", map[string]any{"limit": 2.5}, "limit must be an integer from 1 to 100; got 2.5"},
		{"search", map[string]any{"limit": "many"}, `limit must be an integer from 1 to 100; got "many"`},
		{"search", map[string]any{"unseen": "maybe"}, `unseen must be true or false; got "maybe"`},
		{"search", map[string]any{"larger": -1}, "larger must be an integer of at least 0; got -1"},
		{"search", map[string]any{"limitt": 5}, `unknown parameter "limitt"; this tool takes account, answered,`},
		{"fetch_message", map[string]any{}, "id is required"},
		{"fetch_message", map[string]any{"id": 7}, "id must be a string"},
		{"move", map[string]any{"ids": "x", "to": "Archive"}, "ids must be a"},
		{"list_accounts", map[string]any{"check": "yes"}, `check must be true or false; got "yes"`},
	} {
		res := h.Call(c.tool, c.args)
		info, ok := structuredError(t, res)
		if !ok {
			t.Errorf("%s(%v): no structured error: %s", c.tool, c.args, resultText(res))
			continue
		}
		if info.Kind != "invalid_argument" || !strings.Contains(info.Message, c.want) {
			t.Errorf("%s(%v) = %s %q, want invalid_argument containing %q", c.tool, c.args, info.Kind, info.Message, c.want)
		}
		for _, bad := range []string{"&{", "<root>", "Got:", "Want:"} {
			if strings.Contains(resultText(res), bad) {
				t.Errorf("%s(%v): validator internals in the text: %s", c.tool, c.args, resultText(res))
			}
		}
	}
}

// TestNumbersAsStringsAreAccepted: small models send "5" for 5 and "true"
// for true; where the schema says integer or boolean that is accepted.
func TestNumbersAsStringsAreAccepted(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	var out struct {
		Messages []any `json:"messages"`
	}
	h.Decode("search", map[string]any{"limit": "2", "unseen": "false", "larger": " 10 "}, &out)
	if len(out.Messages) == 0 || len(out.Messages) > 2 {
		t.Fatalf("limit \"2\" gave %d messages", len(out.Messages))
	}
}

// TestSchemaKeywordsAreValidated: every keyword a tool publishes in an
// input schema is one checkArgs enforces or a pure annotation, so a new
// constraint cannot be published without being checked.
func TestSchemaKeywordsAreValidated(t *testing.T) {
	known := append(slices.Clone(checkedKeywords), annotationKeywords...)
	var walk func(tool, path string, n schemaNode)
	walk = func(tool, path string, n schemaNode) {
		for k, v := range n {
			if !slices.Contains(known, k) {
				t.Errorf("%s: %s uses keyword %q, which checkArgs does not enforce", tool, path, k)
			}
			switch k {
			case "properties":
				for name, p := range v.(map[string]any) {
					walk(tool, path+"."+name, p.(schemaNode))
				}
			case "items":
				walk(tool, path+"[]", v.(schemaNode))
			case "anyOf":
				for _, b := range v.([]any) {
					walk(tool, path+"|", b.(schemaNode))
				}
			}
		}
	}
	for _, tool := range All() {
		_, full := tool.build()
		walk(tool.Name, "", full)
	}
}
