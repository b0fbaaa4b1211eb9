package parse

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxHTMLNodes bounds the DOM walked; deeper or larger documents are cut.
const maxHTMLNodes = 200000

var (
	convOnce sync.Once
	conv     *converter.Converter
)

func mdConverter() *converter.Converter {
	convOnce.Do(func() {
		conv = converter.NewConverter(converter.WithPlugins(
			base.NewBasePlugin(),
			commonmark.NewCommonmarkPlugin(
				commonmark.WithLinkEmptyContentBehavior(commonmark.LinkBehaviorSkip),
				commonmark.WithLinkEmptyHrefBehavior(commonmark.LinkBehaviorSkip),
			),
			strikethrough.NewStrikethroughPlugin(),
			table.NewTablePlugin(table.WithSkipEmptyRows(true)),
		))
	})
	return conv
}

// HTMLToMarkdown converts an HTML mail body to readable Markdown: the DOM
// is first cleaned (scripts, styles, hidden elements, tracking pixels and
// spacer images removed; layout tables flattened), then converted with
// html-to-markdown (headings, lists, data tables, links with targets,
// quotes). The result is sanitised, valid UTF-8.
func HTMLToMarkdown(src string) string {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		// The only error left after reading a string is nesting deeper
		// than the parser's 512 open elements. The raw source would
		// show everything the markup hides, so show none of it.
		return unparsableHTML
	}
	budget := maxHTMLNodes
	var sheet stylesheet
	collectStyles(doc, &sheet, &budget)
	budget = maxHTMLNodes
	cleanNode(doc, &budget, &sheet, defaultStyle)
	out, err := mdConverter().ConvertNode(doc)
	if err != nil {
		// Fall back to the visible text of the cleaned DOM.
		var b strings.Builder
		textOf(doc, &b)
		return SanitizeText(collapseBlankLines(b.String()))
	}
	return tidyMarkdown(SanitizeText(string(out)))
}

// unparsableHTML stands in for an HTML body the parser refuses (nested
// deeper than it accepts, which no real mail is): its text cannot be told
// visible from hidden.
const unparsableHTML = "[This HTML body is nested too deeply to be shown safely; its text is withheld.]"

var dropElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Head: true, atom.Noscript: true,
	atom.Template: true, atom.Iframe: true, atom.Object: true, atom.Embed: true,
	atom.Applet: true, atom.Frame: true, atom.Frameset: true, atom.Meta: true,
	atom.Link: true, atom.Base: true, atom.Svg: true, atom.Math: true,
	atom.Canvas: true, atom.Audio: true, atom.Video: true, atom.Source: true,
	atom.Track: true, atom.Input: true, atom.Button: true, atom.Select: true,
	atom.Textarea: true, atom.Map: true, atom.Area: true, atom.Title: true,
	// Hidden by every browser's default style sheet: a datalist's options,
	// ruby fallback parentheses, noframes content.
	atom.Datalist: true, atom.Rp: true, atom.Noframes: true,
}

// cleanNode removes what a reader of the rendered mail would not see, and
// what only exists to track them. in is the style n's children inherit.
func cleanNode(n *html.Node, budget *int, sheet *stylesheet, in textStyle) {
	// Removals wait until every child is seen: selectors such as
	// :first-child or h2 + p match the mail's DOM, not one we have
	// already pruned.
	var drop, imgs []*html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		*budget--
		if *budget < 0 {
			drop = append(drop, c)
			continue
		}
		switch c.Type {
		case html.CommentNode, html.DoctypeNode:
			drop = append(drop, c)
		case html.TextNode:
			if in.invisible() && strings.TrimSpace(c.Data) != "" {
				drop = append(drop, c)
			}
		case html.ElementNode:
			if dropElements[c.DataAtom] || hiddenAttr(c) || c.DataAtom == atom.Dialog && !hasAttr(c, "open") {
				drop = append(drop, c)
				break
			}
			st, hidden := elementStyle(c, sheet.declsFor(c), in)
			if hidden {
				drop = append(drop, c)
				break
			}
			if c.DataAtom == atom.Img {
				imgs = append(imgs, c)
				break
			}
			if c.DataAtom == atom.A {
				// A title is a tooltip, seen only by hovering: not text.
				removeAttr(c, "title")
				if href := strings.TrimSpace(attr(c, "href")); strings.HasPrefix(strings.ToLower(href), "javascript:") || strings.HasPrefix(strings.ToLower(href), "data:") {
					setAttr(c, "href", "")
				}
			}
			if c.DataAtom == atom.Table && isLayoutTable(c) {
				setAttr(c, "role", "presentation")
			}
			cleanNode(c, budget, sheet, st)
		}
	}
	for _, c := range drop {
		n.RemoveChild(c)
	}
	for _, c := range imgs {
		replaceImage(n, c)
	}
}

var cssSize = regexp.MustCompile(`(?i)(?:^|[;\s])(width|height)\s*:\s*([0-9.]+)\s*(px)?`)

// hiddenAttr reports elements hidden by attribute: hidden, aria-hidden.
// What CSS hides (inline or in <style> rules) is elementStyle's.
func hiddenAttr(n *html.Node) bool {
	for _, a := range n.Attr {
		switch strings.ToLower(a.Key) {
		case "hidden":
			return true
		case "aria-hidden":
			if strings.EqualFold(strings.TrimSpace(a.Val), "true") {
				return true
			}
		}
	}
	return false
}

