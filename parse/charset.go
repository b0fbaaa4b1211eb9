package parse

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/cention-sany/utf7"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// charsetAliases maps labels seen in real mail that neither the WHATWG nor
// the IANA index knows (or maps badly) to a canonical label.
var charsetAliases = map[string]string{
	"utf8":              "utf-8",
	"uft-8":             "utf-8",
	"utf-8lite":         "utf-8",
	"unicode-1-1-utf-8": "utf-8",
	"ascii":             "us-ascii",
	"ansi_x3.4-1968":    "us-ascii",
	"iso-8859-8-i":      "iso-8859-8",
	"iso-8859-6-i":      "iso-8859-6",
	"ks_c_5601-1987":    "euc-kr",
	"ks_c_5601":         "euc-kr",
	"ksc5601":           "euc-kr",
	"x-euc-jp":          "euc-jp",
	"x-sjis":            "shift_jis",
	"sjis":              "shift_jis",
	"cp932":             "shift_jis",
	"windows-31j":       "shift_jis",
	"x-gbk":             "gbk",
	"cp936":             "gbk",
	"gb_2312-80":        "gbk",
	"x-mac-cyrillic":    "x-mac-cyrillic",
	"tis-620":           "windows-874",
	"iso-8859-11":       "windows-874",
	"latin1":            "iso-8859-1",
	"cp1252":            "windows-1252",
	"cp1251":            "windows-1251",
	"cp1250":            "windows-1250",
	"cp850":             "ibm850",
	"cp866":             "ibm866",
}

// lookupCharset returns a decoder for a MIME charset label, or nil when the
// label is unknown. UTF-8 and US-ASCII return (nil, true): no conversion.
func lookupCharset(label string) (enc encoding.Encoding, utf8ish bool) {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	if a, ok := charsetAliases[l]; ok {
		l = a
	}
	switch l {
	case "", "utf-8", "us-ascii", "7bit", "8bit":
		return nil, true
	case "utf-7", "unicode-1-1-utf-7", "csunicode11utf7", "x-unicode-2-0-utf-7":
		return utf7.UTF7, false
	case "utf-16", "ucs-2", "unicode":
		// RFC 2781 §4.3: without a BOM, UTF-16 is big-endian.
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM), false
	case "utf-16be":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), false
	case "utf-16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), false
	case "iso-8859-1":
		// Mail labelled latin1 is very often windows-1252 in practice (WHATWG does the same).
		return charmap.Windows1252, false
	case "gb2312", "gbk", "euc-cn", "x-euc-cn", "cn-gb":
		// GB18030 is a superset of GBK and GB2312.
		return simplifiedchinese.GB18030, false
	case "euc-kr":
		return korean.EUCKR, false
	case "iso-2022-jp", "csiso2022jp", "iso-2022-jp-2", "iso-2022-jp-3":
		return japanese.ISO2022JP, false
	}
	if e, err := htmlindex.Get(l); err == nil && e != nil {
		if e == unicode.UTF8 {
			return nil, true
		}
		return e, false
	}
	if e, err := ianaindex.MIME.Encoding(l); err == nil && e != nil {
		return e, false
	}
	return nil, false
}

// knownCharset reports whether label names a charset we can decode.
func knownCharset(label string) bool {
	e, u := lookupCharset(label)
	return u || e != nil
}

// decodeCharset converts b from the declared charset to valid UTF-8.
// ok is false when the charset is unknown (the bytes are then repaired as
// undeclared text) or when the bytes are invalid for it (U+FFFD may then
// appear). The result is always valid UTF-8.
func decodeCharset(b []byte, label string) (s string, ok bool) {
	enc, utf8ish := lookupCharset(label)
	if utf8ish {
		return repair8bit(b), true
	}
	if enc == nil {
		return repair8bit(b), false
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return repair8bit(b), false
	}
	res := strings.ToValidUTF8(string(out), "\uFFFD")
	if strings.ContainsRune(res, utf8.RuneError) && !bytes.Contains(b, []byte("\xef\xbf\xbd")) {
		// The bytes are not valid in the declared charset. Mislabelled
		// UTF-8 is the usual cause: prefer it when it is valid.
		if utf8.Valid(b) {
			return string(b), false
		}
		return res, false
	}
	return res, true
}

// repair8bit returns b as valid UTF-8: valid UTF-8 is kept; otherwise each
// invalid byte is read as windows-1252 (a superset of Latin-1 for printable
// text), which is what undeclared 8-bit mail nearly always is.
func repair8bit(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/4)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			sb.WriteRune(cp1252(b[0]))
			b = b[1:]
			continue
		}
		sb.Write(b[:n])
		b = b[n:]
	}
	return sb.String()
}

func cp1252(c byte) rune {
	if c < 0x80 {
		return rune(c)
	}
	r := charmap.Windows1252.DecodeByte(c)
	if r == utf8.RuneError {
		// The five holes of windows-1252 (0x81, 0x8D, …) map to Latin-1 C1.
		return rune(c)
	}
	return r
}

// sniffHTMLCharset finds a <meta charset> or http-equiv declaration in the
// first bytes of an HTML document.
func sniffHTMLCharset(b []byte) string {
	if len(b) > 4096 {
		b = b[:4096]
	}
	low := bytes.ToLower(b)
	i := bytes.Index(low, []byte("charset="))
	if i < 0 {
		return ""
	}
	rest := low[i+len("charset="):]
	rest = bytes.TrimLeft(rest, `"' `)
	end := bytes.IndexAny(rest, "\"' ;/>\r\n")
	if end < 0 {
		end = len(rest)
	}
	return string(rest[:end])
}
