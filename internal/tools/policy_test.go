package tools

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/policy"
)

const friend = "friend@demo.mailmcp.test"

// sendResultOut is the part of a send result these tests read.
type sendResultOut struct {
	Status   string           `json:"status"`
	Token    string           `json:"confirmation_token"`
	DraftID  string           `json:"draft_id"`
	Reasons  []string         `json:"reasons"`
	Findings []policy.Finding `json:"findings"`
	Preview  *policy.Preview  `json:"preview"`
	Accepted []string         `json:"accepted"`
}

func policyHarness(t *testing.T, p policy.Policy, caps policy.Caps, elicit func(mcp.ElicitationRequest) *mcp.ElicitationResult) *harness {
	t.Helper()
	opt := harnessOptions{Sending: true, Info: func(i *AccountInfo) { i.Policy, i.Caps = p, caps }}
	if elicit != nil {
		opt.Elicit = elicitFunc(elicit)
	}
	return newHarness(t, opt)
}

type elicitFunc func(mcp.ElicitationRequest) *mcp.ElicitationResult

func (f elicitFunc) Elicit(_ context.Context, r mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	return f(r), nil
}

// count returns how many messages in folder have subject.
func count(h *harness, folder, subject string) int {
	h.t.Helper()
	var page struct {
		Messages []struct{} `json:"messages"`
	}
	h.Decode("search", map[string]any{"folder": folder, "subject": subject}, &page)
	return len(page.Messages)
}

func send(h *harness, to, subject, body string) sendResultOut {
	h.t.Helper()
	var out sendResultOut
	h.Decode("send_email", map[string]any{"to": []any{to}, "subject": subject, "body": body}, &out)
	return out
}

func TestConfirmPolicyHoldsUntilConfirmed(t *testing.T) {
	h := policyHarness(t, policy.Policy{Mode: policy.Confirm}, policy.Caps{}, nil)
	out := send(h, friend, "Lunch plan A", "Shall we meet at noon?")
	if out.Status != "pending" || out.Token == "" || out.Preview == nil || out.Preview.Subject != "Lunch plan A" ||
		!strings.Contains(out.Preview.FirstLines, "noon") || len(out.Preview.To) != 1 {
		t.Fatalf("confirm policy: want a pending result with a preview, got %+v", out)
	}
	if n := count(h, "INBOX", "Lunch plan A"); n != 0 {
		t.Fatalf("a pending message was delivered (%d copies)", n)
	}
	res := h.Call("send_email", map[string]any{"to": []any{friend}, "subject": "Lunch plan C", "body": "x"})
	if !strings.Contains(resultText(res), "confirmation_token: cfm_") {
		t.Errorf("the token must be in the text content for clients that ignore structured content:\n%s", resultText(res))
	}
	// A changed message is a new send with its own token; confirming the
	// first token sends the first message, exactly as previewed.
	other := send(h, friend, "Lunch plan B", "Or at one?")
	if other.Token == "" || other.Token == out.Token {
		t.Fatalf("second message token %q", other.Token)
	}
	var sent sendResultOut
	h.Decode("confirm_send", map[string]any{"confirmation_token": out.Token}, &sent)
	if sent.Status != "sent" {
		t.Fatalf("confirm_send: %+v", sent)
	}
	if a, b := count(h, "INBOX", "Lunch plan A"), count(h, "INBOX", "Lunch plan B"); a != 1 || b != 0 {
		t.Fatalf("after confirming A: A delivered %d, B delivered %d", a, b)
	}
	// Replays and forgeries fail and send nothing.
	for _, tok := range []string{out.Token, "cfm_" + strings.Repeat("x", 43), other.Token + "x", "not-a-token"} {
		if msg := h.Fail("confirm_send", map[string]any{"confirmation_token": tok}); !strings.Contains(msg, "unknown") {
			t.Errorf("token %q: %s", tok, msg)
		}
	}
	if a := count(h, "INBOX", "Lunch plan A"); a != 1 {
		t.Errorf("a replayed token sent again: %d copies", a)
	}
}

func TestDraftsOnlyPolicySavesDrafts(t *testing.T) {
	h := policyHarness(t, policy.Policy{Mode: policy.DraftsOnly}, policy.Caps{}, nil)
	out := send(h, friend, "Quarterly numbers", "Draft for you to check.")
	if out.Status != "draft_saved" || out.DraftID == "" {
		t.Fatalf("drafts_only: %+v", out)
	}
	if count(h, "INBOX", "Quarterly numbers") != 0 || count(h, "Drafts", "Quarterly numbers") != 1 {
		t.Fatal("drafts_only must save to Drafts and deliver nothing")
	}
	if msg := h.Fail("send_draft", map[string]any{"id": out.DraftID}); !strings.Contains(msg, "drafts_only") {
		t.Errorf("send_draft under drafts_only: %s", msg)
	}
}

