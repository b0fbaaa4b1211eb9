package parse

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// Selectors of <style> rules, parsed and matched as a browser would for
// the parts that decide what is hidden: a rule that hides text must
// match here wherever it matches in a mail program, or the text reaches
// the agent. Structural pseudo-classes (:first-child, :nth-child(2n+1),
// :not(), :is()), every attribute operator, all four combinators and CSS
// escapes are understood. A selector naming a state (:hover, :focus,
// :checked) or a pseudo-element (::before) never matches: what it hides
// or shows depends on what the reader does. So does a selector this
// parser cannot read.

// cssSelector is one complex selector: compounds left to right, each
// after the combinator that joins it to the previous one (' ', '>', '+',
// '~'; 0 for the first).
type cssSelector struct {
	parts []cssPart
}

type cssPart struct {
	comb byte
	c    cssCompound
}

// cssCompound is a compound selector: tag, id, classes, attribute tests
// and pseudo-classes, any of which may be empty.
type cssCompound struct {
	tag     string
	id      string
	classes []string
	attrs   []cssAttr
	pseudo  []cssPseudo
}

// cssAttr is [name op value i]; op is "" (present), "=", "~=", "|=",
// "^=", "$=" or "*=".
type cssAttr struct {
	name, op, val string
	fold          bool
}

// cssPseudo is a structural pseudo-class: name, An+B for the nth-*
// ones, the argument selectors of :not, :is and :where.
type cssPseudo struct {
	name string
	a, b int
	args []cssSelector
}

// specificity is (ids, classes/attributes/pseudo-classes, types) packed
// into one comparable number.
func (s cssSelector) specificity() int {
	n := 0
	for _, p := range s.parts {
		n += p.c.specificity()
	}
	return n
}

func (c cssCompound) specificity() int {
	n := 0
	if c.id != "" {
		n += 1 << 20
	}
	n += (len(c.classes) + len(c.attrs)) << 10
	if c.tag != "" {
		n++
	}
	for _, p := range c.pseudo {
		switch p.name {
		case "where":
		case "not", "is":
			best := 0
			for _, a := range p.args {
				best = max(best, a.specificity())
			}
			n += best
		default:
			n += 1 << 10
		}
	}
	return n
}

// parseSelectorList reads a comma-separated selector list; selectors it
// cannot read (or that depend on a state) are left out.
func parseSelectorList(src string) []cssSelector {
	var out []cssSelector
	for _, part := range splitTop(src, ',') {
		if s, ok := parseComplex(part); ok {
			out = append(out, s)
		}
	}
	return out
}

// splitTop splits s at sep outside brackets, parentheses and strings.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\\':
			i++
		case c == '"' || c == '\'':
			quote = c
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case c == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// selScanner reads one complex selector.
type selScanner struct {
	s string
	i int
}

func parseComplex(src string) (cssSelector, bool) {
	sc := &selScanner{s: strings.TrimSpace(src)}
	var sel cssSelector
	var comb byte
	for {
		sawSpace := sc.skipSpace()
		if sc.i >= len(sc.s) {
			break
		}
		if c := sc.s[sc.i]; c == '>' || c == '+' || c == '~' {
			comb = c
			sc.i++
			sc.skipSpace()
		} else if sawSpace && len(sel.parts) > 0 {
			comb = ' '
		}
		if len(sel.parts) > 0 && comb == 0 {
			return sel, false
		}
		c, ok := sc.compound()
		if !ok {
			return sel, false
		}
		sel.parts = append(sel.parts, cssPart{comb: comb, c: c})
		comb = 0
	}
	return sel, len(sel.parts) > 0 && comb == 0
}

func (sc *selScanner) skipSpace() bool {
	start := sc.i
	for sc.i < len(sc.s) && strings.IndexByte(" \t\n\r\f", sc.s[sc.i]) >= 0 {
		sc.i++
	}
	return sc.i > start
}

