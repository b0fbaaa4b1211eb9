package imapconn

import "testing"

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"Re:\r\n  hello\tworld":                 "Re: hello world",
		"pay\u200bpal\u202e.com":                "paypal.com",
		"=?utf-8?q?caf=C3=A9?= =?bogus?q?x?=":   "caféx", // RFC 2047 6.2: space between encoded words is dropped
		"ok\x00\x07 bell":                       "ok bell",
		"\u3164\u3164 filler":                   "filler",
		"bad \xff utf8":                         "bad \uFFFD utf8",
		"  lots   of    space  ":                "lots of space",
		"=?iso-8859-1?q?Gr=FC=DFe?= aus K=F6ln": "Grüße aus K=F6ln",
	} {
		if got := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}
