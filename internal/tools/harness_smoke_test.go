package tools

import "testing"

// TestHarnessSearchAndFetch exercises the harness itself on the demo
// mailbox: a search returns envelopes whose ids fetch_message accepts.
func TestHarnessSearchAndFetch(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	var out struct {
		Messages []struct {
			ID      string `json:"id"`
			Subject string `json:"subject"`
		} `json:"messages"`
	}
	h.Decode("search", map[string]any{"limit": 3}, &out)
	if len(out.Messages) != 3 {
		t.Fatalf("search returned %d messages, want 3", len(out.Messages))
	}
	got := h.OK("fetch_message", map[string]any{"id": out.Messages[0].ID})
	if got["subject"] != out.Messages[0].Subject {
		t.Errorf("fetched subject %v, searched %q", got["subject"], out.Messages[0].Subject)
	}
	if msg := h.Fail("fetch_message", map[string]any{"id": "m1.bogus"}); msg == "" {
		t.Error("empty error text for a bogus id")
	}
}
