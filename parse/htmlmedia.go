package parse

import (
	"strings"
)

// A rule inside @media applies to the cleaner only when its query holds
// on every screen a reader is likely to use: a desktop window and a
// phone. "(min-width: 1px)" holds on both, so what it hides is hidden
// from every reader; "(max-width: 600px)" holds only on phones, so the
// desktop text it hides there is seen on a desktop and kept.

// viewport is a screen a mail is read on, in CSS pixels.
type viewport struct{ w, h float64 }

var readerViewports = []viewport{{1280, 800}, {375, 667}}

// mediaEverywhere reports whether a media query list (the prelude of
// @media, or a <style media> attribute) matches on every reader viewport.
func mediaEverywhere(query string) bool {
	query = strings.ToLower(strings.TrimSpace(query))
	if query == "" {
		return true
	}
	for _, vp := range readerViewports {
		if !mediaListMatches(query, vp) {
			return false
		}
	}
	return true
}

// mediaListMatches: a comma-separated list matches if one query does.
func mediaListMatches(list string, vp viewport) bool {
	for _, q := range splitTop(list, ',') {
		if mediaQueryMatches(strings.TrimSpace(q), vp) {
			return true
		}
	}
	return false
}

// mediaQueryMatches evaluates "[only|not] type [and (feature)]…" or
// "(feature) [and (feature)]…". An unknown type or feature, or "or",
// makes the query false (so a rule is applied only when it surely holds).
func mediaQueryMatches(q string, vp viewport) bool {
	neg := false
	words := splitMediaWords(q)
	if len(words) > 0 && (words[0] == "only" || words[0] == "not") {
		neg = words[0] == "not"
		words = words[1:]
	}
	ok := len(words) > 0
	expectTerm := true
	for _, w := range words {
		switch {
		case !expectTerm && w == "and":
			expectTerm = true
			continue
		case !expectTerm:
			return false
		case w == "all" || w == "screen":
		case strings.HasPrefix(w, "("):
			ok = ok && mediaFeature(strings.TrimSuffix(strings.TrimPrefix(w, "("), ")"), vp)
		case w == "print" || w == "speech":
			ok = false
		default:
			return false // an unknown type: not assumed either way
		}
		expectTerm = false
	}
	if expectTerm {
		return false
	}
	return ok != neg
}

// splitMediaWords splits a query into words and parenthesised features.
func splitMediaWords(q string) []string {
	var out []string
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '(':
			depth, j := 0, i
			for ; j < len(q); j++ {
				if q[j] == '(' {
					depth++
				} else if q[j] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			out = append(out, q[i:min(j+1, len(q))])
			i = j + 1
		default:
			j := i
			for j < len(q) && q[j] != ' ' && q[j] != '(' && q[j] != '\t' && q[j] != '\n' {
				j++
			}
			out = append(out, q[i:j])
			i = j
		}
	}
	return out
}

// mediaFeature evaluates one feature: min-/max-width and height, width
// and height, the range forms "width >= 600px" and "400px < width", the
// orientation, and prefers-color-scheme (light, the default).
func mediaFeature(f string, vp viewport) bool {
	f = strings.TrimSpace(f)
	if name, val, ok := strings.Cut(f, ":"); ok {
		name, val = strings.TrimSpace(name), strings.TrimSpace(val)
		size := func(dim string) float64 {
			if dim == "width" {
				return vp.w
			}
			return vp.h
		}
		switch name {
		case "min-width", "max-width", "min-height", "max-height", "width", "height":
			px, ok := cssLength(val, 16)
			if !ok {
				return false
			}
			dim := strings.TrimPrefix(strings.TrimPrefix(name, "min-"), "max-")
			switch {
			case strings.HasPrefix(name, "min-"):
				return size(dim) >= px
			case strings.HasPrefix(name, "max-"):
				return size(dim) <= px
			}
			return size(dim) == px
		case "orientation":
			return val == "landscape" && vp.w > vp.h || val == "portrait" && vp.h >= vp.w
		case "prefers-color-scheme":
			return val == "light"
		}
		return false
	}
	return mediaRange(f, vp)
}

// mediaRange evaluates "width >= 600px", "600px < width" and
// "400px <= width <= 700px" (Media Queries 4 range syntax).
func mediaRange(f string, vp viewport) bool {
	var toks []string
	for f != "" {
		f = strings.TrimSpace(f)
		if f == "" {
			break
		}
		if i := strings.IndexAny(f, "<>="); i == 0 {
			n := 1
			if len(f) > 1 && f[1] == '=' {
				n = 2
			}
			toks = append(toks, f[:n])
			f = f[n:]
			continue
		} else if i < 0 {
			toks = append(toks, strings.TrimSpace(f))
			break
		} else {
			toks = append(toks, strings.TrimSpace(f[:i]))
			f = f[i:]
		}
	}
	if len(toks) != 3 && len(toks) != 5 {
		return false
	}
	val := func(t string) (float64, bool) {
		switch t {
		case "width":
			return vp.w, true
		case "height":
			return vp.h, true
		}
		return cssLength(t, 16)
	}
	for i := 0; i+2 < len(toks); i += 2 {
		l, ok1 := val(toks[i])
		r, ok2 := val(toks[i+2])
		if !ok1 || !ok2 {
			return false
		}
		var holds bool
		switch toks[i+1] {
		case "<":
			holds = l < r
		case "<=":
			holds = l <= r
		case ">":
			holds = l > r
		case ">=":
			holds = l >= r
		case "=":
			holds = l == r
		}
		if !holds {
			return false
		}
	}
	return true
}

// supportsLikely reports whether an @supports condition holds in the
// mail programs that read HTML: any plain feature test does; one with
// "not" or "selector(" is not assumed.
func supportsLikely(cond string) bool {
	cond = strings.ToLower(cond)
	return !strings.Contains(cond, "not") && !strings.Contains(cond, "selector(")
}
