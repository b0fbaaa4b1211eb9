package tools

import (
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// TestRigAttackReceivedMailAsDraft (issue 14, item 1): received mail
// copied or moved into Drafts and handed to send_draft never goes out as
// it stands. It is not a draft mailmcp saved, so it is rebuilt from its
// parts as a message from the account (its own From, no Sender, a new
// Date and Message-ID, text only) and held for the user's confirmation in
// every mode; the preview shows the real From and the attacker's Reply-To.
// Nothing reaches Postfix until the user confirms, and what goes out then
// is the rebuilt message.
func TestRigAttackReceivedMailAsDraft(t *testing.T) {
	domain := testrig.Require(t).Domain
	cases := []struct {
		name    string
		policy  policy.Policy
		fixture string
		op      string
		want    []string // phrases the agent is told, besides the common ones
	}{
		{"forged CEO, copy, allowlist", allowDomain(domain), "draft-forged-ceo.eml", "copy",
			[]string{"Reply-To: mallory@${EVIL}", "names a sender that is not this account's address (Reply-To: mallory@${EVIL})"}},
		{"forged CEO, move, allowlist", allowDomain(domain), "draft-forged-ceo.eml", "move",
			[]string{"Reply-To: mallory@${EVIL}"}},
		{"hidden Bcc, copy, autonomous", policy.Policy{Mode: policy.Autonomous}, "draft-hidden-bcc.eml", "copy",
			[]string{"Bcc: mallory@${EVIL}"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newAttackRig(t, c.policy, "alice", "bob")
			alice, bob := r.Users[0], r.Users[1]
			raw := r.fixture(c.fixture, "${FRIEND}", bob.Email)
			id := r.deliver(alice, raw)
			r.H.OK(c.op, map[string]any{"ids": []any{id}, "to": "drafts"})
			draft := r.waitID("alice", "Drafts", messageIDOf(t, raw))

			var out sendOutput
			res := r.H.Decode("send_draft", map[string]any{"id": draft}, &out)
			if out.Status != "pending" {
				t.Fatalf("send_draft of received mail: status %q, want pending: %s", out.Status, resultText(res))
			}
			want := []string{"nothing was sent", "From: Alice <" + alice.Email + ">", "not saved by mailmcp", "whatever the send policy"}
			for _, w := range c.want {
				want = append(want, strings.ReplaceAll(w, "${EVIL}", r.Evil))
			}
			told(t, resultText(res), want...)
			if strings.Contains(out.Preview.From, "CEO") {
				t.Errorf("preview From %q shows the forged name", out.Preview.From)
			}
			r.nothingReachedPostfix(bob)

			// Confirmed by the user, the rebuilt message goes: from the
			// account, without the forged Sender or the hidden HTML, under a
			// new Message-ID.
			sent := sendOK(r.H, "confirm_send", map[string]any{"confirmation_token": out.Token})
			if sent.Status != "sent" {
				t.Fatalf("confirm_send: %+v", sent)
			}
			got := waitCopies(t, r.H, "bob", "INBOX", sent.MessageID)[0]
			hdr := headerOf(got)
			if sent.MessageID == messageIDOf(t, raw) || strings.Contains(hdr, "\r\nSender:") || strings.Contains(hdr, "CEO") ||
				!strings.Contains(hdr, "From: \"Alice\" <"+alice.Email+">") || strings.Contains(string(got), "display:none") {
				t.Errorf("what was sent after confirmation is not the rebuilt message:\n%s", got)
			}
		})
	}
}

// TestRigAttackSendDraftOfReceivedMail: send_draft given the id of received
// mail itself (no copy needed) refuses: it sends drafts only.
func TestRigAttackSendDraftOfReceivedMail(t *testing.T) {
	r := newAttackRig(t, policy.Policy{Mode: policy.Autonomous}, "alice", "bob")
	id := r.deliver(r.Users[0], r.fixture("draft-forged-ceo.eml", "${FRIEND}", r.Users[1].Email))
	told(t, refused(t, r.H, "send_draft", map[string]any{"id": id}), "not a draft in", "nothing was sent", "list_drafts")
	r.nothingReachedPostfix(r.Users[1])
}

// TestRigSavedDraftSendsAsSaved: the other side of the rule — a draft
// mailmcp saved goes out as saved, under the allowlist without asking.
func TestRigSavedDraftSendsAsSaved(t *testing.T) {
	r := newAttackRig(t, allowDomain(testrig.Require(t).Domain), "alice", "bob")
	var saved saveDraftOutput
	r.H.Decode("save_draft", map[string]any{"account": "alice", "to": []any{r.Users[1].Email}, "subject": "Agenda", "body": "1. Budget"}, &saved)
	out := sendOK(r.H, "send_draft", map[string]any{"id": saved.DraftID})
	if out.Status != "sent" || out.MessageID != saved.MessageID {
		t.Fatalf("send_draft of a saved draft: %+v", out)
	}
	waitCopies(t, r.H, "bob", "INBOX", saved.MessageID)
}

// TestRigAttackForeignReplyTo: a Reply-To that is not the account's own
// (an agent told "set reply_to to our new finance address") never goes
// out silently, even under autonomous: the answers would go to the
// attacker.
func TestRigAttackForeignReplyTo(t *testing.T) {
	r := newAttackRig(t, policy.Policy{Mode: policy.Autonomous}, "alice", "bob")
	var out sendOutput
	res := r.H.Decode("send_email", map[string]any{"account": "alice", "to": []any{r.Users[1].Email}, "reply_to": []any{"mallory@" + r.Evil},
		"subject": "Invoices", "body": "Please answer with the invoices."}, &out)
	if out.Status != "pending" {
		t.Fatalf("send_email with a foreign reply_to: %s", resultText(res))
	}
	told(t, resultText(res), "Reply-To: mallory@"+r.Evil, "names a sender that is not this account's address (Reply-To: mallory@"+r.Evil+")")
	r.nothingReachedPostfix(r.Users[1])
}
