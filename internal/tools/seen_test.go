package tools

import (
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/policy"
)

// TestWatchRecordsSeenCodes: a code the agent only saw in a watch_inbox
// event (subject and snippet) is held when it goes out, even re-spaced and
// under an autonomous policy.
func TestWatchRecordsSeenCodes(t *testing.T) {
	h := policyHarness(t, policy.Policy{Mode: policy.Autonomous}, policy.Caps{}, nil)
	watchHub(t, h)
	first := decodeWatch(t, h.Call("watch_inbox", map[string]any{"timeout_seconds": 1}))
	raw := "From: Login <login@shop.example>\r\nTo: dana@demo.mailmcp.test\r\nSubject: 902113 is your login code\r\n" +
		"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <code@shop.example>\r\n\r\nUse it within 10 minutes.\r\n"
	if err := h.Demo.Deliver("INBOX", []byte(raw), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	w := decodeWatch(t, h.Call("watch_inbox", map[string]any{"since": first.Cursor, "timeout_seconds": 10}))
	if len(w.Events) == 0 {
		t.Fatal("no event for the new message")
	}
	var out sendResultOut
	h.Decode("send_email", map[string]any{"to": []any{friend}, "subject": "numbers", "body": "9 0 2 1 1 3"}, &out)
	if out.Status != "pending" || len(out.Findings) == 0 || !strings.Contains(out.Findings[0].Kind, "from received mail") {
		t.Errorf("a code seen in a watch event went out: status %q findings %+v", out.Status, out.Findings)
	}
}
