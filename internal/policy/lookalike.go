package policy

import (
	"strings"

	"golang.org/x/net/idna"
)

// confusable maps characters that render like ASCII letters to them:
// Cyrillic and Greek lookalikes, and digits used as letters.
var confusable = map[rune]rune{
	'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'і': 'l', 'ј': 'j',
	'ѕ': 's', 'ԁ': 'd', 'ɡ': 'g', 'һ': 'h', 'ԛ': 'q', 'ԝ': 'w', 'к': 'k', 'м': 'm', 'т': 't', 'в': 'b', 'н': 'h',
	'ο': 'o', 'α': 'a', 'ν': 'v', 'ρ': 'p', 'τ': 't', 'ι': 'l', 'κ': 'k', 'χ': 'x', 'υ': 'u', 'ϲ': 'c',
	'0': 'o', '1': 'l', 'i': 'l', '|': 'l', '5': 's', '$': 's', '@': 'a',
}

// skeleton reduces a domain to how it looks: Unicode decoded from punycode,
// confusables folded, and multi-letter lookalikes ("rn" → "m", "vv" → "w")
// joined.
func skeleton(domain string) string {
	if u, err := idna.ToUnicode(domain); err == nil {
		domain = u
	}
	var b strings.Builder
	for _, r := range strings.ToLower(domain) {
		if c, ok := confusable[r]; ok {
			r = c
		}
		b.WriteRune(r)
	}
	s := b.String()
	s = strings.ReplaceAll(s, "rn", "m")
	s = strings.ReplaceAll(s, "vv", "w")
	s = strings.ReplaceAll(s, "cl", "d")
	return s
}

// Lookalike returns the known domain that domain imitates, or "". Equal
// domains and sub/parent domains are not lookalikes; a different domain
// that looks the same (homoglyphs), has the same name under another
// top-level domain, or differs by one edit (two for long names) is.
func Lookalike(domain string, known []string) string {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if domain == "" {
		return ""
	}
	sd := skeleton(domain)
	for _, k := range known {
		k = strings.ToLower(strings.TrimSuffix(k, "."))
		if k == "" || k == domain || strings.HasSuffix(domain, "."+k) || strings.HasSuffix(k, "."+domain) {
			continue
		}
		sk := skeleton(k)
		if sd == sk || skeleton(label(domain)) == skeleton(label(k)) {
			// Same look, or the same name under another top-level domain.
			return k
		}
		if len(label(k)) < 5 {
			continue
		}
		limit := 1
		if len(sk) >= 12 {
			limit = 2
		}
		if editDistance(sd, sk, limit) <= limit {
			return k
		}
	}
	return ""
}

// label is the domain without its last component ("example" of
// "example.com").
func label(d string) string {
	if i := strings.LastIndexByte(d, '.'); i > 0 {
		return d[:i]
	}
	return d
}

// editDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions, adjacent transpositions), giving
// up early once it exceeds limit.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
