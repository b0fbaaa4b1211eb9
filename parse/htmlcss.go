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
// brace inside a string. The cascade is a browser's (CSS Cascade 4 §6):
// !important over normal, a style attribute over rules, unlayered rules
// over @layer ones, then specificity, then order; selectors are in
// htmlselect.go, media queries in htmlmedia.go.

// maxStyleRules bounds the rules kept from a message's stylesheets.
const maxStyleRules = 2000

// cssDecls are declarations: lower-case property → lower-case value with
// "!important" removed.
type cssDecls map[string]string

// cssRule is one selector and its declarations, normal and !important.
type cssRule struct {
	sel     cssSelector
	spec    int
	layered bool // inside @layer: below unlayered rules
	decls   cssDecls
	imp     cssDecls
}

// stylesheet holds the rules in document order, indexed by what the
// rightmost compound of each requires (an id, else a class, else a tag),
// so matching an element only looks at rules that could apply.
type stylesheet struct {
	rules []cssRule
	byKey map[string][]int // "#id", ".class", "tag" → rule indexes
	other []int            // rules with none of those (*, [attr], :is())
}

func (s *stylesheet) add(r cssRule) {
	if s.byKey == nil {
		s.byKey = map[string][]int{}
	}
	i := len(s.rules)
	s.rules = append(s.rules, r)
	c := r.sel.parts[len(r.sel.parts)-1].c
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

// parseDecls reads the declarations of an inline style attribute; an
// !important one wins over a normal one whatever their order.
func parseDecls(style string) cssDecls {
	normal, imp := parseDeclsImp(style)
	for k, v := range imp {
		normal[k] = v
	}
	return normal
}

// parseDeclsImp reads a style attribute's normal and !important
// declarations apart.
func parseDeclsImp(style string) (normal, imp cssDecls) {
	normal, imp = cssDecls{}, cssDecls{}
	p := css.NewParser(parse.NewInputString(style), true)
	for {
		gt, _, data := p.Next()
		if gt == css.ErrorGrammar {
			return normal, imp
		}
		if gt == css.DeclarationGrammar {
			v, important := declValue(p.Values())
			if important {
				imp[strings.ToLower(string(data))] = v
			} else {
				normal[strings.ToLower(string(data))] = v
			}
		}
	}
}

// declValue joins a declaration's value tokens, lower-cased, without
// "!important", and reports whether it was there.
func declValue(vals []css.Token) (string, bool) {
	var b strings.Builder
	for _, v := range vals {
		b.Write(v.Data)
	}
	v := strings.ToLower(strings.TrimSpace(b.String()))
	if i := strings.LastIndex(v, "!"); i >= 0 && strings.TrimSpace(v[i+1:]) == "important" {
		return strings.TrimSpace(v[:i]), true
	}
	return v, false
}

// parseStylesheet reads the rules of a <style> element. Rules inside
// @media apply when its query holds on every reader's screen (see
// htmlmedia.go), inside @supports when the test is a plain feature test,
// inside @layer always (below unlayered rules); other at-rules are
// skipped.
func parseStylesheet(src string, sheet *stylesheet) {
	p := css.NewParser(parse.NewInputString(src), false)
	type block struct{ skip, layer bool }
	var open []block
	var cur []cssRule
	for {
		gt, _, data := p.Next()
		switch gt {
		case css.ErrorGrammar:
			return
		case css.BeginAtRuleGrammar:
			name := strings.ToLower(string(data))
			var b strings.Builder
			for _, v := range p.Values() {
				b.Write(v.Data)
			}
			prelude := b.String()
			switch name {
			case "@media":
				open = append(open, block{skip: !mediaEverywhere(prelude)})
			case "@supports":
				open = append(open, block{skip: !supportsLikely(prelude)})
			case "@layer":
				open = append(open, block{layer: true})
			default:
				open = append(open, block{skip: true})
			}
		case css.EndAtRuleGrammar:
			if len(open) > 0 {
				open = open[:len(open)-1]
			}
		case css.BeginRulesetGrammar:
			cur = nil
			skip, layer := false, false
			for _, b := range open {
				skip, layer = skip || b.skip, layer || b.layer
			}
			if skip || len(sheet.rules) >= maxStyleRules {
				continue
			}
			var b strings.Builder
			for _, v := range p.Values() {
				b.Write(v.Data)
			}
			for _, sel := range parseSelectorList(b.String()) {
				cur = append(cur, cssRule{sel: sel, spec: sel.specificity(), layered: layer, decls: cssDecls{}, imp: cssDecls{}})
			}
		case css.DeclarationGrammar:
			v, important := declValue(p.Values())
			for _, r := range cur {
				if important {
					r.imp[strings.ToLower(string(data))] = v
				} else {
					r.decls[strings.ToLower(string(data))] = v
				}
			}
		case css.EndRulesetGrammar:
			for _, r := range cur {
				sheet.add(r)
			}
			cur = nil
		}
	}
}

// collectStyles reads every <style> element of the document (in the head
// or, as mail often has them, in the body) whose media attribute holds on
// every reader's screen.
func collectStyles(n *html.Node, sheet *stylesheet, budget *int) {
	for c := n.FirstChild; c != nil && *budget > 0; c = c.NextSibling {
		*budget--
		if c.Type != html.ElementNode {
			continue
		}
		if c.DataAtom == atom.Style {
			if !mediaEverywhere(attr(c, "media")) {
				continue
			}
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

// declsFor returns the declarations that apply to n, by the cascade:
// normal declarations of @layer rules, then of other rules (each by
// specificity, then order), then the style attribute's; then the
// !important ones in the reverse order of origin: other rules, @layer
// rules, the style attribute.
func (s *stylesheet) declsFor(n *html.Node) cssDecls {
	out := cssDecls{}
	var matched []int
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
			if s.rules[i].sel.matches(n) {
				matched = append(matched, i)
			}
		}
	}
	// By specificity, then (cand being sorted) document order.
	slices.SortStableFunc(matched, func(a, b int) int { return s.rules[a].spec - s.rules[b].spec })
	apply := func(layered bool, important bool) {
		for _, i := range matched {
			if s.rules[i].layered != layered {
				continue
			}
			d := s.rules[i].decls
			if important {
				d = s.rules[i].imp
			}
			for k, v := range d {
				out[k] = v
			}
		}
	}
	var inline, inlineImp cssDecls
	if st := attr(n, "style"); st != "" {
		inline, inlineImp = parseDeclsImp(st)
	}
	apply(true, false)
	apply(false, false)
	for k, v := range inline {
		out[k] = v
	}
	apply(false, true)
	apply(true, true)
	for k, v := range inlineImp {
		out[k] = v
	}
	return out
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}
