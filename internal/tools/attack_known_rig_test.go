package tools

import (
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/policy"
)

// TestRigAttackPlantedCorrespondents (issue 14, item 3): known
// correspondents cannot be planted. Received mail copied or moved into
// Sent — with a forged From of the account or another sender's — never
// makes its recipients "known", so under an allowlist with
// allow_known_correspondents a send to them still waits for the user.
// copy and move refuse to place mail from others into Sent or Drafts, and
// flag mail "from" the account that they place there.
func TestRigAttackPlantedCorrespondents(t *testing.T) {
	cases := []struct {
		name, fixture, op, to string
		refused               bool
	}{
		{"forged own From, copy to Sent", "known-planted-sent.eml", "copy", "sent", false},
		{"forged own From, move to Sent", "known-planted-sent.eml", "move", "sent", false},
		{"other sender, copy to Sent", "known-planted-foreign.eml", "copy", "sent", true},
		{"other sender, move to Sent", "known-planted-foreign.eml", "move", "sent", true},
		{"other sender, copy to Drafts", "known-planted-foreign.eml", "copy", "drafts", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			allow, err := policy.NewAllowList(nil)
			if err != nil {
				t.Fatal(err)
			}
			r := newAttackRig(t, policy.Policy{Mode: policy.Allowlist, Allow: allow, KnownCorrespondents: true}, "alice")
			id := r.deliver(r.Users[0], r.fixture(c.fixture))
			var out bulkOut
			res := r.H.Decode(c.op, map[string]any{"ids": []any{id}, "to": c.to}, &out)
			text := resultText(res)
			switch {
			case c.refused && (out.Failed != 1 || !strings.Contains(text, "is not this account's address")):
				t.Errorf("%s of mail from another sender into %s: %s, want it refused", c.op, c.to, text)
			case !c.refused && (out.Succeeded != 1 || !strings.Contains(text, "placed by the agent")):
				t.Errorf("%s into %s: %s, want it done and flagged", c.op, c.to, text)
			}
			// Reading mail is what seeds known correspondents from Sent.
			src := id
			if c.op == "move" && !c.refused {
				src = out.Results[0].NewID
			}
			r.H.OK("fetch_message", map[string]any{"id": src})

			var sent sendOutput
			res = r.H.Decode("send_email", map[string]any{"account": "alice", "to": []any{"mallory@" + r.Evil}, "subject": "Re: our contract", "body": "Here is the signed copy."}, &sent)
			if sent.Status != "pending" {
				t.Fatalf("send to a planted correspondent: %s, want pending", resultText(res))
			}
			told(t, resultText(res), "recipients outside the allowlist: mallory@"+r.Evil)
			r.nothingReachedPostfix()
		})
	}
}
