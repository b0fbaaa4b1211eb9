package parse

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestHiddenHTMLAttacks parses every testdata/attacks/hidden-*.eml: text a
// reader cannot see (marked INJECTED-n) must be gone, text a reader sees
// (VISIBLE-n, image labels) must stay.
func TestHiddenHTMLAttacks(t *testing.T) {
	for _, c := range []struct {
		file string
		kept []string
	}{
		{"hidden-style-class.eml", []string{"VISIBLE-1", "VISIBLE-2", "VISIBLE-3"}},
		{"hidden-color.eml", []string{"VISIBLE-1", "VISIBLE-2", "VISIBLE-3"}},
		{"hidden-tiny-font.eml", []string{"VISIBLE-1", "VISIBLE-2"}},
		{"hidden-offscreen.eml", []string{"VISIBLE-1"}},
		{"hidden-clip-transform.eml", []string{"VISIBLE-1"}},
		{"hidden-css-cascade.eml", []string{"VISIBLE-1", "VISIBLE-2", "VISIBLE-3", "VISIBLE-4", "VISIBLE-5", "VISIBLE-6", "VISIBLE-7", "Heading", "bold"}},
		{"hidden-css-properties.eml", []string{"VISIBLE-1", "VISIBLE-2", "VISIBLE-3", "VISIBLE-4"}},
		{"hidden-plain-alternative.eml", []string{"VISIBLE-1", "account page"}},
		{"hidden-css-values.eml", []string{"VISIBLE-1", "VISIBLE-2", "VISIBLE-3", "VISIBLE-4", "VISIBLE-5"}},
		{"hidden-deep-nesting.eml", []string{"nested too deeply"}},
		{"hidden-tooltip.eml", []string{"VISIBLE-1", "[view invoice](https://shop.example/invoice/4471)", "VISIBLE-2"}},
		{"hidden-alt.eml", []string{"VISIBLE-1", "[image: Shop logo]", "[image: x LABEL-2]", "[image]"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			m := parseAttack(t, c.file)
			for _, s := range injected.FindAllString(m.Text, -1) {
				t.Errorf("hidden text %s reaches the agent:\n%s", s, m.Text)
			}
			for _, want := range c.kept {
				if !strings.Contains(m.Text, want) {
					t.Errorf("visible text %q was dropped:\n%s", want, m.Text)
				}
			}
		})
	}
}

var injected = regexp.MustCompile(`INJECTED-\d+`)

func parseAttack(t *testing.T, name string) *Message {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "attacks", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Parse(f, ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHiddenStyleValues(t *testing.T) {
	for _, c := range []struct {
		style  string
		hidden bool
	}{
		{"display:/**/none", true},
		{"DISPLAY: NONE !IMPORTANT", true},
		{"visibility:collapse", true},
		{"opacity:0%", true},
		{"opacity:.5", false},
		{"clip: rect(auto, auto, auto, auto)", false},
		{"clip: rect(0px, 10px, 10px, 0px)", false},
		{"transform: rotate(3deg)", false},
		{"transform: scaleX(0)", true},
		{"position:absolute; left:20px", false},
		{"left:-9999px", false}, // not positioned: no effect
		{"height:0;overflow:hidden", true},
		{"height:0", false},
	} {
		_, hidden := elementStyle(&html.Node{Type: html.ElementNode, Data: "div"}, parseDecls(c.style), defaultStyle)
		if hidden != c.hidden {
			t.Errorf("%q: hidden %v, want %v", c.style, hidden, c.hidden)
		}
	}
}

func TestMediaEverywhere(t *testing.T) {
	for _, c := range []struct {
		q    string
		want bool
	}{
		{"", true},
		{"all", true},
		{"screen, print", true},
		{"print", false},
		{"(min-width: 1px)", true},
		{"only screen and (min-width:0)", true},
		{"(max-width: 600px)", false},
		{"(min-width: 600px)", false},
		{"not all and (min-width: 1px)", false},
		{"not print", true},
		{"(width >= 1px)", true},
		{"(1px <= width <= 5000px)", true},
		{"(400px <= width <= 700px)", false},
		{"(prefers-color-scheme: dark)", false},
		{"(hover: hover)", false},
		{"screen and (min-width:1px) and (max-width:100000px)", true},
		{"screen and", false},
	} {
		if got := mediaEverywhere(c.q); got != c.want {
			t.Errorf("mediaEverywhere(%q) = %v, want %v", c.q, got, c.want)
		}
	}
}

func TestSelectorParse(t *testing.T) {
	for _, c := range []struct {
		sel string
		ok  bool
	}{
		{"div > p + span ~ b", true},
		{`[title="a, b"]`, true},
		{`.\68 ide`, true},
		{"p:nth-child(2n+1)", true},
		{"p:nth-child(-n+3)", true},
		{"p:not(.a, .b)", true},
		{"a:hover", false},
		{"p::after", false},
		{"p:not(:hover)", false},
		{"p:lang(en)", false},
		{"div >", false},
		{"[x", false},
	} {
		if _, ok := parseComplex(c.sel); ok != c.ok {
			t.Errorf("parseComplex(%q) ok = %v, want %v", c.sel, ok, c.ok)
		}
	}
}

// TestSelectorDeepNesting: a rule with many descendant combinators over
// deeply nested elements is matched without retrying every combination
// of ancestors (before, this message took hours), and still matches
// where a browser's does.
func TestSelectorDeepNesting(t *testing.T) {
	rule := "span" + strings.Repeat(" div", 12) + " p{display:none}"
	nest := strings.Repeat("<div>", 60)
	got := HTMLToMarkdown("<style>" + rule + "</style>" + nest + "<p>VISIBLE-1</p>")
	if !strings.Contains(got, "VISIBLE-1") {
		t.Errorf("no span ancestor, yet the rule hid the text: %q", got)
	}
	got = HTMLToMarkdown("<style>" + rule + "</style><span>" + nest + "<p>INJECTED-1</p>" + strings.Repeat("</div>", 60) + "</span><p>VISIBLE-2</p>")
	if strings.Contains(got, "INJECTED") || !strings.Contains(got, "VISIBLE-2") {
		t.Errorf("the rule should hide exactly the nested p: %q", got)
	}
}
