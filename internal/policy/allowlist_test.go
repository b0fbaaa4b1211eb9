package policy

import "testing"

// TestAllowListEntriesMatchNormalisedRecipients checks that an address entry,
// normalised by sendrule without compose, matches the same address written
// any way compose accepts (case, Unicode domain, display name).
func TestAllowListEntriesMatchNormalisedRecipients(t *testing.T) {
	l, err := NewAllowList([]string{"Pat <Pat@Bücher.example>", "*.Example.ORG"})
	if err != nil {
		t.Fatal(err)
	}
	for _, rcpt := range []string{"pat@bücher.example", "PAT@xn--bcher-kva.example", "a@mx.example.org"} {
		n, err := NormAddress(rcpt)
		if err != nil {
			t.Fatalf("NormAddress(%q): %v", rcpt, err)
		}
		if !l.Allows(n) {
			t.Errorf("allowlist does not allow %q (normalised %q)", rcpt, n)
		}
	}
	for _, bad := range []string{"pat@intranet", "not an address@", "@"} {
		if _, err := NewAllowList([]string{bad}); err == nil {
			t.Errorf("NewAllowList(%q) accepted it", bad)
		}
	}
}
