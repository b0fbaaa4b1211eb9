package tools

import (
	"slices"
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// TestRigAttackAddressRouting (issue 14, item 8): addresses whose real
// destination is not the domain after the last '@' — the percent hack, a
// quoted local part holding '@', a bang path, a source route — are refused
// before the allowlist looks at them, on every path that takes addresses
// (send_email arguments, the Reply-To of received mail). Comments and
// display names are matched by the real destination. Nothing reaches
// Postfix for the attacker.
func TestRigAttackAddressRouting(t *testing.T) {
	s := testrig.Require(t).Domain
	r := newAttackRig(t, allowDomain(s), "alice", "bob")
	bob := r.Users[1]

	sends := []struct {
		name string
		to   string
		want []string // phrases of the refusal
	}{
		{"percent hack", "mallory%" + r.Evil + "@" + s, []string{"invalid_argument", "percent hack", "Nothing was sent"}},
		{"quoted at", `"mallory@` + r.Evil + `"@` + s, []string{"invalid_argument", "second '@'", "Nothing was sent"}},
		{"quoted percent", `"mallory%` + r.Evil + `"@` + s, []string{"invalid_argument", "percent hack", "Nothing was sent"}},
		{"bang path", r.Evil + "!mallory@" + s, []string{"invalid_argument", "bang path", "Nothing was sent"}},
		{"source route", "<@" + s + ":mallory@" + r.Evil + ">", []string{"invalid_argument", "is not a valid", "Nothing was sent"}},
	}
	for _, c := range sends {
		t.Run("send_email/"+c.name, func(t *testing.T) {
			told(t, refused(t, r.H, "send_email", map[string]any{"account": "alice", "to": []any{c.to}, "subject": "Numbers", "body": "Q3: 42"}), c.want...)
		})
	}

	// The Reply-To of received mail: refused, or (parse reads the quoted
	// local part "mallory@evil"@domain as mallory@evil) held for the user
	// with the real destination in the preview.
	replies := []struct {
		fixture string
		want    []string
		pending bool
	}{
		{"address-reply-to-quoted-at.eml", []string{"nothing was sent", "To: mallory@" + r.Evil, "outside the allowlist: mallory@" + r.Evil}, true},
		{"address-reply-to-percent.eml", []string{"invalid_argument", "percent hack"}, false},
		{"address-reply-to-bang.eml", []string{"invalid_argument", "bang path"}, false},
	}
	for _, c := range replies {
		t.Run("reply/"+c.fixture, func(t *testing.T) {
			id := r.deliver(r.Users[0], r.fixture(c.fixture))
			res := r.H.Call("reply", map[string]any{"id": id, "body": "Q3: 42"})
			if res.IsError == c.pending {
				t.Errorf("reply: error %v, want %v", res.IsError, !c.pending)
			}
			told(t, resultText(res), c.want...)
		})
	}
	r.nothingReachedPostfix(bob)

	// A comment or a display name is not a destination: the real address
	// decides. The comment's attacker address is never offered to Postfix;
	// the display name that looks like bob's address still needs the
	// user, and the preview names the real recipient.
	t.Run("comment", func(t *testing.T) {
		out := sendOK(r.H, "send_email", map[string]any{"account": "alice", "to": []any{bob.Email + " (mallory@" + r.Evil + ")"}, "subject": "Commented", "body": "x"})
		if out.Status != "sent" || !slices.Equal(out.Accepted, []string{bob.Email}) {
			t.Fatalf("comment: %+v, want sent to %s only", out, bob.Email)
		}
		waitCopies(t, r.H, "bob", "INBOX", out.MessageID)
	})
	t.Run("display name", func(t *testing.T) {
		res := r.H.Call("send_email", map[string]any{"account": "alice", "to": []any{`"` + bob.Email + `" <mallory@` + r.Evil + `>`}, "subject": "Named", "body": "x"})
		text := resultText(res)
		if res.IsError || !strings.Contains(text, "nothing was sent") {
			t.Fatalf("display name: %s, want pending", text)
		}
		told(t, text, "recipients outside the allowlist: mallory@"+r.Evil, "To: mallory@"+r.Evil)
	})
	r.nothingReachedPostfix()
}
