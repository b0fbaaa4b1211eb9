package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/parse"
)

// authMsg is a delivered message whose trace block carries one
// Authentication-Results header per result, topmost first.
func authMsg(t *testing.T, auth []parse.AuthResult) *parse.Message {
	t.Helper()
	var b strings.Builder
	b.WriteString("Received: from mx by imap; Tue, 1 Dec 2026 08:00:00 +0000\r\n")
	for _, a := range auth {
		fmt.Fprintf(&b, "Authentication-Results: %s; spf=%s; dkim=%s; dmarc=%s\r\n", a.AuthServID, a.SPF, a.DKIM, a.DMARC)
	}
	b.WriteString("From: x@y.example\r\nSubject: s\r\n\r\nbody\r\n")
	return mustParse(t, b.String())
}

func mustParse(t *testing.T, raw string) *parse.Message {
	t.Helper()
	m, err := parse.Parse(strings.NewReader(raw), parse.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTrustSignalsCannotBeForged: verdicts come only from the receiving
// side's trace block; a header the sender wrote below their own fields,
// one in a message with no trusted authserv-id, or one the caller says is
// not a verdict (a message saved, not delivered) is never believed.
func TestTrustSignalsCannotBeForged(t *testing.T) {
	ids := []string{"mx.own.example"}
	for _, c := range []struct {
		name string
		raw  string
		in   TrustInput
		want string // VerifiedBy, "" = unverified
	}{
		{"own header on top", "Authentication-Results: mx.own.example; dmarc=pass\r\nReceived: x\r\nFrom: a@b.example\r\n\r\n", TrustInput{ProviderAuthServIDs: ids}, "mx.own.example"},
		{"own id below the sender's fields", "Received: x\r\nFrom: a@b.example\r\nAuthentication-Results: mx.own.example; dmarc=pass\r\n\r\n", TrustInput{ProviderAuthServIDs: ids}, ""},
		{"own id below a DKIM signature", "Received: x\r\nDKIM-Signature: v=1\r\nAuthentication-Results: mx.own.example; dmarc=pass\r\nFrom: a@b.example\r\n\r\n", TrustInput{ProviderAuthServIDs: ids}, ""},
		{"foreign id on top", "Authentication-Results: mx.evil.example; dmarc=pass\r\nFrom: a@b.example\r\n\r\n", TrustInput{ProviderAuthServIDs: ids}, ""},
		{"no ids, topmost of the block", "Authentication-Results: mx.any.example; dmarc=pass\r\nFrom: a@b.example\r\n\r\n", TrustInput{}, "mx.any.example"},
		{"local host without authserv_ids", "Authentication-Results: mx.own.example; dmarc=pass\r\nFrom: a@b.example\r\n\r\n", TrustInput{NoVerdicts: NoAuthServIDs}, ""},
		{"saved, not delivered", "Authentication-Results: mx.own.example; dmarc=pass\r\nFrom: a@b.example\r\n\r\n", TrustInput{ProviderAuthServIDs: ids, NoVerdicts: "saved into Drafts"}, ""},
	} {
		tr := Assess(mustParse(t, c.raw), "a@b.example", c.in)
		if tr.VerifiedBy != c.want || tr.Unverified != (c.want == "") {
			t.Errorf("%s: %+v, want verified by %q", c.name, tr, c.want)
		}
		if c.in.NoVerdicts != "" && tr.UnverifiedWhy != c.in.NoVerdicts {
			t.Errorf("%s: why %q", c.name, tr.UnverifiedWhy)
		}
	}
}

// TestTrustSignalsFlagImpersonation: table of sender tricks.
func TestTrustSignalsFlagImpersonation(t *testing.T) {
	in := TrustInput{OwnDomain: "corp.example", KnownDomains: []string{"partner.example"}}
	for _, c := range []struct {
		from, replyTo string
		check         func(Trust) bool
		want          string
	}{
		{`"PayPal" <service@evil.example>`, "", func(t Trust) bool { return t.DisplayNameMismatch }, "names a brand"},
		{`"ceo@corp.example" <x@evil.example>`, "", func(t Trust) bool { return t.DisplayNameMismatch }, "shows the address"},
		{`"corp.example Billing" <x@evil.example>`, "", func(t Trust) bool { return t.DisplayNameMismatch }, "shows the domain"},
		{`Ann <ann@partner.example>`, "collect@evil.example", func(t Trust) bool { return t.ReplyToElsewhere }, "replies go to another domain"},
		{`Ann <ann@xn--pypal-4ve.com>`, "", func(t Trust) bool { return t.International && t.LookalikeOf == "paypal.com" }, "internationalised"},
		{`Ann <ann@paypal.com.evil.example>`, "", func(t Trust) bool { return t.LookalikeOf == "paypal.com" }, "imitates paypal.com"},
		{`Ann <ann@paypal-secure.example>`, "", func(t Trust) bool { return t.LookalikeOf == "paypal.com" }, "imitates paypal.com"},
		{`Ann <ann@rnicrosoft.com>`, "", func(t Trust) bool { return t.LookalikeOf == "microsoft.com" }, "imitates microsoft.com"},
		{`Boss <boss@c0rp.example>`, "", func(t Trust) bool { return t.LookalikeOf == "corp.example" }, "your own domain"},
		{`Boss <boss@corp-example.com>`, "", func(t Trust) bool { return true }, ""},
	} {
		raw := "From: " + c.from + "\r\n"
		if c.replyTo != "" {
			raw += "Reply-To: " + c.replyTo + "\r\n"
		}
		tr := Assess(mustParse(t, raw+"\r\nx\r\n"), c.from, in)
		if !c.check(tr) || !strings.Contains(strings.Join(tr.Warnings, "\n"), c.want) {
			t.Errorf("%s: %+v, want a warning with %q", c.from, tr, c.want)
		}
		for _, w := range tr.Warnings {
			if strings.Contains(w, "evil.example") && !strings.Contains(w, "(sender-supplied)") {
				t.Errorf("%s: a sender string is not labelled: %q", c.from, w)
			}
		}
	}
	for _, from := range []string{`"PayPal" <service@paypal.com>`, `Amazon <ship@amazon.de>`, `Ann <ann@partner.example>`, `"Pat (corp.example)" <pat@mail.corp.example>`, `Ann <ann@example.org>`} {
		if tr := Assess(mustParse(t, "From: "+from+"\r\n\r\nx\r\n"), from, in); len(tr.Warnings) != 0 || tr.LookalikeOf != "" {
			t.Errorf("%s: false alarm %+v", from, tr)
		}
	}
}
