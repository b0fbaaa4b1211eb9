package tools

import (
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// TestStoreFailureIsNotInternal closes the state store under the tools,
// as a shutdown does, and calls every tool: none may report the failure as
// a bug (internal), and the tools that need the store say it is
// unavailable, retryable, with a next step.
func TestStoreFailureIsNotInternal(t *testing.T) {
	h := newHarness(t, harnessOptions{Sending: true})
	var found struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	h.Decode("search", map[string]any{"limit": 1}, &found)
	if len(found.Messages) == 0 {
		t.Fatal("the demo INBOX is empty")
	}
	if err := h.Store.Close(); err != nil {
		t.Fatal(err)
	}
	needStore := map[string]map[string]any{
		"outbox_status": {"outbox_id": "ob000nope"},
		"cancel_send":   nil,
		"confirm_send":  {"confirmation_token": "cfm_" + strings.Repeat("A", 43)}, // well formed: the store is asked
		"send_email":    nil,
	}
	for _, tool := range All() {
		t.Run(tool.Name, func(t *testing.T) {
			args := callArgs(tool.Name, found.Messages[0].ID, "")
			for k, v := range needStore[tool.Name] {
				args[k] = v
			}
			res := h.Call(tool.Name, args)
			_, wants := needStore[tool.Name]
			if !res.IsError {
				if wants {
					t.Fatalf("succeeded on a closed store: %s", resultText(res))
				}
				return
			}
			k := checkStructured(t, "closed store", res)
			info, _ := structuredError(t, res)
			if k == fault.Internal {
				t.Errorf("a closed store reported as a bug (internal): %s", resultText(res))
			}
			if wants && (k != fault.Unavailable || !info.Retryable || !strings.Contains(strings.ToLower(info.Hint+info.Message), "try again")) {
				t.Errorf("closed store: kind %s retryable %v, want unavailable with a retry hint: %s", k, info.Retryable, resultText(res))
			}
		})
	}
}
