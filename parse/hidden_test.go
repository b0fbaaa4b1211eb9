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
		{"hidden-css-properties.eml", []string{"VISIBLE-1", "VISIBLE-2", "VISIBLE-3", "VISIBLE-4"}},
		{"hidden-plain-alternative.eml", []string{"VISIBLE-1", "account page"}},
		{"hidden-deep-nesting.eml", []string{"nested too deeply"}},
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
