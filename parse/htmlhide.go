package parse

import (
	"math"
	"strconv"
	"strings"

	"github.com/tdewolff/parse/v2/css"
	"golang.org/x/net/html"
)

// What a human reader of the rendered mail cannot see must not reach the
// agent: injected instructions hide in display:none class rules, white
// text on a white background, 1px fonts, text pushed off-screen, clipped
// to nothing or scaled to zero. An element whose own style hides it is
// dropped with everything in it; colour and font size are inherited, so
// they are judged at each piece of text (a child that sets a readable
// size or colour again is kept).

// textStyle is the inherited state that decides whether text is visible.
type textStyle struct {
	color  rgba    // text colour
	bg     rgba    // background behind the text (the nearest one set)
	bgKnow bool    // false: a background image or unknown colour
	fontPx float64 // font size in CSS pixels
}

// defaultStyle is a mail client's default: black on white, 16px.
var defaultStyle = textStyle{color: rgba{0, 0, 0, 1}, bg: rgba{255, 255, 255, 1}, bgKnow: true, fontPx: 16}

// invisible reports text no reader can make out in this style.
func (s textStyle) invisible() bool {
	if s.fontPx <= 2 || s.color.a <= 0.05 {
		return true
	}
	return s.bgKnow && nearColor(s.color, s.bg)
}

// elementStyle applies n's declarations to the inherited style, and
// reports whether n itself is hidden (by attribute or CSS).
func elementStyle(n *html.Node, d cssDecls, in textStyle) (textStyle, bool) {
	out := in
	if c := attr(n, "color"); c != "" && strings.EqualFold(n.Data, "font") {
		if col, ok := parseColor(strings.ToLower(c)); ok {
			out.color = col
		}
	}
	if c := attr(n, "bgcolor"); c != "" {
		if col, ok := parseColor(strings.ToLower(c)); ok && col.a > 0.05 {
			out.bg, out.bgKnow = col, true
		}
	}
	if v, ok := d["color"]; ok {
		if col, ok := parseColor(v); ok {
			out.color = col
		}
	}
	if v, ok := d["background-color"]; ok {
		applyBackground(&out, v)
	} else if v, ok := d["background"]; ok {
		applyBackground(&out, v)
	}
	if v, ok := d["font-size"]; ok {
		if px, ok := cssLength(v, in.fontPx); ok {
			out.fontPx = px
		}
	}
	return out, hiddenDecls(d, out.fontPx)
}

// applyBackground sets the background from background(-color): a colour
// (transparent leaves the one behind), an image makes it unknown.
func applyBackground(s *textStyle, v string) {
	if strings.Contains(v, "url(") || strings.Contains(v, "gradient(") {
		s.bgKnow = false
		return
	}
	for _, f := range splitValue(v) {
		if col, ok := parseColor(f); ok {
			if col.a > 0.05 {
				s.bg, s.bgKnow = col, true
			}
			return
		}
	}
}

// hiddenDecls reports CSS that hides an element and all it holds.
func hiddenDecls(d cssDecls, fontPx float64) bool {
	num := func(k string) (float64, bool) {
		v, ok := d[k]
		if !ok {
			return 0, false
		}
		return cssLength(v, fontPx)
	}
	switch {
	case d["display"] == "none", d["visibility"] == "hidden", d["visibility"] == "collapse", d["mso-hide"] == "all", d["content-visibility"] == "hidden":
		return true
	}
	if v, ok := d["opacity"]; ok {
		if f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64); err == nil && (f <= 0.05 || strings.HasSuffix(v, "%") && f <= 5) {
			return true
		}
	}
	if h, ok := num("max-height"); ok && h <= 2 {
		return true
	}
	if d["overflow"] == "hidden" || d["overflow-x"] == "hidden" || d["overflow-y"] == "hidden" {
		for _, k := range []string{"height", "width", "max-width"} {
			if v, ok := num(k); ok && v <= 2 {
				return true
			}
		}
	}
	// Off-screen: positioned far outside the page, or indented out of it.
	offscreen := func(v float64) bool { return v <= -500 || v >= 5000 }
	if p := d["position"]; p == "absolute" || p == "fixed" || p == "relative" {
		for _, k := range []string{"left", "top", "right", "bottom"} {
			if v, ok := num(k); ok && offscreen(v) {
				return true
			}
		}
	}
	for _, k := range []string{"text-indent", "margin-left", "margin-top"} {
		if v, ok := num(k); ok && offscreen(v) {
			return true
		}
	}
	if clippedAway(d["clip"], d["clip-path"]) || scaledAway(d["transform"]) {
		return true
	}
	return false
}

