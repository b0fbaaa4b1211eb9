package tools

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/policy"
)

// TestRigAttackForgedTrust (issue 14, item 5): crafted mail delivered into
// Dovecot tries to earn trust it has not: a sender-written "pass" verdict
// on an account whose IMAP host is an IP address, a verdict with the
// account's own authserv-id written below the sender's fields, the same
// message APPENDed into Drafts, a Reply-To into another domain, display
// names that claim a brand or an address of the victim's domain, and
// domains imitating the victim's own, a brand by IDN homoglyph or as
// brand.com.evil.tld. fetch_message must flag each, in its structured
// trust signals and in the server's own lines above the frame, with every
// sender string quoted and labelled.
func TestRigAttackForgedTrust(t *testing.T) {
	r := newAttackRig(t, policy.Policy{Mode: policy.Confirm}, "alice")
	alice := r.Users[0]
	setIDs := func(ids ...string) { r.H.Deps.Accounts[0].AuthServIDs = ids }
	fetch := func(t *testing.T, id string) (policy.Trust, string) {
		t.Helper()
		var out struct {
			Trust policy.Trust `json:"trust"`
		}
		res := r.H.Decode("fetch_message", map[string]any{"id": id}, &out)
		return out.Trust, resultText(res)
	}
	appendDraft := func(t *testing.T, raw []byte) string {
		t.Helper()
		p, err := r.H.Mail.Pool("alice")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		drafts, err := p.FolderForRole(ctx, "drafts")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Append(ctx, drafts, nil, time.Now(), raw); err != nil {
			t.Fatal(err)
		}
		return r.waitID("alice", drafts, messageIDOf(t, raw))
	}
	for _, c := range []struct {
		fixture string
		ids     []string
		draft   bool // APPENDed into Drafts instead of delivered
		check   func(policy.Trust) bool
		told    []string
	}{
		{"trust-forged-pass.eml", nil, false,
			func(tr policy.Trust) bool { return tr.Unverified && tr.DMARC == "" && tr.LookalikeOf == "paypal.com" },
			[]string{"Sender checks (by mailmcp): no trusted authentication results: set authserv_ids", `"paypa1.com" (sender-supplied)`, "paypal.com, a well-known brand's domain"}},
		{"trust-forged-pass.eml", []string{"mx.google.com"}, true,
			func(tr policy.Trust) bool { return tr.Unverified && tr.DMARC == "" },
			[]string{"no trusted authentication results: the message is in Drafts, saved there by a mail client rather than delivered"}},
		{"trust-forged-own-id-below.eml", []string{"mx.own.test"}, false,
			func(tr policy.Trust) bool { return tr.Unverified && tr.DMARC == "" },
			[]string{"Sender checks (by mailmcp): no authentication results from your provider"}},
		{"trust-reply-to.eml", nil, false,
			func(tr policy.Trust) bool { return tr.ReplyToElsewhere },
			[]string{"replies go to another domain: Reply-To is \"ann@" + r.Evil + "\" (sender-supplied)"}},
		{"trust-brand-display.eml", nil, false,
			func(tr policy.Trust) bool { return tr.DisplayNameMismatch },
			[]string{`the display name "PayPal" (sender-supplied) names a brand that sends from paypal.com`}},
		{"trust-ceo-display.eml", nil, false,
			func(tr policy.Trust) bool { return tr.DisplayNameMismatch },
			[]string{`the display name shows the address "ceo@` + r.S.Domain + `" (sender-supplied)`}},
		{"trust-own-lookalike.eml", nil, false,
			func(tr policy.Trust) bool { return tr.LookalikeOf == r.S.Domain },
			[]string{`"examp1e.test" (sender-supplied) looks like ` + r.S.Domain + `, your own domain`}},
		{"trust-idn.eml", nil, false,
			func(tr policy.Trust) bool { return tr.International && tr.LookalikeOf == "paypal.com" },
			[]string{"is an internationalised name", "(shown as pаypal.com)"}},
		{"trust-brand-prefix.eml", nil, false,
			func(tr policy.Trust) bool { return tr.LookalikeOf == "paypal.com" },
			[]string{`"paypal.com.` + r.Evil + `" (sender-supplied) imitates paypal.com`}},
	} {
		name := c.fixture
		if c.draft {
			name += "/appended-into-drafts"
		}
		t.Run(name, func(t *testing.T) {
			setIDs(c.ids...)
			raw := r.fixture(c.fixture)
			var id string
			if c.draft {
				id = appendDraft(t, raw)
			} else {
				id = r.deliver(alice, raw)
			}
			tr, text := fetch(t, id)
			if !c.check(tr) {
				t.Errorf("trust signals: %+v", tr)
			}
			open := strings.Index(text, "<<<EXTERNAL_EMAIL_CONTENT nonce=")
			if open < 0 {
				t.Fatalf("no frame:\n%s", text)
			}
			told(t, text[:open], c.told...)
			for _, line := range strings.Split(text[:open], "\n") {
				if strings.Contains(line, r.Evil) && !strings.Contains(line, "(sender-supplied)") {
					t.Errorf("a sender string above the frame is not labelled: %q", line)
				}
			}
		})
	}
	r.nothingReachedPostfix()
}
