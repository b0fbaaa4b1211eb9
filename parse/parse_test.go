package parse

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func mustParse(t *testing.T, raw string) *Message {
	t.Helper()
	m, err := Parse(strings.NewReader(raw), ParseOptions{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

const structured = `From: "Doe, Jane" <jane@example.com>
To: bob@example.org, =?UTF-8?Q?J=C3=BCrgen?= <j@example.de>
Subject: =?UTF-8?B?w6lt?= =?UTF-8?B?b2ppIPCfk6c=?= report
Date: Tue, 2 Jan 2024 10:04:05 +0100 (CET)
Message-ID: <abc@example.com>
In-Reply-To: <prev@example.com>
References: <a@x> <prev@example.com>
List-Id: Team <team.example.com>
List-Unsubscribe: <mailto:leave@example.com>
Authentication-Results: mx.provider.net; spf=pass smtp.mailfrom=example.com; dkim=fail header.d=example.com; dkim=pass header.d=example.com; dmarc=pass (p=none) header.from=example.com
Authentication-Results: evil.example; spf=pass
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

preamble
--outer
Content-Type: multipart/alternative; boundary=alt

--alt
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Caf=E9 at noon.=
 See you.
--alt
Content-Type: text/html; charset=utf-8

<p>Caf&eacute; at noon. See you.</p>
--alt--
--outer
Content-Type: application/pdf; name="x.pdf"
Content-Disposition: attachment; filename*=iso-8859-1''r%E9sum%E9%20final.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
JVBERi0xLjQK
--outer
Content-Type: image/png
Content-ID: <img1@x>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--outer
Content-Type: message/rfc822

From: Carol <carol@example.net>
Subject: inner
Message-ID: <inner@x>
Content-Type: multipart/mixed; boundary=in

--in
Content-Type: text/plain

inner body
--in
Content-Type: text/csv; charset=windows-1252
Content-Disposition: attachment; filename="=?UTF-8?Q?d=C3=A9penses.csv?="

a;b
1;2<EURO>
--in--
--outer--
epilogue
`

func TestParseStructure(t *testing.T) {
	raw := strings.ReplaceAll(structured, "<EURO>", "\x80") // windows-1252 euro sign
	for _, variant := range []struct{ name, raw string }{{"lf", raw}, {"crlf", crlf(raw)}} {
		t.Run(variant.name, func(t *testing.T) {
			m := mustParse(t, variant.raw)
			if m.Subject != "émoji 📧 report" {
				t.Errorf("subject %q", m.Subject)
			}
			if len(m.From) != 1 || m.From[0] != (Address{Name: "Doe, Jane", Email: "jane@example.com"}) {
				t.Errorf("from %+v", m.From)
			}
			if len(m.To) != 2 || m.To[1] != (Address{Name: "Jürgen", Email: "j@example.de"}) {
				t.Errorf("to %+v", m.To)
			}
			if m.Date != "2024-01-02T10:04:05+01:00" {
				t.Errorf("date %q", m.Date)
			}
			if m.MessageID != "<abc@example.com>" || m.InReplyTo != "<prev@example.com>" || len(m.References) != 2 {
				t.Errorf("ids %q %q %q", m.MessageID, m.InReplyTo, m.References)
			}
			if m.ListID != "Team <team.example.com>" || m.ListUnsubscribe != "<mailto:leave@example.com>" {
				t.Errorf("list %q %q", m.ListID, m.ListUnsubscribe)
			}
			if m.Text != "Café at noon. See you." || m.BodySource != "text/plain" {
				t.Errorf("body %q from %q", m.Text, m.BodySource)
			}
			want := []Attachment{
				{PartID: "2", Filename: "résumé final.pdf", MediaType: "application/pdf", Size: 18},
				{PartID: "3", MediaType: "image/png", Size: 8, ContentID: "img1@x"},
				{PartID: "4", Filename: "inner.eml", MediaType: "message/rfc822"},
			}
			if len(m.Attachments) != len(want) {
				t.Fatalf("attachments %+v", m.Attachments)
			}
			for i, w := range want {
				got := m.Attachments[i]
				got.Note = ""
				if w.Size == 0 {
					got.Size = 0
				}
				if got != w {
					t.Errorf("attachment %d = %+v, want %+v", i, got, w)
				}
			}
			if len(m.Nested) != 1 {
				t.Fatalf("nested %d", len(m.Nested))
			}
			in := m.Nested[0]
			if in.PartID != "4" || in.Subject != "inner" || in.Text != "inner body" {
				t.Errorf("nested %+v", in)
			}
			if len(in.Attachments) != 1 || in.Attachments[0].PartID != "4.2" || in.Attachments[0].Filename != "dépenses.csv" {
				t.Errorf("nested attachments %+v", in.Attachments)
			}
			if len(m.Auth) != 2 || m.Auth[0].AuthServID != "mx.provider.net" || m.Auth[0].SPF != "pass" || m.Auth[0].DKIM != "pass" || m.Auth[0].DMARC != "pass" || m.Auth[1].AuthServID != "evil.example" {
				t.Errorf("auth %+v", m.Auth)
			}
			if len(m.Problems) != 0 {
				t.Errorf("problems %+v", m.Problems)
			}

			// The same part ids address the same bytes for extraction.
			var buf bytes.Buffer
			att, err := ExtractPart(strings.NewReader(variant.raw), "2", &buf, 1<<20)
			if err != nil || buf.String() != "%PDF-1.4\n%PDF-1.4\n" || att.Filename != "résumé final.pdf" {
				t.Errorf("ExtractPart 2 = %q, %+v, %v", buf.String(), att, err)
			}
			ta, err := ExtractText(strings.NewReader(variant.raw), "4.2", 1<<20)
			if err != nil || !strings.Contains(ta.Text, "1;2€") {
				t.Errorf("ExtractText 4.2 = %+v, %v", ta, err)
			}
			buf.Reset()
			if _, err := ExtractPart(strings.NewReader(variant.raw), "4", &buf, 1<<20); err != nil || !strings.HasPrefix(buf.String(), "From: Carol") {
				t.Errorf("ExtractPart 4 = %q, %v", buf.String(), err)
			}
			if _, err := ExtractPart(strings.NewReader(variant.raw), "2", io.Discard, 5); !errors.Is(err, ErrTooLarge) {
				t.Errorf("small max: %v, want ErrTooLarge", err)
			}
			if _, err := ExtractPart(strings.NewReader(variant.raw), "9.1", io.Discard, 100); !errors.Is(err, ErrPartNotFound) {
				t.Errorf("missing part: %v, want ErrPartNotFound", err)
			}
			if _, err := ExtractText(strings.NewReader(variant.raw), "3", 100); !errors.Is(err, ErrNotText) {
				t.Errorf("image as text: %v, want ErrNotText", err)
			}
		})
	}
}

func TestSinglePartIsSectionOne(t *testing.T) {
	raw := "Subject: x\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVsbG8=\n"
	var buf bytes.Buffer
	if _, err := ExtractPart(strings.NewReader(raw), "1", &buf, 100); err != nil || buf.String() != "hello" {
		t.Fatalf("got %q, %v", buf.String(), err)
	}
	if m := mustParse(t, raw); m.Text != "hello" {
		t.Fatalf("text %q", m.Text)
	}
}

func TestTolerance(t *testing.T) {
	cases := []struct {
		name, raw, text string
		kinds           []string
	}{
		{"missing close boundary", "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhello\n", "hello", []string{"boundary"}},
		{"boundary never found", "Content-Type: multipart/mixed; boundary=zz\n\nplain words\n", "plain words", []string{"boundary"}},
		{"no boundary param", "Content-Type: multipart/mixed\n\nsome text\n", "some text", []string{"boundary"}},
		{"bad base64", "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVs!bG8=\n", "", []string{"base64"}},
		{"bad qp", "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\na=ZZb =3D c\n", "a=ZZb = c", []string{"quoted_printable"}},
		{"unknown charset", "Content-Type: text/plain; charset=x-klingon\n\ncaf\xe9\n", "café", []string{"charset"}},
		{"undeclared latin1", "Subject: caf\xe9\n\nna\xefve\n", "naïve", nil},
		{"undeclared utf8", "Subject: x\n\nna\xc3\xafve\n", "naïve", nil},
		{"invalid for charset, valid utf8", "Content-Type: text/plain; charset=gb2312\n\n\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x81\n", "你好！", []string{"charset"}},
		{"headerless part", "Content-Type: multipart/mixed; boundary=b\n\n--b\nno headers here\n--b--\n", "no headers here", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := mustParse(t, c.raw)
			if c.text != "" && m.Text != c.text {
				t.Errorf("text %q, want %q", m.Text, c.text)
			}
			var kinds []string
			for _, p := range m.Problems {
				kinds = append(kinds, p.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(c.kinds, ",") {
				t.Errorf("problems %+v, want kinds %v", m.Problems, c.kinds)
			}
		})
	}
	if m := mustParse(t, "Subject: caf\xe9\n\nx"); m.Subject != "café" {
		t.Errorf("8-bit subject %q", m.Subject)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	k := copy(p, strings.Repeat("X-A: b\n", 10)[:min(len(p), f.n)])
	f.n -= k
	return k, nil
}

func TestIOErrorFails(t *testing.T) {
	if _, err := Parse(&failingReader{n: 30}, ParseOptions{}); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v, want the I/O error", err)
	}
	if _, err := ExtractPart(&failingReader{n: 30}, "1", io.Discard, 10); err == nil || errors.Is(err, ErrPartNotFound) {
		t.Fatalf("extract err = %v, want the I/O error", err)
	}
}

func TestDecodeHeader(t *testing.T) {
	cases := map[string]string{
		"=?UTF-8?B?5pel5pys?= =?UTF-8?B?6Kqe?=":             "日本語",
		"=?UTF-8?Q?=E6=97?= =?UTF-8?Q?=A5?=":                "日", // split inside a character
		"=?utf-8?q?hello_world?=":                           "hello world",
		"Re: =?ISO-8859-1?Q?Caf=E9?= ok":                    "Re: Café ok",
		"pre=?UTF-8?Q?fix?=":                                "prefix",
		"=?iso-2022-jp?B?GyRCRnxLXDhsGyhC?=":                "日本語",
		"=?koi8-r?B?8NLJ18XU?=":                             "Привет",
		"=?gb2312?B?xOO6ww==?=":                             "你好",
		"=?UTF-8?B?8J+Tpw?=":                                "📧", // missing padding
		"=?utf-8*en?Q?lang?=":                               "lang",
		"=?x-unknown?Q?caf=E9?=":                            "café",
		"plain \xe9t\xe9":                                   "plain été",
		"a\u200bb\u202ec":                                   "abc",
		"=?UTF-8?Q?=E2=80=AEtxt.exe?=":                      "txt.exe",
		"=?UTF-8?B?SGVs?=\r\n =?UTF-8?B?bG8=?=\r\n   world": "Hello world",
		"=?broken": "=?broken",
	}
	for in, want := range cases {
		if got := DecodeHeader(in); got != want {
			t.Errorf("DecodeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCharsets(t *testing.T) {
	cases := []struct{ cs, in, want string }{
		{"koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет"},
		{"windows-1251", "\xcf\xf0\xe8\xe2\xe5\xf2", "Привет"},
		{"iso-8859-2", "\xb3\xf3d\xbc", "łódź"},
		{"iso-8859-1", "caf\xe9", "café"},
		{"windows-1252", "\x93q\x94 \x80", "“q” €"},
		{"gb2312", "\xc4\xe3\xba\xc3", "你好"},
		{"gbk", "\xc4\xe3\xba\xc3", "你好"},
		{"gb18030", "\xc4\xe3\xba\xc3", "你好"},
		{"big5", "\xa7\x41\xa6\x6e", "你好"},
		{"shift_jis", "\x93\xfa\x96\x7b", "日本"},
		{"euc-jp", "\xc6\xfc\xcb\xdc", "日本"},
		{"iso-2022-jp", "\x1b$BF|K\\\x1b(B", "日本"},
		{"euc-kr", "\xc7\xd1\xb1\xb9", "한국"},
		{"ks_c_5601-1987", "\xc7\xd1\xb1\xb9", "한국"},
		{"utf-7", "Hi +ZeVnLIqe-", "Hi 日本語"},
		{"unicode-1-1-utf-7", "+AOk-", "é"},
		{"utf-16", "\xfe\xff\x00h\x00i", "hi"},
		{"utf-16", "\xff\xfeh\x00i\x00", "hi"},
		{"utf-16le", "h\x00i\x00", "hi"},
		{"us-ascii", "caf\xe9", "café"},
	}
	for _, c := range cases {
		got, ok := decodeCharset([]byte(c.in), c.cs)
		if !ok || got != c.want {
			t.Errorf("decodeCharset(%q, %s) = %q, %v; want %q", c.in, c.cs, got, ok, c.want)
		}
	}
}

func TestSanitize(t *testing.T) {
	in := "a\u200bb\u200c\u200d\u2060c\ufeff d\u202e\u2066e\u00ad f\U000E0041\U000E0042 g\r\nh\ri\x00j\x1b[31mk\u2028l\xff"
	want := "abc de f g\nh\nij[31mk\nl\uFFFD"
	if got := SanitizeText(in); got != want {
		t.Errorf("SanitizeText = %q, want %q", got, want)
	}
	names := map[string]string{
		"../../etc/passwd":       "passwd",
		`C:\Users\x\evil.bat`:    "evil.bat",
		".htaccess":              "htaccess",
		"...":                    "",
		"inv\u202Efdp.exe":       "invfdp.exe",
		"a\x00b\x07c.txt":        "abc.txt",
		"  report .pdf. ":        "report .pdf",
		strings.Repeat("é", 300): strings.Repeat("é", 100),
	}
	for in, want := range names {
		if got := SanitizeFilename(in); got != want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", in, got, want)
		}
	}
}
