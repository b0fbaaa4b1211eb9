package parse

import (
	"encoding/base64"
	"regexp"
	"strings"
)

// DecodeHeader decodes RFC 2047 encoded-words in an unstructured header value
// and returns clean, valid UTF-8 (invisible and bidi controls removed, folded
// whitespace collapsed). It is tolerant of what real mail does wrong:
// encoded-words glued to text or split in the middle of a multi-byte
// character, lower-case encodings, unknown charsets, spaces inside Q text,
// bad base64 padding and raw 8-bit bytes.
func DecodeHeader(s string) string {
	d := collapseSpace(decodeWords(s))
	// Some broken mailers encode an already encoded value; decode again
	// while that still makes progress (bounded).
	for i := 0; i < 3 && d != s && strings.Contains(d, "=?") && encodedWordRe.MatchString(d); i++ {
		s, d = d, collapseSpace(decodeWords(d))
	}
	return SanitizeText(d)
}

var encodedWordRe = regexp.MustCompile(`=\?[^?\s]+\?\s?[bBqQ]\?[^?\s]*\?=`)

// decodeWords performs the RFC 2047 decoding without sanitising.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return repair8bit([]byte(s))
	}
	var out strings.Builder
	// pending holds decoded bytes of adjacent encoded-words in one charset,
	// joined before conversion so multi-byte characters split across words
	// survive (RFC 2047 §5 forbids the split; mailers do it anyway).
	var pending []byte
	pendingCS := ""
	flush := func() {
		if pendingCS != "" || len(pending) > 0 {
			d, _ := decodeCharset(pending, pendingCS)
			out.WriteString(d)
		}
		pending, pendingCS = pending[:0], ""
	}
	lastWasWord := false
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "=?")
		if j < 0 {
			flush()
			out.WriteString(repair8bit([]byte(s[i:])))
			break
		}
		text := s[i : i+j]
		cs, enc, payload, n, ok := scanEncodedWord(s[i+j:])
		if !ok {
			flush()
			out.WriteString(repair8bit([]byte(s[i : i+j+2])))
			i += j + 2
			lastWasWord = false
			continue
		}
		// RFC 2047 §6.2: linear whitespace between adjacent encoded-words is ignored.
		if !(lastWasWord && isBlank(text)) {
			flush()
			out.WriteString(repair8bit([]byte(text)))
		}
		raw := decodeWordPayload(enc, payload)
		if pendingCS != "" && !strings.EqualFold(pendingCS, cs) {
			flush()
		}
		pendingCS = cs
		pending = append(pending, raw...)
		lastWasWord = true
		i += j + n
	}
	flush()
	return out.String()
}

// scanEncodedWord parses "=?charset?enc?text?=" at the start of s and
// returns its pieces and length. The charset may carry an RFC 2231
// language suffix ("utf-8*en").
func scanEncodedWord(s string) (cs string, enc byte, payload string, n int, ok bool) {
	if !strings.HasPrefix(s, "=?") {
		return
	}
	q1 := strings.IndexByte(s[2:], '?')
	if q1 <= 0 || q1 > 64 {
		return
	}
	cs = s[2 : 2+q1]
	if strings.ContainsAny(cs, " \t\r\n") {
		return
	}
	if k := strings.IndexByte(cs, '*'); k >= 0 {
		cs = cs[:k]
	}
	rest := s[2+q1+1:]
	skipped := 0
	if len(rest) > 0 && rest[0] == ' ' {
		rest, skipped = rest[1:], 1 // "=?UTF-8? Q?…" seen in the wild
	}
	if len(rest) < 2 || rest[1] != '?' {
		return
	}
	switch rest[0] {
	case 'B', 'b':
		enc = 'B'
	case 'Q', 'q':
		enc = 'Q'
	default:
		return
	}
	body := rest[2:]
	end := strings.Index(body, "?=")
	if end < 0 {
		return
	}
	payload = body[:end]
	// A Q payload must not swallow a following encoded-word when the
	// terminator was lost; real terminators are not followed by more "=?".
	n = 2 + q1 + 1 + skipped + 2 + end + 2
	return cs, enc, payload, n, true
}

func decodeWordPayload(enc byte, p string) []byte {
	if enc == 'B' {
		p = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, p)
		q := strings.TrimRight(p, "=")
		if b, err := base64.RawStdEncoding.DecodeString(q); err == nil {
			return b
		}
		// Tolerate junk: decode what the lenient stream decoder accepts.
		b, _ := decodeBase64Lenient([]byte(p))
		return b
	}
	out := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			out = append(out, unhex(p[i+1])<<4|unhex(p[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// collapseSpace folds runs of whitespace (including folded CRLF) into one space.
func collapseSpace(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") && !strings.Contains(s, "  ") {
		return strings.TrimSpace(s)
	}
	return strings.Join(strings.Fields(s), " ")
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }
