package policy

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig/statetest"
	"github.com/mailmcp/mailmcp/parse"
)

func mustAllow(t *testing.T, entries ...string) *AllowList {
	t.Helper()
	l, err := NewAllowList(entries)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestAllowList(t *testing.T) {
	l := mustAllow(t, "Pat@Example.org", "@corp.example", "partner.example", "*.eu.example", "bücher.example")
	for addr, want := range map[string]bool{
		"pat@example.org":          true,
		"PAT@EXAMPLE.ORG":          true,
		"kim@example.org":          false,
		"a@corp.example":           true,
		"a@sub.corp.example":       false,
		"b@partner.example":        true,
		"c@x.eu.example":           true,
		"c@eu.example":             false,
		"d@xn--bcher-kva.example":  true,
		"d@bücher.example":         true,
		"e@evilpartner.example":    false,
		"f@partner.example.evil.x": false,
	} {
		n, err := NormAddress(addr)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if got := l.Allows(n); got != want {
			t.Errorf("Allows(%s) = %v, want %v", addr, got, want)
		}
	}
	if _, err := NewAllowList([]string{"@"}); err == nil {
		t.Error("an empty domain must be rejected")
	}
}

func TestDecideModes(t *testing.T) {
	friend, stranger := "pat@example.org", "x@elsewhere.example"
	out := func(fwd bool, rcpt ...string) Outgoing {
		return Outgoing{Recipients: rcpt, Forward: fwd, Texts: []Text{{"body", "See you at lunch."}}}
	}
	known := func(a string) bool { return a == "old@friend.example" }
	allow := mustAllow(t, "example.org")
	cases := []struct {
		name                  string
		p                     Policy
		o                     Outgoing
		refuse, draft, asking bool
	}{
		{"disabled", Policy{Mode: Disabled}, out(false, friend), true, false, false},
		{"drafts_only", Policy{Mode: DraftsOnly}, out(false, friend), false, true, false},
		{"confirm", Policy{Mode: Confirm}, out(false, friend), false, false, true},
		{"default is confirm", Policy{}, out(false, friend), false, false, true},
		{"allowlist inside", Policy{Mode: Allowlist, Allow: allow}, out(false, friend), false, false, false},
		{"allowlist outside", Policy{Mode: Allowlist, Allow: allow}, out(false, friend, stranger), false, false, true},
		{"known correspondent admitted", Policy{Mode: Allowlist, Allow: allow, KnownCorrespondents: true}, out(false, "old@friend.example"), false, false, false},
		{"known correspondent off", Policy{Mode: Allowlist, Allow: allow}, out(false, "old@friend.example"), false, false, true},
		{"forward to known but unlisted needs confirmation", Policy{Mode: Allowlist, Allow: allow, KnownCorrespondents: true}, out(true, "old@friend.example"), false, false, true},
		{"forward inside allowlist", Policy{Mode: Allowlist, Allow: allow}, out(true, friend), false, false, false},
		{"autonomous", Policy{Mode: Autonomous}, out(false, stranger), false, false, false},
	}
	for _, c := range cases {
		d := c.p.Decide(c.o, known)
		if (d.Refuse != "") != c.refuse || d.DraftOnly != c.draft || d.Confirm != c.asking {
			t.Errorf("%s: got %+v", c.name, d)
		}
		if d.Confirm && len(d.Reasons) == 0 {
			t.Errorf("%s: a confirmation must say why", c.name)
		}
	}
	// Secrets force a confirmation in every sending mode.
	for _, m := range []Mode{Allowlist, Autonomous} {
		o := Outgoing{Recipients: []string{friend}, Texts: []Text{{"body", "key: AKIAIOSFODNN7EXAMPLE"}}}
		d := Policy{Mode: m, Allow: allow}.Decide(o, nil)
		if !d.Confirm || len(d.Findings) != 1 || d.Findings[0].Kind != "AWS access key" {
			t.Errorf("%s with a secret: %+v", m, d)
		}
		if strings.Contains(strings.Join(d.Reasons, " "), "AKIA") {
			t.Errorf("the reason must not repeat the secret: %v", d.Reasons)
		}
	}
}

func TestScanText(t *testing.T) {
	hits := map[string]string{
		"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn...":                    "private key",
		"token ghp_" + strings.Repeat("a1B2", 9):                            "GitHub token",
		"xoxb-1234567890-abcdefghij":                                        "Slack token",
		"sk_live_" + strings.Repeat("x", 24):                                "Stripe secret key",
		"AIza" + strings.Repeat("B", 35):                                    "Google API key",
		"sk-ant-" + strings.Repeat("k", 40):                                 "OpenAI or Anthropic API key",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop": "JSON web token",
		"db password: hunter2hunter2":                                       "password assignment",
		"Your verification code is 482913. It expires in 10 minutes.":       "one-time code",
		"Fwd: Microsoft account security code\n\nSecurity code: 8812":       "one-time code",
	}
	for text, kind := range hits {
		f := ScanText("body", text)
		if len(f) == 0 || f[0].Kind != kind {
			t.Errorf("%q: got %+v, want %s", text, f, kind)
		}
	}
	for _, text := range []string{
		"Lunch at 12:30 on 14 March 2026? Room 4012.",
		"The code is in the repository under /src.",
		"Invoice 2026 total 1,250.00 EUR",
		"Call me at +1 555 0100.",
	} {
		if f := ScanText("body", text); len(f) != 0 {
			t.Errorf("false positive on %q: %+v", text, f)
		}
	}
}

func TestLookalike(t *testing.T) {
	known := []string{"paypal.com", "example.org", "microsoft.com", "acme-corp.example"}
	for dom, want := range map[string]string{
		"paypa1.com":            "paypal.com",
		"xn--pypal-4ve.com":     "paypal.com", // Cyrillic а
		"rnicrosoft.com":        "microsoft.com",
		"micros0ft.com":         "microsoft.com",
		"exampel.org":           "example.org",
		"example.com":           "example.org",
		"acme-crop.example":     "acme-corp.example",
		"paypal.com":            "",
		"mail.example.org":      "",
		"totally-different.net": "",
		"gmail.com":             "",
	} {
		if got := Lookalike(dom, known); got != want {
			t.Errorf("Lookalike(%s) = %q, want %q", dom, got, want)
		}
	}
}

func TestAssessTrust(t *testing.T) {
	auth := []parse.AuthResult{
		{AuthServID: "mx.google.com", SPF: "pass", DKIM: "pass", DMARC: "pass"},
		{AuthServID: "forged.example", SPF: "pass", DKIM: "pass", DMARC: "pass"},
	}
	in := TrustInput{ProviderAuthServIDs: ProviderAuthServIDs("gmail"), Known: func(a string) bool { return a == "pat@example.org" }, KnownDomains: []string{"example.org"}}
	tr := Assess(authMsg(t, auth), "Pat <pat@example.org>", in)
	if tr.VerifiedBy != "mx.google.com" || tr.DMARC != "pass" || tr.NewSender || tr.DisplayNameMismatch || tr.LookalikeOf != "" || len(tr.Warnings) != 0 {
		t.Errorf("known, authenticated sender: %+v", tr)
	}
	// A forged header further down is ignored: the provider's says fail.
	forged := []parse.AuthResult{
		{AuthServID: "mx.google.com", SPF: "fail", DKIM: "none", DMARC: "fail"},
		{AuthServID: "mx.google.com.evil.example", SPF: "pass", DKIM: "pass", DMARC: "pass"},
	}
	tr = Assess(authMsg(t, forged), `"pat@example.org" <billing@exarnple.org>`, in)
	if tr.DMARC != "fail" || !tr.DisplayNameMismatch || !tr.NewSender || tr.LookalikeOf != "example.org" || len(tr.Warnings) != 4 {
		t.Errorf("spoofed sender: %+v", tr)
	}
	// Only a forged header: unverified.
	tr = Assess(authMsg(t, forged[1:]), "x@y.example", in)
	if !tr.Unverified || tr.DMARC != "" {
		t.Errorf("only a foreign header: %+v", tr)
	}
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st := statetest.Open(t, t.TempDir())
	t.Cleanup(func() { st.Close() })
	return st
}

func TestCapsHoldUnderConcurrency(t *testing.T) {
	l := NewLedger(openStore(t))
	ctx := context.Background()
	caps := Caps{PerHour: 5, PerDay: 100}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, capped := 0, 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := l.Reserve(ctx, "a", caps, []string{"pat@example.org"})
			mu.Lock()
			defer mu.Unlock()
			var ce *CapError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &ce):
				capped++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok != 5 || capped != 15 {
		t.Fatalf("20 concurrent sends under a cap of 5/hour: %d allowed, %d capped", ok, capped)
	}
	// Another account is independent; a later hour frees the cap.
	if _, err := l.Reserve(ctx, "b", caps, []string{"pat@example.org"}); err != nil {
		t.Errorf("other account: %v", err)
	}
	l.now = func() time.Time { return time.Now().Add(61 * time.Minute) }
	if _, err := l.Reserve(ctx, "a", caps, []string{"pat@example.org"}); err != nil {
		t.Errorf("an hour later: %v", err)
	}
}

