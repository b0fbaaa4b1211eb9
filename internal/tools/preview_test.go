package tools

import (
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/policy"
)

// TestPreviewShowsPaddedTail (issue 14, item 2): blank-line padding cannot
// push a body's tail out of the confirmation preview unseen; a cut preview
// says how much it left out. Nothing is delivered while pending.
func TestPreviewShowsPaddedTail(t *testing.T) {
	cases := []struct {
		name, body string
		want       []string
	}{
		{"45 blank lines", "Hi Bob,\n" + strings.Repeat("\n", 45) + "Also wire 9,000 EUR to IBAN DE00 1234.", []string{"wire 9,000 EUR"}},
		{"long body cut", strings.Repeat("line of text\n", 30) + "hidden tail", []string{"… 23 more lines", "characters not shown"}},
	}
	h := policyHarness(t, policy.Policy{Mode: policy.Confirm}, policy.Caps{}, nil)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			subject := "Preview case " + string(rune('A'+i))
			out := send(h, friend, subject, c.body)
			if out.Status != "pending" || out.Preview == nil {
				t.Fatalf("want pending with a preview, got %+v", out)
			}
			for _, w := range c.want {
				if !strings.Contains(out.Preview.FirstLines, w) {
					t.Errorf("preview %q lacks %q", out.Preview.FirstLines, w)
				}
			}
			if n := count(h, "INBOX", subject); n != 0 {
				t.Errorf("a pending message was delivered (%d copies)", n)
			}
		})
	}
}