func (sc *selScanner) compound() (cssCompound, bool) {
	var c cssCompound
	start := sc.i
	for sc.i < len(sc.s) {
		switch ch := sc.s[sc.i]; {
		case ch == '*':
			sc.i++
		case ch == '.' || ch == '#':
			sc.i++
			name, ok := sc.ident()
			if !ok {
				return c, false
			}
			if ch == '.' {
				c.classes = append(c.classes, name)
			} else {
				c.id = name
			}
		case ch == '[':
			a, ok := sc.attr()
			if !ok {
				return c, false
			}
			c.attrs = append(c.attrs, a)
		case ch == ':':
			p, ok := sc.pseudo()
			if !ok {
				return c, false
			}
			c.pseudo = append(c.pseudo, p)
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '>' || ch == '+' || ch == '~' || ch == ')':
			return c, sc.i > start
		default:
			if sc.i != start {
				return c, false
			}
			name, ok := sc.ident()
			if !ok {
				return c, false
			}
			c.tag = name
		}
	}
	return c, sc.i > start
}

// ident reads a CSS identifier, decoding escapes (\68 → h), lower-cased.
func (sc *selScanner) ident() (string, bool) {
	var b strings.Builder
	for sc.i < len(sc.s) {
		ch := sc.s[sc.i]
		switch {
		case ch == '\\':
			r, n := cssEscape(sc.s[sc.i+1:])
			if n == 0 {
				return "", false
			}
			b.WriteRune(r)
			sc.i += 1 + n
		case ch == '-' || ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch >= 0x80:
			b.WriteByte(ch)
			sc.i++
		default:
			return strings.ToLower(b.String()), b.Len() > 0
		}
	}
	return strings.ToLower(b.String()), b.Len() > 0
}

// cssEscape decodes the escape after a backslash: up to six hex digits
// and one optional white space, or any other character as itself. It
// returns the rune and the bytes read (0: none).
func cssEscape(s string) (rune, int) {
	n := 0
	for n < len(s) && n < 6 && strings.IndexByte("0123456789abcdefABCDEF", s[n]) >= 0 {
		n++
	}
	if n > 0 {
		v, _ := strconv.ParseUint(s[:n], 16, 32)
		if n < len(s) && strings.IndexByte(" \t\n\r\f", s[n]) >= 0 {
			n++
		}
		r := rune(v)
		if r == 0 || r > utf8.MaxRune || r >= 0xD800 && r <= 0xDFFF {
			r = utf8.RuneError
		}
		return r, n
	}
	if len(s) == 0 || s[0] == '\n' {
		return 0, 0
	}
	r, size := utf8.DecodeRuneInString(s)
	return r, size
}

// attr reads [name], [name=value], [name op "value" i].
func (sc *selScanner) attr() (cssAttr, bool) {
	var a cssAttr
	sc.i++ // [
	sc.skipSpace()
	name, ok := sc.ident()
	if !ok {
		return a, false
	}
	a.name = name
	sc.skipSpace()
	if sc.i < len(sc.s) && sc.s[sc.i] == ']' {
		sc.i++
		return a, true
	}
	for _, op := range []string{"=", "~=", "|=", "^=", "$=", "*="} {
		if strings.HasPrefix(sc.s[sc.i:], op) {
			a.op = op
			sc.i += len(op)
			break
		}
	}
	if a.op == "" {
		return a, false
	}
	sc.skipSpace()
	if sc.i >= len(sc.s) {
		return a, false
	}
	if q := sc.s[sc.i]; q == '"' || q == '\'' {
		sc.i++
		var b strings.Builder
		for sc.i < len(sc.s) && sc.s[sc.i] != q {
			if sc.s[sc.i] == '\\' {
				r, n := cssEscape(sc.s[sc.i+1:])
				if n == 0 {
					return a, false
				}
				b.WriteRune(r)
				sc.i += 1 + n
				continue
			}
			b.WriteByte(sc.s[sc.i])
			sc.i++
		}
		if sc.i >= len(sc.s) {
			return a, false
		}
		sc.i++
		a.val = b.String()
	} else {
		// An unquoted value is an identifier, its case kept.
		st := sc.i
		if _, ok := sc.ident(); !ok {
			return a, false
		}
		a.val = sc.s[st:sc.i]
	}
	sc.skipSpace()
	if sc.i < len(sc.s) && (sc.s[sc.i] == 'i' || sc.s[sc.i] == 'I') {
		a.fold = true
		sc.i++
	} else if sc.i < len(sc.s) && (sc.s[sc.i] == 's' || sc.s[sc.i] == 'S') {
		sc.i++
	}
	sc.skipSpace()
	if sc.i >= len(sc.s) || sc.s[sc.i] != ']' {
		return a, false
	}
	sc.i++
	return a, true
}

