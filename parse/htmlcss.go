package parse

import (
	"slices"
	"strings"

	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/css"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The HTML cleaner needs to know what CSS a mail applies to an element,
// from <style> rules as well as inline style attributes, because hiding
// injected text in a class rule ("display:none" on .x) is as easy as doing
// it inline. Declarations are read with tdewolff/parse's CSS tokenizer and
// grammar parser, which follows CSS Syntax Level 3 (comments, strings,
// escapes, nested blocks), so a rule cannot slip past us by a comment or a
// brace inside a string; selectors are matched here, conservatively.

// maxStyleRules bounds the rules kept from a message's stylesheets.
const maxStyleRules = 2000

// cssDecls are declarations: lower-case property → lower-case value with
// "!important" removed.
type cssDecls map[string]string

// cssRule is one selector (a chain of compound selectors, leftmost first)
// and its declarations.
type cssRule struct {
	chain []cssCompound
	decls cssDecls
}

// cssCompound is a compound selector: tag, id, classes and attributes,
// any of which may be empty.
type cssCompound struct {
	tag     string
	id      string
	classes []string
	attrs   [][2]string // name, value ("" = present)
}

// stylesheet holds the rules in document order, indexed by what the
// rightmost compound of each requires (an id, else a class, else a tag),
// so matching an element only looks at rules that could apply.
type stylesheet struct {
	rules []cssRule
	byKey map[string][]int // "#id", ".class", "tag" → rule indexes
	other []int            // rules with none of those (*, [attr])
}

func (s *stylesheet) add(r cssRule) {
	if s.byKey == nil {
		s.byKey = map[string][]int{}
	}
	i := len(s.rules)
	s.rules = append(s.rules, r)
	c := r.chain[len(r.chain)-1]
	switch {
	case c.id != "":
		s.byKey["#"+c.id] = append(s.byKey["#"+c.id], i)
	case len(c.classes) > 0:
		s.byKey["."+c.classes[0]] = append(s.byKey["."+c.classes[0]], i)
	case c.tag != "":
		s.byKey[c.tag] = append(s.byKey[c.tag], i)
	default:
		s.other = append(s.other, i)
	}
}

// parseDecls reads the declarations of an inline style attribute.
func parseDecls(style string) cssDecls {
	out := cssDecls{}
	p := css.NewParser(parse.NewInputString(style), true)
	for {
		gt, _, data := p.Next()
		if gt == css.ErrorGrammar {
			return out
		}
		if gt == css.DeclarationGrammar {
			out[strings.ToLower(string(data))] = declValue(p.Values())
		}
	}
}

// declValue joins a declaration's value tokens, lower-cased, without
// "!important".
func declValue(vals []css.Token) string {
	var b strings.Builder
	for _, v := range vals {
		b.Write(v.Data)
	}
	v := strings.ToLower(strings.TrimSpace(b.String()))
	if i := strings.Index(v, "!"); i >= 0 && strings.TrimSpace(v[i+1:]) == "important" {
		v = strings.TrimSpace(v[:i])
	}
	return v
}

// parseStylesheet reads the rules of a <style> element. Rules inside an
// @media block apply when its query has no condition (all, screen): a
// rule for narrow screens only hides the desktop layout there, and
// applying it would drop text the reader sees. Other at-rules are skipped.
func parseStylesheet(src string, sheet *stylesheet) {
	p := css.NewParser(parse.NewInputString(src), false)
	var skip []bool // per open at-rule: skip its rules
	var cur []cssRule
	for {
		gt, _, data := p.Next()
		switch gt {
		case css.ErrorGrammar:
			return
		case css.BeginAtRuleGrammar:
			name := strings.ToLower(string(data))
			query := strings.ToLower(declValue(p.Values()))
			skip = append(skip, name != "@media" || strings.Contains(query, "(") || strings.Contains(query, "print") || strings.Contains(query, "not"))
		case css.EndAtRuleGrammar:
			if len(skip) > 0 {
				skip = skip[:len(skip)-1]
			}
		case css.BeginRulesetGrammar:
			cur = nil
			if skipping(skip) || len(sheet.rules) >= maxStyleRules {
				continue
			}
			var b strings.Builder
			for _, v := range p.Values() {
				b.Write(v.Data)
			}
			for _, sel := range strings.Split(b.String(), ",") {
				if chain, ok := parseSelector(sel); ok {
					cur = append(cur, cssRule{chain: chain, decls: cssDecls{}})
				}
			}
		case css.DeclarationGrammar:
			for _, r := range cur {
				r.decls[strings.ToLower(string(data))] = declValue(p.Values())
			}
		case css.EndRulesetGrammar:
			for _, r := range cur {
				sheet.add(r)
			}
			cur = nil
		}
	}
}

func skipping(skip []bool) bool {
	for _, s := range skip {
		if s {
			return true
		}
	}
	return false
}

// parseSelector reads one complex selector. Combinators ('>', '+', '~',
// descendant) are all treated as "descendant of", which can only make a
// rule match more elements; a selector with pseudo-classes or
// pseudo-elements (:hover, ::before) never matches, since those hide or
// show only in states a reader may never see.
func parseSelector(sel string) ([]cssCompound, bool) {
	sel = strings.TrimSpace(strings.ToLower(sel))
	if sel == "" || strings.ContainsAny(sel, ":\\") {
		return nil, false
	}
	var chain []cssCompound
	for _, part := range strings.FieldsFunc(sel, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '>' || r == '+' || r == '~' }) {
		c, ok := parseCompound(part)
		if !ok {
			return nil, false
		}
		chain = append(chain, c)
	}
	return chain, len(chain) > 0
}

