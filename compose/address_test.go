package compose

import (
	"strings"
	"testing"
)

// TestParseAddressRealDestination (issue 14, item 8): an address is either
// refused or taken for its real destination, never for a domain that only
// looks like the destination. Each refused form is one that a mail server
// (Postfix by default) may route to another domain than the one after the
// last '@'.
func TestParseAddressRealDestination(t *testing.T) {
	cases := []struct {
		in      string
		want    string // the addr-spec taken, when accepted
		wantErr string // a phrase of the error, when refused
	}{
		{in: "mallory%evil.test@example.test", wantErr: "percent hack"},
		{in: `"mallory@evil.test"@example.test`, wantErr: "second '@'"},
		{in: "evil.test!mallory@example.test", wantErr: "bang path"},
		{in: `"mallory%evil.test"@example.test`, wantErr: "percent hack"},
		{in: `"a b"@example.test`, wantErr: "quoted local parts are not accepted"},
		{in: `".mallory"@example.test`, wantErr: "leading, trailing or double dots"},
		{in: "<@example.test,@relay.test:mallory@evil.test>", wantErr: "not a valid email address"},
		{in: "@example.test:mallory@evil.test", wantErr: "not a valid email address"},
		{in: "bob@[192.0.2.1]", wantErr: "invalid domain"},
		// Comments and display names are not destinations: the real one is.
		{in: "bob@example.test (mallory@evil.test)", want: "bob@example.test"},
		{in: "Bob <bob@example.test> (mallory@evil.test)", want: "bob@example.test"},
		{in: `"bob@example.test" <mallory@evil.test>`, want: "mallory@evil.test"},
		{in: `"bob"@example.test`, want: "bob@example.test"},
		{in: "bob+tag@Example.TEST", want: "bob+tag@example.test"},
		{in: "o'brien@example.test", want: "o'brien@example.test"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			a, err := ParseAddress(c.in)
			switch {
			case c.wantErr != "" && err == nil:
				t.Fatalf("accepted as %q, want refused (%s)", a.Email, c.wantErr)
			case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
				t.Fatalf("error %q, want it to say %q", err, c.wantErr)
			case c.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.wantErr == "" && a.Email != c.want:
				t.Fatalf("taken as %q, want %q", a.Email, c.want)
			}
		})
	}
}
