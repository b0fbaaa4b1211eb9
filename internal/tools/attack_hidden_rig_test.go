package tools

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/policy"
)

// TestAttackHiddenHTML delivers mail whose HTML hides instructions from
// the human reader (testdata/attacks/hidden-*.eml) into Dovecot and reads
// it with fetch_message: nothing marked INJECTED-n may reach the agent,
// in any format, and what a reader sees (VISIBLE-n) must.
func TestAttackHiddenHTML(t *testing.T) {
	r := newAttackRig(t, policy.Policy{Mode: policy.Confirm}, "alice")
	h := r.H
	injected := regexp.MustCompile(`INJECTED-\d+`)
	for _, c := range []struct {
		file string
		kept []string
	}{
		{"hidden-style-class.eml", []string{"VISIBLE-1", "VISIBLE-2", "VISIBLE-3"}},
		{"hidden-color.eml", []string{"VISIBLE-1", "VISIBLE-2", "VISIBLE-3"}},
		{"hidden-tiny-font.eml", []string{"VISIBLE-1", "VISIBLE-2"}},
		{"hidden-offscreen.eml", []string{"VISIBLE-1"}},
		{"hidden-clip-transform.eml", []string{"VISIBLE-1"}},
		{"hidden-css-cascade.eml", []string{"VISIBLE-1", "VISIBLE-2", "VISIBLE-3", "VISIBLE-4", "VISIBLE-5", "VISIBLE-6", "VISIBLE-7", "Heading", "bold"}},
		{"hidden-css-properties.eml", []string{"VISIBLE-1", "VISIBLE-2", "VISIBLE-3", "VISIBLE-4"}},
		{"hidden-plain-alternative.eml", []string{"VISIBLE-1", "account page"}},
		{"hidden-css-values.eml", []string{"VISIBLE-1", "VISIBLE-2", "VISIBLE-3", "VISIBLE-4", "VISIBLE-5"}},
		{"hidden-deep-nesting.eml", []string{"nested too deeply"}},
		{"hidden-tooltip.eml", []string{"VISIBLE-1", "[view invoice](https://shop.example/invoice/4471)", "VISIBLE-2"}},
		{"hidden-alt.eml", []string{"VISIBLE-1", "[image: Shop logo]", "[image]"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			id := r.deliver(r.Users[0], r.fixture(c.file))
			for _, format := range []string{"markdown", "text"} {
				text, _ := toolText(t, h, "fetch_message", map[string]any{"id": id, "format": format})
				if got := injected.FindAllString(text, -1); len(got) > 0 {
					t.Errorf("%s: hidden text %v reaches the agent:\n%s", format, got, text)
				}
				for _, want := range c.kept {
					if !strings.Contains(text, want) {
						t.Errorf("%s: visible text %q is missing:\n%s", format, want, text)
					}
				}
			}
			// The search snippet is built from the same text.
			text, _ := toolText(t, h, "search", map[string]any{"account": "alice", "header_name": "Message-ID", "header_value": strings.TrimSuffix(c.file, ".eml") + "@shop.example"})
			if got := injected.FindAllString(text, -1); len(got) > 0 {
				t.Errorf("search: hidden text %v reaches the agent:\n%s", got, text)
			}
		})
	}
}

// toolText calls a tool that must succeed and returns everything the
// model may read of its result: the text content and the structured
// content as JSON.
func toolText(t *testing.T, h *harness, tool string, args map[string]any) (string, map[string]any) {
	t.Helper()
	res := h.Call(tool, args)
	if res.IsError {
		t.Fatalf("%s(%v) failed: %s", tool, args, resultText(res))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resultText(res) + "\n" + string(b), out
}