func TestNewRecipientCapAndRelease(t *testing.T) {
	l := NewLedger(openStore(t))
	ctx := context.Background()
	caps := Caps{NewRecipientsPerDay: 3}
	r, err := l.Reserve(ctx, "a", caps, []string{"a@x.example", "b@x.example"})
	if err != nil {
		t.Fatal(err)
	}
	// Known now: sending to them again costs nothing.
	if _, err := l.Reserve(ctx, "a", caps, []string{"a@x.example", "b@x.example"}); err != nil {
		t.Fatal(err)
	}
	_, err = l.Reserve(ctx, "a", caps, []string{"c@x.example", "d@x.example"})
	var ce *CapError
	if !errors.As(err, &ce) || ce.Cap != "first-time recipients per day" || fault.KindOf(err) != fault.LimitReached {
		t.Fatalf("want the new-recipient cap (limit_reached), got %v (%s)", err, fault.KindOf(err))
	}
	if known, _ := l.Known(ctx, "a", "a@x.example"); !known {
		t.Error("a recipient of a reserved send must be known")
	}
	if err := r.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if known, _ := l.Known(ctx, "a", "a@x.example"); known {
		t.Error("a released send must not leave its recipients known")
	}
	if _, err := l.Reserve(ctx, "a", caps, []string{"c@x.example", "d@x.example"}); err != nil {
		t.Errorf("after release the cap has room again: %v", err)
	}
}

