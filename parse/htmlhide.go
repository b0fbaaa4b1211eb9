package parse

import (
	"math"
	"slices"
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
	// WebKit and Blink (Apple Mail, Gmail on the web) paint text with
	// -webkit-text-fill-color when it is set, whatever color says.
	for _, k := range []string{"color", "-webkit-text-fill-color"} {
		if v, ok := d[k]; ok {
			if col, ok := parseColor(v); ok {
				out.color = col
			}
		}
	}
	if v, ok := d["background-color"]; ok {
		applyBackground(&out, v)
	} else if v, ok := d["background"]; ok {
		applyBackground(&out, v)
	}
	if v, ok := d["font"]; ok {
		if px, ok := fontShorthandSize(v, in.fontPx); ok {
			out.fontPx = px
		}
	}
	if v, ok := d["font-size"]; ok {
		if px, ok := cssLength(v, in.fontPx); ok {
			out.fontPx = px
		}
	}
	return out, hiddenDecls(d, out.fontPx)
}

// fontShorthandSize finds the size in a font shorthand ("bold 0/0 a",
// "12px/1.5 Arial"): the first token with a unit (or a bare 0) before any
// "/line-height"; a bare number is a weight, not a size.
func fontShorthandSize(v string, parentPx float64) (float64, bool) {
	for _, f := range strings.Fields(v) {
		f, _, _ = strings.Cut(f, "/")
		if f == "" {
			continue
		}
		if _, err := strconv.ParseFloat(f, 64); err == nil && f != "0" {
			continue
		}
		if px, ok := cssLength(f, parentPx); ok {
			return px, true
		}
	}
	return 0, false
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
	if v, ok := d["opacity"]; ok && nearZero(v) {
		return true
	}
	// zoom: 0 (or 1%) shrinks the element to nothing, like opacity: 0
	// and filter: opacity(0) make it transparent.
	if v, ok := d["zoom"]; ok && nearZero(v) {
		return true
	}
	if fnArgs(d["filter"], "opacity(", func(a []string) bool { return len(a) > 0 && nearZero(a[0]) }) {
		return true
	}
	if h, ok := num("max-height"); ok && h <= 2 {
		return true
	}
	clips := func(v string) bool { return v == "hidden" || v == "clip" }
	if clips(d["overflow"]) || clips(d["overflow-x"]) || clips(d["overflow-y"]) {
		for _, k := range []string{"height", "width", "max-width"} {
			if v, ok := num(k); ok && v <= 2 {
				return true
			}
		}
	}
	// Off-screen: positioned far outside the page, indented or moved out
	// of it. A percentage is of the page or the box: 100% is all of it.
	offscreen := func(v string) bool {
		if p, ok := strings.CutSuffix(v, "%"); ok {
			f, err := strconv.ParseFloat(p, 64)
			return err == nil && (f <= -100 || f >= 100)
		}
		px, ok := cssLength(v, fontPx)
		return ok && (px <= -500 || px >= 5000)
	}
	if p := d["position"]; p == "absolute" || p == "fixed" || p == "relative" {
		for _, k := range []string{"left", "top", "right", "bottom", "inset"} {
			vals := splitValue(d[k])
			if strings.Contains(d[k], "(") { // one computed value: calc(), max()
				vals = []string{d[k]}
			}
			for _, f := range vals {
				if offscreen(f) {
					return true
				}
			}
		}
		// A box placed left of or above the page by at least its size.
		for _, k := range [][2]string{{"left", "width"}, {"top", "height"}} {
			at, ok1 := num(k[0])
			size, ok2 := num(k[1])
			if ok1 && ok2 && at < 0 && at+size <= 0 {
				return true
			}
		}
	}
	for _, k := range []string{"text-indent", "margin-left", "margin-top"} {
		if offscreen(d[k]) {
			return true
		}
	}
	// margin: top [right [bottom [left]]]: the top, and the left (the
	// fourth value, or the second when there are two or three).
	if m := splitValue(d["margin"]); len(m) > 0 {
		left := m[len(m)-1]
		if len(m) < 4 {
			left = m[min(1, len(m)-1)]
		}
		neg := func(v string) bool { return strings.HasPrefix(v, "-") && offscreen(v) }
		if neg(m[0]) || neg(left) {
			return true
		}
	}
	for _, fn := range []string{"translate(", "translatex(", "translatey(", "translate3d("} {
		if fnArgs(d["transform"], fn, func(a []string) bool { return slices.ContainsFunc(a, offscreen) }) {
			return true
		}
	}
	if v, ok := d["translate"]; ok && slices.ContainsFunc(splitValue(v), offscreen) {
		return true
	}
	// Glyphs pulled onto each other by a negative letter-spacing of half
	// their size or more cannot be read.
	if v, ok := num("letter-spacing"); ok && v <= -fontPx/2 {
		return true
	}
	if clippedAway(d["clip"], d["clip-path"]) || scaledAway(d["transform"]) {
		return true
	}
	return false
}

