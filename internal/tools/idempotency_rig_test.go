package tools

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestRigIdempotencyKeyReuse (issue 14, item 9): a key already used for one
// message, reused for a different one (recipients, subject, or only the
// body, through send_email or send_draft), is a conflict that names the
// difference, and the different message never reaches Postfix. Reusing it
// for the same message is still the earlier send, reported as a duplicate.
func TestRigIdempotencyKeyReuse(t *testing.T) {
	s, h, u := rigHarness(t, rigOptions{}, "alice", "bob", "carol")
	bob, carol := u[1], u[2]
	first := sendOK(h, "send_email", map[string]any{"account": "alice", "to": []any{bob.Email},
		"subject": "Invoice 7", "body": "Attached.", "idempotency_key": "inv-7"})
	if first.Status != "sent" {
		t.Fatalf("first send: %+v", first)
	}
	waitCopies(t, h, "bob", "INBOX", first.MessageID)

	cases := []struct {
		name    string
		to      string
		subject string
		body    string
		want    []string
	}{
		{"other recipient", carol.Email, "Invoice 7", "Attached.", []string{"recipients were " + strings.ToLower(bob.Email), "now " + strings.ToLower(carol.Email)}},
		{"other subject", bob.Email, "Invoice 8", "Attached.", []string{`subject was "Invoice 7", now "Invoice 8"`}},
		{"other body", bob.Email, "Invoice 7", "Attached. Pay to IBAN XX00 instead.", []string{"the body, an attachment or another header differs"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := h.Fail("send_email", map[string]any{"account": "alice", "to": []any{c.to},
				"subject": c.subject, "body": c.body, "idempotency_key": "inv-7"})
			for _, w := range append([]string{"conflict", "different message", "nothing was sent"}, c.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("agent was told %q; want it to contain %q", msg, w)
				}
			}
		})
	}
	again := sendOK(h, "send_email", map[string]any{"account": "alice", "to": []any{bob.Email},
		"subject": "Invoice 7", "body": "Attached.", "idempotency_key": "inv-7"})
	if !again.Duplicate || again.OutboxID != first.OutboxID {
		t.Errorf("same message, same key: %+v, want the earlier send as a duplicate", again)
	}

	// send_draft with the key of the earlier send, for a draft that says
	// something else: the same conflict, and the draft stays.
	var saved saveDraftOutput
	h.Decode("save_draft", map[string]any{"account": "alice", "to": []any{bob.Email}, "subject": "Invoice 7", "body": "Attached. New bank details."}, &saved)
	msg := h.Fail("send_draft", map[string]any{"id": saved.DraftID, "idempotency_key": "inv-7"})
	for _, w := range []string{"conflict", "different message", "the body, an attachment or another header differs", "nothing was sent"} {
		if !strings.Contains(msg, w) {
			t.Errorf("send_draft with a reused key: agent was told %q; want %q", msg, w)
		}
	}
	if n := len(copies(t, h.Mail, "alice", "Drafts", saved.MessageID)); n != 1 {
		t.Errorf("the draft after a refused send_draft: %d copies, want 1", n)
	}

	// Nothing reached Postfix for carol, and bob got exactly one copy.
	time.Sleep(time.Second)
	log, err := os.ReadFile(s.PostfixLog())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(string(log)), "to=<"+strings.ToLower(carol.Email)+">") {
		t.Errorf("Postfix handled a message for %s:\n%s", carol.Email, s.LogTails())
	}
	if n := len(copies(t, h.Mail, "bob", "INBOX", first.MessageID)); n != 1 {
		t.Errorf("bob holds %d copies, want 1", n)
	}
	if n := len(copies(t, h.Mail, "alice", "Sent", first.MessageID)); n != 1 {
		t.Errorf("alice's Sent holds %d copies, want 1", n)
	}
}
