package policy

import (
	"encoding/base64"
	"encoding/hex"
	"html"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Outgoing content is scanned in the forms a secret can take on its way
// out: compatibility-normalised (full-width and other look-alike digits
// and letters folded, invisible characters removed), and decoded from the
// encodings that hide it from a plain pattern match (base64, hex, percent
// and HTML character references).

const (
	// maxScanBytes bounds the text scanned per piece of content.
	maxScanBytes = 1 << 20
	// maxDecoded bounds the decoded variants made of one text.
	maxDecoded = 1 << 20
	// maxTokens bounds the encoded tokens tried per text.
	maxTokens = 4000
)

// normalize folds a text for matching: NFKC (full-width "４８３" → "483",
// ligatures, superscripts), every decimal digit of any script to ASCII,
// and format characters (zero-width, bidi controls, soft hyphen) removed.
func normalize(s string) string {
	if len(s) > maxScanBytes {
		s = s[:maxScanBytes]
	}
	s = norm.NFKC.String(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r < utf8.RuneSelf:
			return r
		case unicode.Is(unicode.Cf, r):
			return -1
		case unicode.Is(unicode.Nd, r):
			return '0' + digitValue(r)
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, s)
}

// digitValue is the value of a decimal digit: Unicode lays out every
// script's digits as runs of ten from zero.
func digitValue(r rune) rune {
	k := rune(0)
	for k < 60 && unicode.Is(unicode.Nd, r-k-1) {
		k++
	}
	return k % 10
}

var (
	b64Token  = regexp.MustCompile(`[A-Za-z0-9+/_-]{8,}={0,2}`)
	b64Line   = regexp.MustCompile(`^[A-Za-z0-9+/]{16,}={0,2}$`)
	hexToken  = regexp.MustCompile(`\b(?:[0-9a-fA-F]{2}){4,}\b`)
	pctEscape = regexp.MustCompile(`%[0-9a-fA-F]{2}`)
)

// variants returns the normalised text and what decoding its encoded
// parts yields (two levels deep: base64 of base64 is still found).
func variants(text string) []string {
	n := normalize(text)
	out := []string{n}
	budget := maxDecoded
	seen := map[string]bool{n: true}
	add := func(s string) bool {
		if s == "" || seen[s] || budget <= 0 {
			return false
		}
		seen[s] = true
		budget -= len(s)
		out = append(out, s)
		return true
	}
	for level := 0; level < 2; level++ {
		for _, v := range out {
			for _, d := range decodings(v) {
				add(normalize(d))
			}
		}
	}
	return out
}

// decodings are the texts hidden in s by one layer of encoding.
func decodings(s string) []string {
	var out []string
	if strings.Contains(s, "&") {
		if u := html.UnescapeString(s); u != s {
			out = append(out, u)
		}
	}
	if pctEscape.MatchString(s) {
		if u, err := url.QueryUnescape(strings.ReplaceAll(s, "+", "%2B")); err == nil && u != s {
			out = append(out, u)
		}
	}
	tokens := 0
	for _, tok := range b64Token.FindAllString(s, maxTokens) {
		if d, ok := decodeB64(tok); ok {
			out = append(out, d)
		}
		tokens++
	}
	// Base64 wrapped over lines (a pasted attachment): join runs of lines.
	var run strings.Builder
	flush := func() {
		if run.Len() >= 16 {
			if d, ok := decodeB64(run.String()); ok {
				out = append(out, d)
			}
		}
		run.Reset()
	}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if b64Line.MatchString(line) {
			run.WriteString(line)
			continue
		}
		flush()
	}
	flush()
	for _, tok := range hexToken.FindAllString(s, maxTokens-tokens) {
		if b, err := hex.DecodeString(tok); err == nil && printable(b) {
			out = append(out, string(b))
		}
	}
	return out
}

// decodeB64 decodes standard or URL-safe base64, padded or not, and keeps
// the result only if it is text.
func decodeB64(tok string) (string, bool) {
	tok = strings.TrimRight(tok, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(tok); err == nil && len(b) >= 4 && printable(b) {
			return string(b), true
		}
	}
	return "", false
}

// printable reports text: valid UTF-8 with few control characters.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	bad := 0
	for _, r := range string(b) {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f || r == utf8.RuneError {
			bad++
		}
	}
	return bad*20 <= len(b)
}

// codeSep are the characters people and attackers put between the digits
// of a code ("483 920", "4 8 3 9 2 0", "483-920", "4.8.3.9.2.0").
const codeSep = " \t-._·/\u00a0"

// digitGroups finds numbers written with at most one separator between
// digits and returns their digits joined ("48 39 20" → "483920").
func digitGroups(s string) []string {
	var out []string
	var cur strings.Builder
	pendingSep := false
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
		}
		cur.Reset()
		pendingSep = false
	}
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			cur.WriteRune(r)
			pendingSep = false
		case strings.ContainsRune(codeSep, r) && cur.Len() > 0 && !pendingSep:
			pendingSep = true
		default:
			flush()
		}
	}
	flush()
	return out
}

// alnumTokens splits s into runs of letters, digits, '_' and '-' of at
// least min characters.
func alnumTokens(s string, min int) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-')
	}) {
		if len(f) >= min {
			out = append(out, f)
		}
	}
	return out
}