// nearZero reports a number or percentage of at most 5%: an opacity or
// zoom that leaves nothing to see.
func nearZero(v string) bool {
	p, pct := strings.CutSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
	if err != nil {
		return false
	}
	if pct {
		f /= 100
	}
	return f <= 0.05
}

// fnArgs reports whether some call of fn in v (a filter or transform
// list, "opacity(" or "translatex(") has arguments for which test is true.
func fnArgs(v, fn string, test func([]string) bool) bool {
	for rest := v; ; {
		i := strings.Index(rest, fn)
		if i < 0 {
			return false
		}
		before := rest[:i]
		rest = rest[i+len(fn):]
		if i > 0 && (before[i-1] >= 'a' && before[i-1] <= 'z' || before[i-1] == '-') {
			continue
		}
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return false
		}
		if test(splitValue(rest[:end])) {
			return true
		}
	}
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
	case strings.HasPrefix(path, "polygon("):
		return polygonEmpty(strings.TrimSuffix(strings.TrimPrefix(path, "polygon("), ")"))
	case strings.HasPrefix(path, "circle("):
		if f := splitValue(strings.TrimPrefix(path, "circle(")); len(f) > 0 {
			if v, ok := cssLength(strings.TrimSuffix(f[0], ")"), 16); ok && v <= 1 {
				return true
			}
		}
	}
	return false
}