// clippedAway: clip: rect(…) leaving at most 2px either way, or a
// clip-path that leaves nothing (inset of 50% or more, a zero circle).
func clippedAway(clip, path string) bool {
	if strings.HasPrefix(clip, "rect(") {
		var n []float64
		for _, f := range splitValue(strings.TrimSuffix(strings.TrimPrefix(clip, "rect("), ")")) {
			if f == "auto" {
				return false
			}
			v, ok := cssLength(f, 16)
			if !ok {
				return false
			}
			n = append(n, v)
		}
		if len(n) == 4 && (n[1]-n[3] <= 2 || n[2]-n[0] <= 2) {
			return true
		}
	}
	switch {
	case strings.HasPrefix(path, "inset("):
		for _, f := range splitValue(strings.TrimSuffix(strings.TrimPrefix(path, "inset("), ")")) {
			if p, err := strconv.ParseFloat(strings.TrimSuffix(f, "%"), 64); err == nil && strings.HasSuffix(f, "%") && p >= 50 {
				return true
			}
		}
	case strings.HasPrefix(path, "circle("):
		if f := splitValue(strings.TrimPrefix(path, "circle(")); len(f) > 0 {
			if v, ok := cssLength(strings.TrimSuffix(f[0], ")"), 16); ok && v <= 1 {
				return true
			}
		}
	}
	return false
}

// scaledAway: transform: scale(0), scaleX(0), scale(0.01, 1) and the like.
func scaledAway(t string) bool {
	for _, fn := range []string{"scale(", "scalex(", "scaley(", "scale3d("} {
		rest := t
		for {
			i := strings.Index(rest, fn)
			if i < 0 {
				break
			}
			if i > 0 && (rest[i-1] >= 'a' && rest[i-1] <= 'z') {
				rest = rest[i+len(fn):]
				continue
			}
			rest = rest[i+len(fn):]
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				break
			}
			for _, f := range splitValue(rest[:end]) {
				if v, err := strconv.ParseFloat(strings.TrimSuffix(f, "%"), 64); err == nil {
					if strings.HasSuffix(f, "%") {
						v /= 100
					}
					if math.Abs(v) <= 0.05 {
						return true
					}
				}
			}
		}
	}
	return false
}

// splitValue splits a CSS value on spaces and commas.
func splitValue(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' || r == '/' })
}

// cssLength converts a length to CSS pixels (em and % against parentPx,
// rem against 16px); keywords and other units are not lengths.
func cssLength(v string, parentPx float64) (float64, bool) {
	v = strings.TrimSpace(v)
	switch v {
	case "0":
		return 0, true
	case "xx-small":
		return 9, true
	}
	units := []struct {
		suffix string
		factor float64
	}{{"px", 1}, {"pt", 4.0 / 3}, {"rem", 16}, {"em", parentPx}, {"%", parentPx / 100}, {"ex", parentPx / 2}, {"ch", parentPx / 2},
		{"vw", 10}, {"vh", 10}, {"cm", 96 / 2.54}, {"mm", 96 / 25.4}, {"in", 96}, {"pc", 16}}
	for _, u := range units {
		if strings.HasSuffix(v, u.suffix) {
			f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), 64)
			if err != nil {
				return 0, false
			}
			return f * u.factor, true
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	return f, err == nil
}

// rgba is a colour with alpha in [0,1].
type rgba struct{ r, g, b, a float64 }

// nearColor reports text that cannot be told from its background: a
// contrast ratio below 1.25 with every channel within 48 of the other
// (so a saturated colour of similar luminance still counts as visible).
func nearColor(fg, bg rgba) bool {
	if fg.a < 1 { // blend onto the background
		fg = rgba{fg.r*fg.a + bg.r*(1-fg.a), fg.g*fg.a + bg.g*(1-fg.a), fg.b*fg.a + bg.b*(1-fg.a), 1}
	}
	if math.Abs(fg.r-bg.r) > 48 || math.Abs(fg.g-bg.g) > 48 || math.Abs(fg.b-bg.b) > 48 {
		return false
	}
	l1, l2 := luminance(fg), luminance(bg)
	if l1 < l2 {
		l1, l2 = l2, l1
	}
	return (l1+0.05)/(l2+0.05) < 1.25
}