var trackerHints = []string{
	"spacer", "blank.gif", "clear.gif", "pixel.gif", "transparent.gif", "1x1", "/open?", "/open.", "/o.gif",
	"track", "beacon", "/wf/open", "emimp/", "/e/o/", "openrate",
}

// replaceImage drops tracking pixels and spacers and turns other images
// into a short "[image: alt]" marker (image URLs are noise to an agent).
func replaceImage(parent, img *html.Node) {
	w, h := imgDim(img, "width"), imgDim(img, "height")
	src := strings.ToLower(attr(img, "src"))
	alt := collapseSpace(attr(img, "alt"))
	tiny := (w >= 0 && w <= 3) || (h >= 0 && h <= 3)
	tracker := false
	for _, t := range trackerHints {
		if strings.Contains(src, t) {
			tracker = true
			break
		}
	}
	if tiny || (tracker && alt == "") || alt == "" {
		parent.RemoveChild(img)
		return
	}
	txt := &html.Node{Type: html.TextNode, Data: imageLabel(alt)}
	parent.InsertBefore(txt, img)
	parent.RemoveChild(img)
}

// maxAltChars bounds the alt text kept for an image: a label, not a place
// for a sender to put paragraphs the reader never sees.
const maxAltChars = 60

// imageLabel is what an image becomes: "[image: alt]" with a short alt
// (brackets removed, so it cannot close the label and pose as body text),
// or "[image]" when the alt is longer than a label.
func imageLabel(alt string) string {
	alt = strings.TrimSpace(strings.Map(func(r rune) rune {
		switch r {
		case '[', ']', '<', '>', '\n', '\r':
			return ' '
		}
		return r
	}, alt))
	alt = collapseSpace(alt)
	if alt == "" || utf8.RuneCountInString(alt) > maxAltChars {
		return "[image]"
	}
	return "[image: " + alt + "]"
}

// imgDim returns a declared pixel size (attribute or inline style), or -1.
func imgDim(n *html.Node, which string) int {
	if v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(attr(n, which)), "px")); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return int(f)
		}
	}
	for _, m := range cssSize.FindAllStringSubmatch(attr(n, "style"), -1) {
		if strings.EqualFold(m[1], which) {
			if f, err := strconv.ParseFloat(m[2], 64); err == nil {
				return int(f)
			}
		}
	}
	return -1
}

// isLayoutTable tells layout tables (most HTML mail) from data tables: a
// data table has header cells or at least two columns of plain cells and
// no nested tables or block content.
func isLayoutTable(t *html.Node) bool {
	if strings.EqualFold(attr(t, "role"), "presentation") {
		return true
	}
	hasTH, nested, blocks := false, false, false
	maxCols, rows := 0, 0
	var visit func(n *html.Node, depth int)
	visit = func(n *html.Node, depth int) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			switch c.DataAtom {
			case atom.Table:
				nested = true
				continue
			case atom.Th:
				hasTH = true
			case atom.Tr:
				rows++
				cols := 0
				for d := c.FirstChild; d != nil; d = d.NextSibling {
					if d.DataAtom == atom.Td || d.DataAtom == atom.Th {
						cols++
					}
				}
				if cols > maxCols {
					maxCols = cols
				}
			case atom.Div, atom.P, atom.H1, atom.H2, atom.H3, atom.Ul, atom.Ol, atom.Blockquote, atom.Img:
				blocks = true
			}
			visit(c, depth+1)
		}
	}
	visit(t, 0)
	if nested {
		return true
	}
	if hasTH {
		return false
	}
	return maxCols < 2 || rows < 2 || blocks
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	_, ok := attrOK(n, key)
	return ok
}

func removeAttr(n *html.Node, key string) {
	n.Attr = slices.DeleteFunc(n.Attr, func(a html.Attribute) bool { return strings.EqualFold(a.Key, key) })
}

func setAttr(n *html.Node, key, val string) {
	for i, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, html.Attribute{Key: key, Val: val})
}

func textOf(n *html.Node, b *strings.Builder) {
	if n.Type == html.TextNode {
		b.WriteString(n.Data)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		textOf(c, b)
		if c.Type == html.ElementNode && (c.DataAtom == atom.P || c.DataAtom == atom.Br || c.DataAtom == atom.Div || c.DataAtom == atom.Tr) {
			b.WriteByte('\n')
		}
	}
}

var (
	blankRun   = regexp.MustCompile(`\n{3,}`)
	nbspOnly   = regexp.MustCompile(`(?m)^[ \t\x{00A0}\x{2007}\x{202F}]+$`)
	trailingWS = regexp.MustCompile(`(?m)[ \t]+$`)
)

// tidyMarkdown removes the whitespace debris layout HTML leaves behind.
func tidyMarkdown(s string) string {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	s = nbspOnly.ReplaceAllString(s, "")
	s = trailingWS.ReplaceAllString(s, "")
	s = blankRun.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}

func collapseBlankLines(s string) string {
	return blankRun.ReplaceAllString(s, "\n\n")
}
