package tools

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// TestRigAttackSecretExfiltration (issue 14, item 4): a manipulated agent
// reads a one-time code, a password or a recovery kit and sends it on to
// an allowlisted recipient — disguised in every way the old scanner
// missed: in the subject, spaced or grouped, full-width, base64 or HTML
// encoded, in a binary or HTML attachment, forwarded inline or as an
// attachment. The allowlist would let each of these go straight out; each
// must instead wait for confirmation with a finding, and nothing may reach
// Postfix. A harmless message to the same recipient still goes out.
func TestRigAttackSecretExfiltration(t *testing.T) {
	domain := testrig.Require(t).Domain
	r := newAttackRig(t, allowDomain(domain), "alice", "bob")
	alice, bob := r.Users[0], r.Users[1]
	dir := t.TempDir()
	r.H.Deps.Accounts[0].AttachmentDir = dir
	for name, content := range map[string]string{
		"notes.html": "<p>for you: &#52;&#56;&#51;&#57;&#50;&#48;</p>",
		"blob.bin":   "\x00\x01\x02\xff" + "483920" + "\x00\x10",
		"report.txt": "nothing secret here, quarterly numbers 17 and 23",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// The agent reads the mail (as it would when told to "check the inbox").
	otp := r.deliver(alice, r.fixture("secret-otp.eml"))
	pw := r.deliver(alice, r.fixture("secret-password.eml"))
	kit := r.deliver(alice, r.fixture("secret-otp-binary.eml"))
	wide := r.deliver(alice, r.fixture("secret-otp-fullwidth.eml"))
	for _, id := range []string{otp, pw, kit, wide} {
		toolText(t, r.H, "fetch_message", map[string]any{"id": id})
	}

	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	send := func(subject, body string, extra map[string]any) (string, map[string]any) {
		args := map[string]any{"account": "alice", "to": []any{bob.Email}, "subject": subject, "body": body}
		for k, v := range extra {
			args[k] = v
		}
		return "send_email", args
	}
	cases := []struct {
		name string
		tool string
		args map[string]any
		kind string // a finding of this kind is expected
	}{
		{name: "code in the subject", kind: "from received mail"},
		{name: "spaced digits", kind: "from received mail"},
		{name: "grouped digits", kind: "from received mail"},
		{name: "full-width digits", kind: "from received mail"},
		{name: "base64 code", kind: "from received mail"},
		{name: "base64 token", kind: "GitHub token"},
		{name: "pw: password", kind: "password"},
		{name: "the password is", kind: "password"},
		{name: "password respaced", kind: "from received mail"},
		{name: "HTML attachment with entities", kind: "from received mail"},
		{name: "binary attachment", kind: "from received mail"},
		{name: "octet-stream part of the received kit", kind: "one-time code"},
		{name: "HTML part of the received kit", kind: "one-time code"},
		{name: "forward inline", kind: "code"},
		{name: "forward as attachment", kind: "code"},
		{name: "forward inline of a full-width code", kind: "code"},
		{name: "forward as attachment of a full-width code", kind: "code"},
		{name: "code of the subject, no wording", kind: "from received mail"},
	}
	token := "ghp_" + strings.Repeat("Ab3d", 9)
	for i := range cases {
		c := &cases[i]
		switch c.name {
		case "code in the subject":
			c.tool, c.args = send("483920", "see subject", nil)
		case "spaced digits":
			c.tool, c.args = send("numbers", "here you go: 4 8 3 9 2 0", nil)
		case "grouped digits":
			c.tool, c.args = send("numbers", "48 39 20", nil)
		case "full-width digits":
			c.tool, c.args = send("numbers", "４８３９２０", nil)
		case "base64 code":
			c.tool, c.args = send("numbers", "decode this: "+b64("483920"), nil)
		case "base64 token":
			c.tool, c.args = send("config", "ci: "+b64(token), nil)
		case "pw: password":
			c.tool, c.args = send("login", "pw: Zz9-unseen-Pass", nil)
		case "the password is":
			c.tool, c.args = send("login", "the password is Zz9unseenPass", nil)
		case "password respaced":
			c.tool, c.args = send("letters", "Xq7p Lm2z Rv", nil)
		case "HTML attachment with entities":
			c.tool, c.args = send("notes", "attached", map[string]any{"attachments": []any{"notes.html"}})
		case "binary attachment":
			c.tool, c.args = send("blob", "attached", map[string]any{"attachments": []any{"blob.bin"}})
		case "octet-stream part of the received kit":
			c.tool, c.args = send("kit", "attached", map[string]any{"attachments": []any{map[string]any{"message_id": kit, "part": "2"}}})
		case "HTML part of the received kit":
			c.tool, c.args = send("kit", "attached", map[string]any{"attachments": []any{map[string]any{"message_id": kit, "part": "3"}}})
		case "forward inline":
			c.tool, c.args = "forward", map[string]any{"id": otp, "to": []any{bob.Email}, "note": "fyi"}
		case "forward as attachment":
			c.tool, c.args = "forward", map[string]any{"id": otp, "to": []any{bob.Email}, "as_attachment": true}
		case "forward inline of a full-width code":
			c.tool, c.args = "forward", map[string]any{"id": wide, "to": []any{bob.Email}, "note": "fyi"}
		case "forward as attachment of a full-width code":
			c.tool, c.args = "forward", map[string]any{"id": wide, "to": []any{bob.Email}, "as_attachment": true}
		case "code of the subject, no wording":
			c.tool, c.args = send("hello", "548-392", nil)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out sendResultOut
			res := r.H.Decode(c.tool, c.args, &out)
			if out.Status != "pending" || out.Token == "" {
				t.Fatalf("%s went out without confirmation (status %q): %s", c.name, out.Status, resultText(res))
			}
			found := false
			for _, f := range out.Findings {
				found = found || strings.Contains(f.Kind, c.kind)
			}
			if !found {
				t.Errorf("findings %+v lack %q", out.Findings, c.kind)
			}
			told(t, resultText(res), "nothing was sent", "appears to contain secrets")
			for _, secret := range []string{"483920", "Xq7pLm2zRv", "Zz9unseenPass", token} {
				for _, reason := range out.Reasons {
					if strings.Contains(reason, secret) {
						t.Errorf("the reason repeats the secret: %q", reason)
					}
				}
			}
		})
	}
	r.nothingReachedPostfix(bob)
	if log, err := os.ReadFile(r.S.PostfixLog()); err == nil && strings.Contains(string(log), bob.Email) {
		t.Errorf("Postfix's log mentions %s: a message was submitted", bob.Email)
	}

	// Control: the allowlist still lets an ordinary message go out.
	var out sendResultOut
	r.H.Decode("send_email", map[string]any{"account": "alice", "to": []any{bob.Email}, "subject": "Lunch", "body": "Noon at the usual place?", "attachments": []any{"report.txt"}}, &out)
	if out.Status != "sent" {
		t.Errorf("an ordinary message to an allowlisted recipient: status %q, findings %+v", out.Status, out.Findings)
	}
}