func luminance(c rgba) float64 {
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

// namedColors are the CSS colour names mail uses, and every near-white
// and near-black one (the names that hide text on a page's default).
var namedColors = map[string]rgba{
	"black": {0, 0, 0, 1}, "white": {255, 255, 255, 1}, "red": {255, 0, 0, 1}, "green": {0, 128, 0, 1},
	"blue": {0, 0, 255, 1}, "yellow": {255, 255, 0, 1}, "gray": {128, 128, 128, 1}, "grey": {128, 128, 128, 1},
	"silver": {192, 192, 192, 1}, "navy": {0, 0, 128, 1}, "maroon": {128, 0, 0, 1}, "purple": {128, 0, 128, 1},
	"orange": {255, 165, 0, 1}, "teal": {0, 128, 128, 1}, "lime": {0, 255, 0, 1}, "aqua": {0, 255, 255, 1},
	"fuchsia": {255, 0, 255, 1}, "olive": {128, 128, 0, 1},
	"snow": {255, 250, 250, 1}, "ivory": {255, 255, 240, 1}, "whitesmoke": {245, 245, 245, 1}, "ghostwhite": {248, 248, 255, 1},
	"floralwhite": {255, 250, 240, 1}, "azure": {240, 255, 255, 1}, "mintcream": {245, 255, 250, 1}, "seashell": {255, 245, 238, 1},
	"honeydew": {240, 255, 240, 1}, "aliceblue": {240, 248, 255, 1}, "lavenderblush": {255, 240, 245, 1}, "linen": {250, 240, 230, 1},
	"oldlace": {253, 245, 230, 1}, "beige": {245, 245, 220, 1}, "gainsboro": {220, 220, 220, 1}, "lightgray": {211, 211, 211, 1},
	"lightgrey": {211, 211, 211, 1}, "transparent": {0, 0, 0, 0},
}

// parseColor reads #rgb, #rgba, #rrggbb, #rrggbbaa, rgb(a)(), hsl(a)()
// and the names above.
func parseColor(v string) (rgba, bool) {
	v = strings.TrimSpace(v)
	if c, ok := namedColors[v]; ok {
		return c, true
	}
	if strings.HasPrefix(v, "#") {
		h := v[1:]
		if len(h) == 3 || len(h) == 4 {
			var e strings.Builder
			for _, c := range h {
				e.WriteRune(c)
				e.WriteRune(c)
			}
			h = e.String()
		}
		if len(h) != 6 && len(h) != 8 {
			return rgba{}, false
		}
		n, err := strconv.ParseUint(h, 16, 32)
		if err != nil {
			return rgba{}, false
		}
		if len(h) == 6 {
			return rgba{float64(n >> 16 & 0xff), float64(n >> 8 & 0xff), float64(n & 0xff), 1}, true
		}
		return rgba{float64(n >> 24 & 0xff), float64(n >> 16 & 0xff), float64(n >> 8 & 0xff), float64(n&0xff) / 255}, true
	}
	fn, args, ok := strings.Cut(v, "(")
	if !ok || !strings.HasSuffix(args, ")") {
		return rgba{}, false
	}
	f := splitValue(strings.TrimSuffix(args, ")"))
	if len(f) < 3 {
		return rgba{}, false
	}
	comp := func(s string, scale float64) (float64, bool) {
		pct := strings.HasSuffix(s, "%")
		x, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(s, "%"), "deg"), 64)
		if err != nil {
			return 0, false
		}
		if pct {
			x = x / 100 * scale
		}
		return x, true
	}
	alpha := 1.0
	if len(f) >= 4 {
		a, ok := comp(f[3], 1)
		if !ok {
			return rgba{}, false
		}
		alpha = math.Max(0, math.Min(1, a))
	}
	switch fn {
	case "rgb", "rgba":
		r, ok1 := comp(f[0], 255)
		g, ok2 := comp(f[1], 255)
		b, ok3 := comp(f[2], 255)
		if !ok1 || !ok2 || !ok3 {
			return rgba{}, false
		}
		return rgba{r, g, b, alpha}, true
	case "hsl", "hsla":
		h, ok1 := comp(f[0], 360)
		s, ok2 := comp(f[1], 1)
		l, ok3 := comp(f[2], 1)
		if !ok1 || !ok2 || !ok3 {
			return rgba{}, false
		}
		if !strings.HasSuffix(f[1], "%") {
			s /= 100
		}
		if !strings.HasSuffix(f[2], "%") {
			l /= 100
		}
		r, g, b := css.HSL2RGB(math.Mod(h, 360)/360, s, l)
		return rgba{r * 255, g * 255, b * 255, alpha}, true
	}
	return rgba{}, false
}