func TestConfirmationTokens(t *testing.T) {
	c := NewConfirmations(openStore(t), time.Minute)
	ctx := context.Background()
	raw := []byte("Subject: hi\r\n\r\nhello\r\n")
	tok, exp, err := c.Issue(ctx, Pending{Account: "a", Tool: "send_email", Hash: HashMessage(raw), Payload: []byte(`{"x":1}`)})
	if err != nil || time.Until(exp) <= 0 {
		t.Fatal(err, exp)
	}
	tok2, _, _ := c.Issue(ctx, Pending{Account: "a", Hash: HashMessage([]byte("other"))})
	if tok == tok2 {
		t.Fatal("tokens must differ")
	}
	p, err := c.Redeem(ctx, tok)
	if err != nil || p.Hash != HashMessage(raw) || string(p.Payload) != `{"x":1}` {
		t.Fatalf("redeem: %+v %v", p, err)
	}
	if _, err := c.Redeem(ctx, tok); !errors.Is(err, ErrTokenUnknown) || fault.KindOf(err) != fault.Invalid {
		t.Errorf("replay: %v (%s), want ErrTokenUnknown, invalid_argument", err, fault.KindOf(err))
	}
	// Forged tokens: wrong shape, right shape but random, a valid token
	// with one character changed (always to a different one).
	tampered := []byte(tok2)
	if tampered[10] == 'A' {
		tampered[10] = 'B'
	} else {
		tampered[10] = 'A'
	}
	for _, f := range []string{"", "cfm_", tok + "x", "cfm_" + strings.Repeat("A", 43), string(tampered)} {
		if _, err := c.Redeem(ctx, f); !errors.Is(err, ErrTokenUnknown) {
			t.Errorf("forged %q: %v", f, err)
		}
	}
	c.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if _, err := c.Redeem(ctx, tok2); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("expired: %v", err)
	}
	if _, err := c.Redeem(ctx, tok2); !errors.Is(err, ErrTokenUnknown) {
		t.Errorf("an expired token is consumed: %v", err)
	}
}

// Store failures reach the tools with a kind: a closed store (shutdown) or
// one that another process holds too long is unavailable (try again), an
// ended context is cancelled; none is reported as a bug.
func TestStoreErrorsHaveKinds(t *testing.T) {
	st := openStore(t)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := NewLedger(st).Known(ctx, "a", "x@example.org"); fault.KindOf(err) != fault.Unavailable {
		t.Errorf("known on a closed store: %v (%s), want unavailable", err, fault.KindOf(err))
	}
	busy := storeErr("op", store.ErrBusy)
	if fault.KindOf(busy) != fault.Unavailable || !errors.Is(busy, store.ErrBusy) || !fault.IsRetryable(busy) {
		t.Errorf("busy: %v (%s)", busy, fault.KindOf(busy))
	}
	if k := fault.KindOf(storeErr("op", context.Canceled)); k != fault.Cancelled {
		t.Errorf("cancelled: %s", k)
	}
}
