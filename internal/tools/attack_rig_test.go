package tools

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// The attack tests (attack_*_rig_test.go, one file per family of issue 14)
// play a manipulated agent against real Dovecot and Postfix: crafted mail
// from testdata/attacks is delivered into the victim's mailbox, the tools
// are called through a real MCP client, and each case asserts what the
// agent was told and that nothing reached Postfix.

// attackRig is one attack test's world: the stack, the harness, its users
// (the first, alice, is the victim) and a token unique to the test that
// every attacker address carries, so Postfix's log can be searched for it.
type attackRig struct {
	t     *testing.T
	S     *testrig.Stack
	H     *harness
	Users []rigUser
	Token string
	// Evil is the attacker's domain, evil-<token>.test.
	Evil string
}

// newAttackRig starts a harness whose accounts have send policy pol.
func newAttackRig(t *testing.T, pol policy.Policy, ids ...string) *attackRig {
	t.Helper()
	return newAttackRigWith(t, rigOptions{Policy: &pol}, ids...)
}

// newAttackRigWith is newAttackRig with every rig option.
func newAttackRigWith(t *testing.T, opt rigOptions, ids ...string) *attackRig {
	t.Helper()
	s, h, u := rigHarness(t, opt, ids...)
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	tok := hex.EncodeToString(b[:])
	return &attackRig{t: t, S: s, H: h, Users: u, Token: tok, Evil: "evil-" + tok + ".test"}
}

// allowDomain is an allowlist policy that trusts the rig's whole domain.
func allowDomain(domain string) policy.Policy {
	l, err := policy.NewAllowList([]string{domain})
	if err != nil {
		panic(err)
	}
	return policy.Policy{Mode: policy.Allowlist, Allow: l}
}

// fixture reads testdata/attacks/name with ${VICTIM} (alice's address),
// ${DOMAIN}, ${EVIL}, ${TOKEN} and vars replaced, with CRLF line endings.
func (r *attackRig) fixture(name string, vars ...string) []byte {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "attacks", name))
	if err != nil {
		r.t.Fatal(err)
	}
	pairs := append([]string{"${VICTIM}", r.Users[0].Email, "${DOMAIN}", r.S.Domain, "${EVIL}", r.Evil, "${TOKEN}", r.Token}, vars...)
	s := strings.NewReplacer(pairs...).Replace(string(b))
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
	return []byte(s)
}

// deliver stores raw in user's INBOX (through Dovecot's LMTP, as received
// mail) and returns its mailbox id.
func (r *attackRig) deliver(user rigUser, raw []byte) string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.S.DeliverLMTP(ctx, "attacker@"+r.Evil, []string{user.Email}, raw); err != nil {
		r.t.Fatal(err)
	}
	return r.waitID(user.ID, "INBOX", messageIDOf(r.t, raw))
}

// waitID polls folder for the message with messageID and returns its id.
func (r *attackRig) waitID(account, folder, messageID string) string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := r.H.Mail.Pool(account)
	if err != nil {
		r.t.Fatal(err)
	}
	for {
		page, err := p.Search(ctx, folder, imapconn.Criteria{Header: [][2]string{{"Message-ID", messageID}}}, 2, "")
		if err != nil {
			r.t.Fatalf("search %s/%s: %v", account, folder, err)
		}
		if len(page.Messages) == 1 {
			return page.Messages[0].ID
		}
		if ctx.Err() != nil {
			r.t.Fatalf("%d messages <%s> in %s/%s", len(page.Messages), messageID, account, folder)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// messageIDOf is the Message-ID of raw, without angle brackets.
func messageIDOf(t *testing.T, raw []byte) string {
	t.Helper()
	m := parseRaw(t, raw)
	if m.MessageID == "" {
		t.Fatal("fixture without a Message-ID")
	}
	return strings.Trim(m.MessageID, "<>")
}

// nothingReachedPostfix asserts that Postfix's log never mentions the
// test's token (so no attacker address was even offered to it) and that
// none of the listed users received anything in their INBOX.
func (r *attackRig) nothingReachedPostfix(users ...rigUser) {
	r.t.Helper()
	time.Sleep(300 * time.Millisecond) // postlogd writes asynchronously
	log, err := os.ReadFile(r.S.PostfixLog())
	if err != nil {
		r.t.Fatal(err)
	}
	for _, line := range bytes.Split(log, []byte("\n")) {
		if bytes.Contains(line, []byte(r.Token)) {
			r.t.Errorf("Postfix handled an attacker address: %s", line)
		}
	}
	for _, u := range users {
		if n := folderCount(r.t, r.H.Mail, u.ID, "INBOX"); n != 0 {
			r.t.Errorf("%s's INBOX holds %d messages, want none", u.ID, n)
		}
	}
}

// folderCount is the number of messages in folder (at most 50 counted).
func folderCount(t *testing.T, m *imapconn.Manager, account, folder string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := m.Pool(account)
	if err != nil {
		t.Fatal(err)
	}
	page, err := p.Search(ctx, folder, imapconn.Criteria{}, 50, "")
	if err != nil {
		t.Fatalf("search %s/%s: %v", account, folder, err)
	}
	return len(page.Messages)
}

// refused calls a tool that must answer with a tool error (reported on
// t, a subtest's own) and returns what the agent was told.
func refused(t *testing.T, h *harness, tool string, args map[string]any) string {
	t.Helper()
	res := h.Call(tool, args)
	if !res.IsError {
		t.Errorf("%s succeeded, want a tool error: %s", tool, resultText(res))
	}
	return resultText(res)
}

// told asserts that the agent's text contains every phrase.
func told(t *testing.T, text string, phrases ...string) {
	t.Helper()
	for _, p := range phrases {
		if !strings.Contains(text, p) {
			t.Errorf("agent was told:\n%s\nwant it to contain %q", text, p)
		}
	}
}
