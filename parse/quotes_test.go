package parse

import (
	"testing"
	"unicode/utf8"
)

func TestStripQuotes(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"gmail", "Sounds good.\n\nOn Mon, Jan 1, 2024 at 10:00 AM Ann <ann@x.com> wrote:\n> earlier\n> > older", "Sounds good."},
		{"two-line attribution", "Yes.\n\nOn Mon, Jan 1, 2024 at 10:00 AM Ann Example <\nann@x.com> wrote:\n\n> earlier", "Yes."},
		{"outlook", "Agreed.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\nSubject: x\n\nold text", "Agreed."},
		{"outlook headers", "Fine.\n\n________________________________\nFrom: Bob <b@x>\nSent: Monday, 1 January 2024 10:00\nTo: Ann\nSubject: Re: x\n\nold", "Fine."},
		{"signature", "Body text.\n\n-- \nJane Doe\nACME", "Body text."},
		{"inline replies kept", "> question one?\nanswer one\n> question two?\nanswer two", "answer one\nanswer two"},
		{"forward kept", "FYI\n\n---------- Forwarded message ---------\nFrom: Bob <b@x>\nDate: Mon\nSubject: x\n\nforwarded body", "FYI\n\n---------- Forwarded message ---------\nFrom: Bob <b@x>\nDate: Mon\nSubject: x\n\nforwarded body"},
		{"german", "Ja.\n\nAm 01.01.2024 um 10:00 schrieb Ann <ann@x.com>:\n> alt", "Ja."},
	}
	for _, c := range cases {
		got, dropped := StripQuotes(c.in)
		if got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
		if want := utf8.RuneCountInString(c.in) - utf8.RuneCountInString(got); c.name != "forward kept" && dropped != want {
			t.Errorf("%s: dropped %d, want %d", c.name, dropped, want)
		}
	}
}

func TestSnippet(t *testing.T) {
	m := mustParse(t, "Subject: s\n\nHello   there,\n\nsee [the doc](http://x/y).\n\nOn Mon, Ann wrote:\n> old\n")
	if got := m.Snippet(0); got != "Hello there, see the doc." {
		t.Errorf("snippet %q", got)
	}
	if got := m.Snippet(5); got != "Hello…" {
		t.Errorf("short snippet %q", got)
	}
}