func TestDisabledPolicy(t *testing.T) {
	h := policyHarness(t, policy.Policy{Mode: policy.Disabled}, policy.Caps{}, nil)
	if msg := h.Fail("send_email", map[string]any{"to": []any{friend}, "subject": "x", "body": "y"}); !strings.Contains(msg, "disabled") {
		t.Errorf("disabled account: %s", msg)
	}
	for _, tool := range Available(Options{NoSending: true}) {
		if tool.Sends {
			t.Errorf("%s is offered although no account may send", tool.Name)
		}
	}
	names := map[string]bool{}
	for _, tool := range Available(Options{NoSending: true}) {
		names[tool.Name] = true
	}
	for _, n := range []string{"send_email", "reply", "forward", "send_draft", "confirm_send"} {
		if names[n] {
			t.Errorf("%s registered with sending disabled everywhere", n)
		}
	}
	if !names["outbox_status"] || !names["move"] {
		t.Error("the outbox view and the other write tools stay available")
	}
}

func TestAllowlistPolicy(t *testing.T) {
	allow, _ := policy.NewAllowList([]string{friend})
	h := policyHarness(t, policy.Policy{Mode: policy.Allowlist, Allow: allow}, policy.Caps{}, nil)
	if out := send(h, friend, "Allowed one", "hi"); out.Status != "sent" {
		t.Fatalf("allowlisted recipient: %+v", out)
	}
	out := send(h, "stranger@demo.mailmcp.test", "Outside one", "hi")
	if out.Status != "pending" || len(out.Reasons) == 0 || !strings.Contains(out.Reasons[0], "stranger@demo.mailmcp.test") {
		t.Fatalf("recipient outside the allowlist: %+v", out)
	}
	// Forwarding mail (here: the message just received) to an allowlisted
	// recipient goes; to anyone else it waits, even a known correspondent.
	var page struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	h.Decode("search", map[string]any{"subject": "Allowed one"}, &page)
	var fwd sendResultOut
	h.Decode("forward", map[string]any{"id": page.Messages[0].ID, "to": []any{"known@demo.mailmcp.test"}}, &fwd)
	if fwd.Status != "pending" {
		t.Fatalf("forward outside the allowlist: %+v", fwd)
	}
}

func TestSecretsNeedConfirmationEvenAutonomous(t *testing.T) {
	h := policyHarness(t, policy.Policy{Mode: policy.Autonomous}, policy.Caps{}, nil)
	if out := send(h, friend, "Plain note", "See you tomorrow."); out.Status != "sent" {
		t.Fatalf("autonomous plain send: %+v", out)
	}
	out := send(h, friend, "Keys", "here you go:\n-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
	if out.Status != "pending" || len(out.Findings) != 1 || out.Findings[0].Kind != "private key" {
		t.Fatalf("a private key in the body: %+v", out)
	}
	if count(h, "INBOX", "Keys") != 0 {
		t.Fatal("a message with a private key was sent without confirmation")
	}
}

func TestCapsHoldUnderConcurrentSends(t *testing.T) {
	h := policyHarness(t, policy.Policy{Mode: policy.Autonomous}, policy.Caps{PerHour: 5}, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	sent, capped := 0, 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := h.Call("send_email", map[string]any{"to": []any{friend}, "subject": fmt.Sprintf("burst %d", i), "body": "x"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case !res.IsError:
				sent++
			case strings.Contains(resultText(res), "limit_reached"):
				capped++
			default:
				t.Errorf("unexpected: %s", resultText(res))
			}
		}()
	}
	wg.Wait()
	if sent != 5 || capped != 15 {
		t.Fatalf("20 concurrent sends, cap 5/hour: %d sent, %d refused", sent, capped)
	}
	if n := count(h, "INBOX", "burst"); n != 5 {
		t.Errorf("%d burst messages delivered, want 5", n)
	}
}

func TestElicitationConfirms(t *testing.T) {
	var asked []string
	answer := mcp.ElicitationResponseActionAccept
	h := policyHarness(t, policy.Policy{Mode: policy.Confirm}, policy.Caps{}, func(r mcp.ElicitationRequest) *mcp.ElicitationResult {
		asked = append(asked, r.Params.Message)
		res := &mcp.ElicitationResult{}
		res.Action = answer
		if answer == mcp.ElicitationResponseActionAccept {
			res.Content = map[string]any{"send": true}
		}
		return res
	})
	if out := send(h, friend, "Asked and approved", "hello"); out.Status != "sent" {
		t.Fatalf("accepted elicitation: %+v", out)
	}
	if len(asked) != 1 || !strings.Contains(asked[0], "Asked and approved") || !strings.Contains(asked[0], friend) {
		t.Fatalf("the user was not shown the message: %q", asked)
	}
	answer = mcp.ElicitationResponseActionDecline
	if out := send(h, friend, "Asked and declined", "hello"); out.Status != "declined" || out.Token != "" {
		t.Fatalf("declined elicitation: %+v", out)
	}
	if count(h, "INBOX", "Asked and declined") != 0 {
		t.Fatal("a declined message was sent")
	}
}
