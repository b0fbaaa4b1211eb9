package tools

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/audit"
	"github.com/mailmcp/mailmcp/internal/policy"
)

// TestPolicyRefusalsAreAudited: a send the policy refuses is logged as
// refused, a held one as pending, without the body.
func TestPolicyRefusalsAreAudited(t *testing.T) {
	h := policyHarness(t, policy.Policy{Mode: policy.Confirm}, policy.Caps{PerHour: 1}, nil)
	send(h, friend, "Audited pending", "secret body words")
	h.Deps.Accounts[0].Policy = policy.Policy{Mode: policy.Autonomous}
	send(h, friend, "Audited sent", "secret body words")
	h.Fail("send_email", map[string]any{"to": []any{friend}, "subject": "Audited capped", "body": "secret body words"})
	b, err := os.ReadFile(filepath.Join(h.StateDir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e audit.Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, e.Outcome)
		if e.Outcome == "refused" && e.Kind != "limit_reached" {
			t.Errorf("a refusal by the caps is audited with kind %q, want limit_reached", e.Kind)
		}
		if len(e.Recipients) != 1 || e.Recipients[0] != friend {
			t.Errorf("recipients not audited: %+v", e)
		}
	}
	if strings.Join(outcomes, ",") != "pending,sent,refused" {
		t.Errorf("outcomes %v, want pending, sent, refused", outcomes)
	}
	if strings.Contains(string(b), "secret body words") {
		t.Error("the audit log must never hold message bodies")
	}
}

// TestWriteToolsAreAudited: every write-tool call leaves one line with the
// tool, account, ids and outcome; read tools leave none.
func TestWriteToolsAreAudited(t *testing.T) {
	log, err := audit.Open(t.TempDir(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{Deps: func(d *Deps) { d.Audit = log }})
	var out struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	h.Decode("search", map[string]any{"limit": 2}, &out)
	id := out.Messages[0].ID
	h.OK("flag", map[string]any{"ids": []any{id}, "add": []any{"flagged"}})
	h.Fail("move", map[string]any{"ids": []any{id}, "to": "No Such Folder"})

	f, err := os.Open(log.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []audit.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e audit.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if len(got) != 2 {
		t.Fatalf("want 2 audit lines (flag, move), got %d: %+v", len(got), got)
	}
	if got[0].Tool != "flag" || got[0].Account != "demo" || len(got[0].IDs) != 1 || got[0].IDs[0] != id || got[0].Outcome != "ok" {
		t.Errorf("flag entry: %+v", got[0])
	}
	if got[1].Tool != "move" || got[1].Outcome != "error" || got[1].Detail == "" {
		t.Errorf("failed move entry: %+v", got[1])
	}
}