// structural pseudo-classes, which hold whatever the reader does.
var structuralPseudo = map[string]bool{
	"first-child": true, "last-child": true, "only-child": true,
	"first-of-type": true, "last-of-type": true, "only-of-type": true,
	"root": true, "empty": true, "link": true, "any-link": true,
}

func (sc *selScanner) pseudo() (cssPseudo, bool) {
	var p cssPseudo
	sc.i++ // :
	if sc.i < len(sc.s) && sc.s[sc.i] == ':' {
		return p, false // a pseudo-element
	}
	name, ok := sc.ident()
	if !ok {
		return p, false
	}
	p.name = name
	if sc.i >= len(sc.s) || sc.s[sc.i] != '(' {
		return p, structuralPseudo[name]
	}
	// Arguments: up to the matching parenthesis.
	depth, st := 0, sc.i+1
	for ; sc.i < len(sc.s); sc.i++ {
		if sc.s[sc.i] == '(' {
			depth++
		} else if sc.s[sc.i] == ')' {
			depth--
			if depth == 0 {
				break
			}
		}
	}
	if sc.i >= len(sc.s) {
		return p, false
	}
	arg := strings.TrimSpace(sc.s[st:sc.i])
	sc.i++
	switch name {
	case "nth-child", "nth-last-child", "nth-of-type", "nth-last-of-type":
		if strings.Contains(strings.ToLower(arg), " of ") {
			return p, false
		}
		p.a, p.b, ok = parseNth(arg)
		return p, ok
	case "not", "is", "where", "matches", "-webkit-any":
		if name == "matches" || name == "-webkit-any" {
			p.name = "is"
		}
		parts := splitTop(arg, ',')
		for _, a := range parts {
			s, ok := parseComplex(a)
			if !ok {
				// Unreadable or stateful inside :not() would turn a
				// rule that rarely matches into one that always does.
				return p, false
			}
			p.args = append(p.args, s)
		}
		return p, len(p.args) > 0
	}
	return p, false
}

// parseNth reads An+B, odd and even.
func parseNth(s string) (a, b int, ok bool) {
	s = strings.ToLower(strings.ReplaceAll(s, " ", ""))
	switch s {
	case "odd":
		return 2, 1, true
	case "even":
		return 2, 0, true
	}
	i := strings.IndexByte(s, 'n')
	if i < 0 {
		n, err := strconv.Atoi(s)
		return 0, n, err == nil
	}
	switch as := s[:i]; as {
	case "", "+":
		a = 1
	case "-":
		a = -1
	default:
		n, err := strconv.Atoi(as)
		if err != nil {
			return 0, 0, false
		}
		a = n
	}
	if rest := s[i+1:]; rest != "" {
		n, err := strconv.Atoi(rest)
		if err != nil {
			return 0, 0, false
		}
		b = n
	}
	return a, b, true
}

// matches reports whether element n matches the selector.
func (s cssSelector) matches(n *html.Node) bool {
	var seen map[selAt]bool
	if len(s.parts) > 2 {
		// Descendant and sibling combinators try every ancestor or
		// earlier sibling; without remembering what was tried, a rule
		// such as "span div div … div p" over deeply nested divs
		// takes exponential time.
		seen = map[selAt]bool{}
	}
	return s.matchAt(n, len(s.parts)-1, seen)
}

// selAt is a compound of a selector (by index) tried at a node.
type selAt struct {
	n *html.Node
	i int
}

func (s cssSelector) matchAt(n *html.Node, i int, seen map[selAt]bool) bool {
	if seen != nil {
		k := selAt{n, i}
		if m, ok := seen[k]; ok {
			return m
		}
		m := s.matchStep(n, i, seen)
		seen[k] = m
		return m
	}
	return s.matchStep(n, i, seen)
}

func (s cssSelector) matchStep(n *html.Node, i int, seen map[selAt]bool) bool {
	if !s.parts[i].c.matches(n) {
		return false
	}
	if i == 0 {
		return true
	}
	switch s.parts[i].comb {
	case '>':
		p := elementParent(n)
		return p != nil && s.matchAt(p, i-1, seen)
	case '+':
		p := prevElement(n)
		return p != nil && s.matchAt(p, i-1, seen)
	case '~':
		for p := prevElement(n); p != nil; p = prevElement(p) {
			if s.matchAt(p, i-1, seen) {
				return true
			}
		}
		return false
	default:
		for p := elementParent(n); p != nil; p = elementParent(p) {
			if s.matchAt(p, i-1, seen) {
				return true
			}
		}
		return false
	}
}

