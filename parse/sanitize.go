package parse

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// invisible reports runes an agent must never see: zero-width characters,
// bidi controls (they reorder what a human reviewer sees), the Unicode
// "tag" block (used to smuggle hidden ASCII instructions), and other
// default-ignorable code points.
func invisible(r rune) bool {
	switch {
	case r == 0x00AD, // soft hyphen
		r == 0x034F,              // combining grapheme joiner
		r == 0x061C,              // Arabic letter mark
		r == 0x115F, r == 0x1160, // Hangul fillers
		r == 0x17B4, r == 0x17B5, // Khmer inherent vowels
		r == 0x180E,                // Mongolian vowel separator
		r >= 0x200B && r <= 0x200F, // ZWSP, ZWNJ, ZWJ, LRM, RLM
		r >= 0x202A && r <= 0x202E, // LRE, RLE, PDF, LRO, RLO
		r >= 0x2060 && r <= 0x206F, // word joiner, invisible operators, LRI…PDI, deprecated formats
		r == 0x3164, r == 0xFFA0,   // Hangul fillers
		r == 0xFEFF,                  // BOM / ZWNBSP
		r >= 0xFFF0 && r <= 0xFFF8,   // unassigned specials
		r >= 0x1BCA0 && r <= 0x1BCA3, // shorthand format controls
		r >= 0x1D173 && r <= 0x1D17A, // musical formatting
		r >= 0xE0000 && r <= 0xE0FFF: // tags and variation selectors supplement
		return true
	}
	return false
}

// SanitizeText returns s as valid UTF-8 with invisible, bidi-control and
// non-printing control characters removed. Tabs and newlines are kept, CRLF
// and lone CR become LF, U+2028/U+2029 become LF. Reuse it for envelope
// fields and snippets.
func SanitizeText(s string) string {
	clean := true
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f {
				clean = false
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || invisible(r) || r < 0xA0 || r == 0x2028 || r == 0x2029 {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue
			}
			b.WriteByte('\n')
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case r == 0x2028 || r == 0x2029:
			b.WriteByte('\n')
		case r < 0x20 || r >= 0x7f && r < 0xA0:
			// C0/C1 controls: drop.
		case invisible(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SanitizeFilename makes a decoded attachment name safe to show and to
// save: no directory part, no path separators, control or invisible
// characters, no leading dots, bounded length. It may return "".
func SanitizeFilename(name string) string {
	name = SanitizeText(name)
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base("/" + name)
	if name == "/" || name == "." || name == ".." {
		return ""
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\' || r == 0:
			return '_'
		case r == '\t' || r == '\n':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, name)
	name = collapseSpace(name)
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	const maxBytes = 200
	if len(name) > maxBytes {
		ext := path.Ext(name)
		if len(ext) > 16 || !utf8.ValidString(ext) {
			ext = ""
		}
		stem := name[:len(name)-len(ext)]
		cut := maxBytes - len(ext)
		for cut > 0 && !utf8.RuneStart(stem[cut]) {
			cut--
		}
		name = stem[:cut] + ext
	}
	return name
}