func parseCompound(s string) (cssCompound, bool) {
	var c cssCompound
	for s != "" {
		switch s[0] {
		case '*':
			s = s[1:]
		case '.', '#':
			kind := s[0]
			s = s[1:]
			n := identLen(s)
			if n == 0 {
				return c, false
			}
			if kind == '.' {
				c.classes = append(c.classes, s[:n])
			} else {
				c.id = s[:n]
			}
			s = s[n:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return c, false
			}
			name, val, _ := strings.Cut(s[1:end], "=")
			if strings.ContainsAny(name, "~|^$*") {
				return c, false
			}
			c.attrs = append(c.attrs, [2]string{strings.TrimSpace(name), strings.Trim(strings.TrimSpace(val), `"'`)})
			s = s[end+1:]
		default:
			n := identLen(s)
			if n == 0 {
				return c, false
			}
			c.tag = s[:n]
			s = s[n:]
		}
	}
	return c, true
}

func identLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80) {
			return i
		}
	}
	return len(s)
}

// collectStyles reads every <style> element of the document (in the head
// or, as mail often has them, in the body).
func collectStyles(n *html.Node, sheet *stylesheet, budget *int) {
	for c := n.FirstChild; c != nil && *budget > 0; c = c.NextSibling {
		*budget--
		if c.Type != html.ElementNode {
			continue
		}
		if c.DataAtom == atom.Style {
			var b strings.Builder
			for t := c.FirstChild; t != nil; t = t.NextSibling {
				if t.Type == html.TextNode {
					b.WriteString(t.Data)
				}
			}
			parseStylesheet(b.String(), sheet)
			continue
		}
		collectStyles(c, sheet, budget)
	}
}

// declsFor returns the declarations that apply to n: matching stylesheet
// rules in order, then its style attribute (which wins, as in a browser;
// specificity is not modelled, so a later rule wins over an earlier one).
func (s *stylesheet) declsFor(n *html.Node) cssDecls {
	out := cssDecls{}
	if len(s.rules) > 0 {
		cand := append([]int(nil), s.other...)
		cand = append(cand, s.byKey[strings.ToLower(n.Data)]...)
		if id := strings.ToLower(attr(n, "id")); id != "" {
			cand = append(cand, s.byKey["#"+id]...)
		}
		for _, cl := range strings.Fields(strings.ToLower(attr(n, "class"))) {
			cand = append(cand, s.byKey["."+cl]...)
		}
		slices.Sort(cand)
		cand = slices.Compact(cand)
		for _, i := range cand {
			if r := s.rules[i]; r.matches(n) {
				for k, v := range r.decls {
					out[k] = v
				}
			}
		}
	}
	if st := attr(n, "style"); st != "" {
		for k, v := range parseDecls(st) {
			out[k] = v
		}
	}
	return out
}

func (r cssRule) matches(n *html.Node) bool {
	last := len(r.chain) - 1
	if !r.chain[last].matches(n) {
		return false
	}
	i := last - 1
	for a := n.Parent; a != nil && i >= 0; a = a.Parent {
		if a.Type == html.ElementNode && r.chain[i].matches(a) {
			i--
		}
	}
	return i < 0
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
		v, ok := attrOK(n, a[0])
		if !ok || a[1] != "" && !strings.EqualFold(v, a[1]) {
			return false
		}
	}
	return true
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}