// polygonEmpty reports a clip-path polygon enclosing (almost) no area:
// its points' coordinates (in px or %, taken as read) give a shoelace
// area of at most 2.
func polygonEmpty(pts string) bool {
	var xs, ys []float64
	for _, p := range strings.Split(pts, ",") {
		f := strings.Fields(p)
		if len(f) != 2 {
			return false
		}
		x, ok1 := cssLength(strings.TrimSuffix(f[0], "%")+"px", 16)
		y, ok2 := cssLength(strings.TrimSuffix(f[1], "%")+"px", 16)
		if !ok1 || !ok2 {
			return false
		}
		xs, ys = append(xs, x), append(ys, y)
	}
	if len(xs) < 3 {
		return len(xs) > 0
	}
	a := 0.0
	for i := range xs {
		j := (i + 1) % len(xs)
		a += xs[i]*ys[j] - xs[j]*ys[i]
	}
	return math.Abs(a)/2 <= 2
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
// rem against 16px), evaluating calc(), min(), max() and clamp();
// keywords and other units are not lengths.
func cssLength(v string, parentPx float64) (float64, bool) {
	v = strings.TrimSpace(v)
	if strings.HasSuffix(v, ")") {
		return cssMath(v, parentPx)
	}
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

// namedColors are the CSS named colours (CSS Color 4 §6.1), all of
// them: a name missing here would leave text in that colour judged by
// its parent's, so "lavender" on white would pass for black.
var namedColors = map[string]rgba{
	"aliceblue": {240, 248, 255, 1}, "antiquewhite": {250, 235, 215, 1}, "aqua": {0, 255, 255, 1},
	"aquamarine": {127, 255, 212, 1}, "azure": {240, 255, 255, 1}, "beige": {245, 245, 220, 1},
	"bisque": {255, 228, 196, 1}, "black": {0, 0, 0, 1}, "blanchedalmond": {255, 235, 205, 1},
	"blue": {0, 0, 255, 1}, "blueviolet": {138, 43, 226, 1}, "brown": {165, 42, 42, 1},
	"burlywood": {222, 184, 135, 1}, "cadetblue": {95, 158, 160, 1}, "chartreuse": {127, 255, 0, 1},
	"chocolate": {210, 105, 30, 1}, "coral": {255, 127, 80, 1}, "cornflowerblue": {100, 149, 237, 1},
	"cornsilk": {255, 248, 220, 1}, "crimson": {220, 20, 60, 1}, "cyan": {0, 255, 255, 1},
	"darkblue": {0, 0, 139, 1}, "darkcyan": {0, 139, 139, 1}, "darkgoldenrod": {184, 134, 11, 1},
	"darkgray": {169, 169, 169, 1}, "darkgreen": {0, 100, 0, 1}, "darkgrey": {169, 169, 169, 1},
	"darkkhaki": {189, 183, 107, 1}, "darkmagenta": {139, 0, 139, 1}, "darkolivegreen": {85, 107, 47, 1},
	"darkorange": {255, 140, 0, 1}, "darkorchid": {153, 50, 204, 1}, "darkred": {139, 0, 0, 1},
	"darksalmon": {233, 150, 122, 1}, "darkseagreen": {143, 188, 143, 1}, "darkslateblue": {72, 61, 139, 1},
	"darkslategray": {47, 79, 79, 1}, "darkslategrey": {47, 79, 79, 1}, "darkturquoise": {0, 206, 209, 1},
	"darkviolet": {148, 0, 211, 1}, "deeppink": {255, 20, 147, 1}, "deepskyblue": {0, 191, 255, 1},
	"dimgray": {105, 105, 105, 1}, "dimgrey": {105, 105, 105, 1}, "dodgerblue": {30, 144, 255, 1},
	"firebrick": {178, 34, 34, 1}, "floralwhite": {255, 250, 240, 1}, "forestgreen": {34, 139, 34, 1},
	"fuchsia": {255, 0, 255, 1}, "gainsboro": {220, 220, 220, 1}, "ghostwhite": {248, 248, 255, 1},
	"gold": {255, 215, 0, 1}, "goldenrod": {218, 165, 32, 1}, "gray": {128, 128, 128, 1},
	"green": {0, 128, 0, 1}, "greenyellow": {173, 255, 47, 1}, "grey": {128, 128, 128, 1},
	"honeydew": {240, 255, 240, 1}, "hotpink": {255, 105, 180, 1}, "indianred": {205, 92, 92, 1},
	"indigo": {75, 0, 130, 1}, "ivory": {255, 255, 240, 1}, "khaki": {240, 230, 140, 1},
	"lavender": {230, 230, 250, 1}, "lavenderblush": {255, 240, 245, 1}, "lawngreen": {124, 252, 0, 1},
	"lemonchiffon": {255, 250, 205, 1}, "lightblue": {173, 216, 230, 1}, "lightcoral": {240, 128, 128, 1},
	"lightcyan": {224, 255, 255, 1}, "lightgoldenrodyellow": {250, 250, 210, 1},
	"lightgray": {211, 211, 211, 1}, "lightgreen": {144, 238, 144, 1}, "lightgrey": {211, 211, 211, 1},
	"lightpink": {255, 182, 193, 1}, "lightsalmon": {255, 160, 122, 1}, "lightseagreen": {32, 178, 170, 1},
	"lightskyblue": {135, 206, 250, 1}, "lightslategray": {119, 136, 153, 1},
	"lightslategrey": {119, 136, 153, 1}, "lightsteelblue": {176, 196, 222, 1},
	"lightyellow": {255, 255, 224, 1}, "lime": {0, 255, 0, 1}, "limegreen": {50, 205, 50, 1},
	"linen": {250, 240, 230, 1}, "magenta": {255, 0, 255, 1}, "maroon": {128, 0, 0, 1},
	"mediumaquamarine": {102, 205, 170, 1}, "mediumblue": {0, 0, 205, 1}, "mediumorchid": {186, 85, 211, 1},
	"mediumpurple": {147, 112, 219, 1}, "mediumseagreen": {60, 179, 113, 1},
	"mediumslateblue": {123, 104, 238, 1}, "mediumspringgreen": {0, 250, 154, 1},
	"mediumturquoise": {72, 209, 204, 1}, "mediumvioletred": {199, 21, 133, 1},
	"midnightblue": {25, 25, 112, 1}, "mintcream": {245, 255, 250, 1}, "mistyrose": {255, 228, 225, 1},
	"moccasin": {255, 228, 181, 1}, "navajowhite": {255, 222, 173, 1}, "navy": {0, 0, 128, 1},
	"oldlace": {253, 245, 230, 1}, "olive": {128, 128, 0, 1}, "olivedrab": {107, 142, 35, 1},
	"orange": {255, 165, 0, 1}, "orangered": {255, 69, 0, 1}, "orchid": {218, 112, 214, 1},
	"palegoldenrod": {238, 232, 170, 1}, "palegreen": {152, 251, 152, 1}, "paleturquoise": {175, 238, 238, 1},
	"palevioletred": {219, 112, 147, 1}, "papayawhip": {255, 239, 213, 1}, "peachpuff": {255, 218, 185, 1},
	"peru": {205, 133, 63, 1}, "pink": {255, 192, 203, 1}, "plum": {221, 160, 221, 1},
	"powderblue": {176, 224, 230, 1}, "purple": {128, 0, 128, 1}, "rebeccapurple": {102, 51, 153, 1},
	"red": {255, 0, 0, 1}, "rosybrown": {188, 143, 143, 1}, "royalblue": {65, 105, 225, 1},
	"saddlebrown": {139, 69, 19, 1}, "salmon": {250, 128, 114, 1}, "sandybrown": {244, 164, 96, 1},
	"seagreen": {46, 139, 87, 1}, "seashell": {255, 245, 238, 1}, "sienna": {160, 82, 45, 1},
	"silver": {192, 192, 192, 1}, "skyblue": {135, 206, 235, 1}, "slateblue": {106, 90, 205, 1},
	"slategray": {112, 128, 144, 1}, "slategrey": {112, 128, 144, 1}, "snow": {255, 250, 250, 1},
	"springgreen": {0, 255, 127, 1}, "steelblue": {70, 130, 180, 1}, "tan": {210, 180, 140, 1},
	"teal": {0, 128, 128, 1}, "thistle": {216, 191, 216, 1}, "tomato": {255, 99, 71, 1},
	"turquoise": {64, 224, 208, 1}, "violet": {238, 130, 238, 1}, "wheat": {245, 222, 179, 1},
	"white": {255, 255, 255, 1}, "whitesmoke": {245, 245, 245, 1}, "yellow": {255, 255, 0, 1},
	"yellowgreen": {154, 205, 50, 1}, "transparent": {0, 0, 0, 0},
}

// parseColor reads #rgb, #rgba, #rrggbb, #rrggbbaa, rgb(a)(), hsl(a)(),
// hwb(), oklab(), oklch(), color(srgb …) and the names above (not yet
// lab() and lch()).
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
	if fn == "color" { // color(srgb r g b [/ a]), and the wide gamuts near it
		if len(f) < 4 || f[0] != "srgb" && f[0] != "display-p3" && f[0] != "a98-rgb" && f[0] != "rec2020" {
			return rgba{}, false
		}
		f = f[1:]
		for i := 0; i < 3; i++ {
			if !strings.HasSuffix(f[i], "%") {
				x, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					return rgba{}, false
				}
				f[i] = strconv.FormatFloat(x*100, 'f', -1, 64) + "%"
			}
		}
		fn = "rgb"
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
	case "oklab", "oklch": // CSS Color 4 §9
		l, ok1 := comp(f[0], 1)
		x, ok2 := comp(f[1], 0.4)
		y, ok3 := comp(f[2], 0.4)
		if !ok1 || !ok2 || !ok3 {
			return rgba{}, false
		}
		if fn == "oklch" {
			if strings.HasSuffix(f[2], "%") {
				y = y / 0.4 * 360 // a hue is never a percentage; read it as one of 360
			}
			h := y * math.Pi / 180
			x, y = x*math.Cos(h), x*math.Sin(h)
		}
		r, g, b := oklabToSRGB(l, x, y)
		return rgba{r, g, b, alpha}, true
	case "hwb": // hue, whiteness, blackness (CSS Color 4 §8)
		h, ok1 := comp(f[0], 360)
		w, ok2 := comp(f[1], 1)
		k, ok3 := comp(f[2], 1)
		if !ok1 || !ok2 || !ok3 {
			return rgba{}, false
		}
		if w+k >= 1 {
			g := w / (w + k) * 255
			return rgba{g, g, g, alpha}, true
		}
		r, g, b := css.HSL2RGB(math.Mod(h, 360)/360, 1, 0.5)
		mix := func(c float64) float64 { return (c*(1-w-k) + w) * 255 }
		return rgba{mix(r), mix(g), mix(b), alpha}, true
	}
	return rgba{}, false
}

// oklabToSRGB converts OKLab to sRGB channels in [0,255] (Björn
// Ottosson's matrices, as CSS Color 4 §9.2 uses them).
func oklabToSRGB(l, a, b float64) (float64, float64, float64) {
	l1 := math.Pow(l+0.3963377774*a+0.2158037573*b, 3)
	m1 := math.Pow(l-0.1055613458*a-0.0638541728*b, 3)
	s1 := math.Pow(l-0.0894841775*a-1.2914855480*b, 3)
	enc := func(c float64) float64 {
		c = math.Max(0, math.Min(1, c))
		if c <= 0.0031308 {
			return 12.92 * c * 255
		}
		return (1.055*math.Pow(c, 1/2.4) - 0.055) * 255
	}
	return enc(4.0767416621*l1 - 3.3077115913*m1 + 0.2309699292*s1),
		enc(-1.2684380046*l1 + 2.6097574011*m1 - 0.3413193965*s1),
		enc(-0.0041960863*l1 - 0.7034186147*m1 + 1.7076147010*s1)
}
