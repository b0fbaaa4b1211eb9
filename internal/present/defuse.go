package present

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Marker look-alikes. Only mailmcp's own frames may carry the marker words;
// a sender who writes them — exactly, or in a form a model reads the same
// way (full-width letters, Cyrillic or Greek homoglyphs, spaces, dashes or
// underscores between the letters, 1 for I, 0 for O) — gets them replaced
// with a neutral label, and runs of three or more angle brackets (the
// frame's delimiters) are cut to two. Defuse applies to every sender
// string the model reads: bodies, subjects, names, file names, snippets.

// lookalikeLabel replaces a marker look-alike. It carries no marker word.
const lookalikeLabel = "[marker-like text removed]"

// markerSkeleton is the skeleton of the marker words.
var markerSkeleton = skeletonOf("EXTERNAL_EMAIL_CONTENT")

// homoglyphs folds letters that render like the marker's Latin capitals
// (after NFKC and upper-casing) to them.
var homoglyphs = map[rune]rune{
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T', 'Х': 'X', 'І': 'I', 'Ӏ': 'I', 'Ё': 'E', 'Ν': 'N',
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Χ': 'X', 'Ζ': 'Z', 'Ԁ': 'D', 'Ｌ': 'L',
	'Ⲁ': 'A', 'Ⲉ': 'E', 'Ⲛ': 'N', 'Ⲟ': 'O', 'Ⲧ': 'T', 'Ⲭ': 'X', 'Ꮮ': 'L', 'Ꭼ': 'E', 'Ꭺ': 'A', 'Ꮇ': 'M', 'Ꭲ': 'T', 'Ꮯ': 'C',
	'Ɪ': 'I', 'ʟ': 'L', 'ɴ': 'N', 'ᴇ': 'E', 'ᴛ': 'T', 'ᴀ': 'A', 'ᴍ': 'M', 'ᴄ': 'C', 'ᴏ': 'O', 'ʀ': 'R',
	'0': 'O', '1': 'I', '|': 'I', '!': 'I', 'L': 'I', 'Ł': 'I', '3': 'E', '7': 'T', '€': 'E',
}

// skelRune folds one rune for matching: 0 drops it (a separator or a
// mark between the letters), '#' breaks a match, anything else is a
// letter of the skeleton.
func skelRune(r rune) rune {
	switch {
	case r == ' ' || r == '_' || r == '-' || r == '.' || r == '·' || r == '*' || r == '\t' || r == '\u00a0' || r == '~' || r == '+' || r == '/' || r == '\\' || r == '\'' || r == '"':
		return 0
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zs, r) || unicode.Is(unicode.Pd, r) || unicode.Is(unicode.Pc, r):
		return 0
	}
	r = unicode.ToUpper(r)
	if h, ok := homoglyphs[r]; ok {
		return h
	}
	if r < utf8.RuneSelf && (r >= 'A' && r <= 'Z') {
		return r
	}
	return '#'
}

// asciiSkel is skelRune for ASCII.
var asciiSkel = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		t[c] = byte(skelRune(rune(c)))
	}
	return t
}()

func skeletonOf(s string) string {
	sk, _ := skeletonSpans(s, false)
	return string(sk)
}

// Defuse replaces marker look-alikes in sender text (see above). Text
// without any is returned unchanged.
func Defuse(s string) string {
	if s == "" {
		return s
	}
	s = defuseWords(s)
	return defuseBrackets(s)
}

// defuseWords finds the marker skeleton in s and replaces the original
// span. A first pass builds only the skeleton (most text has no
// look-alike and is returned as is); the second maps matches back.
func defuseWords(s string) string {
	sk, _ := skeletonSpans(s, false)
	if !strings.Contains(string(sk), markerSkeleton) {
		return s
	}
	sk, spans := skeletonSpans(s, true)
	str := string(sk) // ASCII: byte index = letter index
	var b strings.Builder
	last := 0
	for from := 0; ; {
		i := strings.Index(str[from:], markerSkeleton)
		if i < 0 {
			break
		}
		first, end := spans[from+i], spans[from+i+len(markerSkeleton)-1]
		if first[0] >= last {
			b.WriteString(s[last:first[0]])
			b.WriteString(lookalikeLabel)
			last = end[1]
		}
		from += i + len(markerSkeleton)
	}
	b.WriteString(s[last:])
	return b.String()
}

// skeletonSpans folds s letter by letter (each rune's compatibility
// decomposition folded by skelRune) and, when spans is set, records the
// byte span in s each skeleton letter came from.
func skeletonSpans(s string, withSpans bool) ([]byte, [][2]int) {
	sk := make([]byte, 0, len(s))
	var spans [][2]int
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if k := asciiSkel[c]; k != 0 {
				sk = append(sk, byte(k))
				if withSpans {
					spans = append(spans, [2]int{i, i + 1})
				}
			}
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		p := norm.NFKC.PropertiesString(s[i:])
		form := s[i : i+size]
		if d := p.Decomposition(); d != nil {
			form = string(d)
		}
		for _, r := range form {
			if k := skelRune(r); k != 0 {
				sk = append(sk, byte(k))
				if withSpans {
					spans = append(spans, [2]int{i, i + size})
				}
			}
		}
		i += size
	}
	return sk, spans
}

// defuseBrackets cuts runs of three or more '<' or '>' (or their
// full-width and small forms) to two.
func defuseBrackets(s string) string {
	isOpen := func(r rune) bool {
		return r == '<' || r == '＜' || r == '﹤' || r == '‹' || r == '〈' || r == '《'
	}
	isClose := func(r rune) bool {
		return r == '>' || r == '＞' || r == '﹥' || r == '›' || r == '〉' || r == '》'
	}
	if !strings.ContainsFunc(s, func(r rune) bool { return isOpen(r) || isClose(r) }) {
		return s
	}
	var b strings.Builder
	rs := []rune(s)
	changed := false
	for i := 0; i < len(rs); {
		j := i
		if isOpen(rs[i]) {
			for j < len(rs) && isOpen(rs[j]) {
				j++
			}
		} else if isClose(rs[i]) {
			for j < len(rs) && isClose(rs[j]) {
				j++
			}
		}
		if j-i >= 3 {
			b.WriteString(string(rs[i : i+2]))
			changed = true
			i = j
			continue
		}
		if j == i {
			j = i + 1
		}
		b.WriteString(string(rs[i:j]))
		i = j
	}
	if !changed {
		return s
	}
	return b.String()
}

// CountMarkerWords counts the marker words in s in any form Defuse
// replaces: a page of Render or Frame has exactly three (the notice and
// the two markers), any other tool text none.
func CountMarkerWords(s string) int {
	sk, _ := skeletonSpans(s, false)
	return strings.Count(string(sk), markerSkeleton)
}