func elementParent(n *html.Node) *html.Node {
	if p := n.Parent; p != nil && p.Type == html.ElementNode {
		return p
	}
	return nil
}

func prevElement(n *html.Node) *html.Node {
	for p := n.PrevSibling; p != nil; p = p.PrevSibling {
		if p.Type == html.ElementNode {
			return p
		}
	}
	return nil
}

func (c cssCompound) matches(n *html.Node) bool {
	if c.tag != "" && c.tag != strings.ToLower(n.Data) {
		return false
	}
	if c.id != "" && !strings.EqualFold(attr(n, "id"), c.id) {
		return false
	}
	if len(c.classes) > 0 {
		have := strings.Fields(strings.ToLower(attr(n, "class")))
		for _, want := range c.classes {
			found := false
			for _, h := range have {
				found = found || h == want
			}
			if !found {
				return false
			}
		}
	}
	for _, a := range c.attrs {
		if !a.matches(n) {
			return false
		}
	}
	for _, p := range c.pseudo {
		if !p.matches(n) {
			return false
		}
	}
	return true
}

// matches tests the attribute. Mail programs differ on the case of
// values (HTML treats some attributes' values case-insensitively), so
// values are compared without case, which can only match more.
func (a cssAttr) matches(n *html.Node) bool {
	v, ok := attrOK(n, a.name)
	if !ok {
		return false
	}
	v, want := strings.ToLower(v), strings.ToLower(a.val)
	switch a.op {
	case "":
		return true
	case "=":
		return v == want
	case "~=":
		for _, f := range strings.Fields(v) {
			if f == want {
				return true
			}
		}
		return false
	case "|=":
		return v == want || strings.HasPrefix(v, want+"-")
	case "^=":
		return want != "" && strings.HasPrefix(v, want)
	case "$=":
		return want != "" && strings.HasSuffix(v, want)
	case "*=":
		return want != "" && strings.Contains(v, want)
	}
	return false
}

func (p cssPseudo) matches(n *html.Node) bool {
	switch p.name {
	case "not":
		for _, a := range p.args {
			if a.matches(n) {
				return false
			}
		}
		return true
	case "is", "where":
		for _, a := range p.args {
			if a.matches(n) {
				return true
			}
		}
		return false
	case "root":
		return elementParent(n) == nil
	case "empty":
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode || c.Type == html.TextNode && c.Data != "" {
				return false
			}
		}
		return true
	case "link", "any-link":
		_, ok := attrOK(n, "href")
		return ok && (strings.EqualFold(n.Data, "a") || strings.EqualFold(n.Data, "area"))
	}
	before, after := siblingCounts(n, strings.HasSuffix(p.name, "of-type"))
	switch p.name {
	case "first-child", "first-of-type":
		return before == 0
	case "last-child", "last-of-type":
		return after == 0
	case "only-child", "only-of-type":
		return before == 0 && after == 0
	case "nth-child", "nth-of-type":
		return nthMatches(p.a, p.b, before+1)
	case "nth-last-child", "nth-last-of-type":
		return nthMatches(p.a, p.b, after+1)
	}
	return false
}

// siblingCounts counts the element siblings before and after n (of n's
// type only, when ofType).
func siblingCounts(n *html.Node, ofType bool) (before, after int) {
	same := func(s *html.Node) bool {
		return s.Type == html.ElementNode && (!ofType || strings.EqualFold(s.Data, n.Data))
	}
	for s := n.PrevSibling; s != nil; s = s.PrevSibling {
		if same(s) {
			before++
		}
	}
	for s := n.NextSibling; s != nil; s = s.NextSibling {
		if same(s) {
			after++
		}
	}
	return before, after
}

// nthMatches reports whether position pos (from 1) is A·k+B for some k ≥ 0.
func nthMatches(a, b, pos int) bool {
	if a == 0 {
		return pos == b
	}
	k := pos - b
	return k%a == 0 && k/a >= 0
}
