package parse

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// parseMediaType parses a Content-Type or Content-Disposition value
// tolerantly (RFC 2045 §5.1, RFC 2183, RFC 2231). Unlike mime.ParseMediaType
// it never drops all parameters because one is malformed, accepts
// duplicates (first wins), and decodes RFC 2231 values in any charset.
// Keys are lower-cased; values are decoded UTF-8.
func parseMediaType(v string) (mt string, params map[string]string) {
	v = strings.TrimSpace(v)
	i := strings.IndexByte(v, ';')
	if i < 0 {
		i = len(v)
	}
	mt = strings.ToLower(strings.TrimSpace(v[:i]))
	// Some mailers write "text/plain charset=utf-8" without ';'.
	if sp := strings.IndexAny(mt, " \t"); sp >= 0 && strings.Contains(mt[sp:], "=") {
		rest := v[sp:]
		mt = strings.TrimSpace(mt[:sp])
		v = mt + ";" + rest
		i = len(mt)
	}
	if c := strings.IndexByte(mt, '('); c >= 0 { // RFC 5322 comment
		mt = strings.TrimSpace(mt[:c])
	}
	params = map[string]string{}
	type cont struct {
		n       int
		val     string
		encoded bool
	}
	conts := map[string][]cont{}
	for _, kv := range splitParams(v[i:]) {
		eq := strings.IndexByte(kv, '=')
		if eq <= 0 {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(kv[:eq]))
		val := strings.TrimSpace(kv[eq+1:])
		if len(val) >= 2 && val[0] == '"' {
			val = unquote(val)
		}
		// RFC 2231 §3 (continuations) and §4 (charset'lang'%XX).
		if star := strings.IndexByte(key, '*'); star >= 0 {
			base, suffix := key[:star], key[star+1:]
			encoded := strings.HasSuffix(suffix, "*") || suffix == ""
			suffix = strings.TrimSuffix(suffix, "*")
			n := 0
			if suffix != "" {
				var err error
				if n, err = strconv.Atoi(suffix); err != nil {
					continue
				}
			}
			conts[base] = append(conts[base], cont{n, val, encoded})
			continue
		}
		if _, dup := params[key]; !dup {
			params[key] = val
		}
	}
	for base, cs := range conts {
		sort.SliceStable(cs, func(a, b int) bool { return cs[a].n < cs[b].n })
		var raw []byte
		charset := ""
		for k, c := range cs {
			val := c.val
			if c.encoded {
				if k == 0 {
					// charset'language'value
					if p := strings.SplitN(val, "'", 3); len(p) == 3 {
						charset, val = p[0], p[2]
					}
				}
				if u, err := url.PathUnescape(val); err == nil {
					val = u
				} else {
					val = pctDecodeLenient(val)
				}
			}
			raw = append(raw, val...)
		}
		s, _ := decodeCharset(raw, charset)
		// The RFC 2231 form wins over a plain duplicate.
		params[base] = s
	}
	return mt, params
}

// splitParams splits ";"-separated parameters, respecting quoted strings.
func splitParams(s string) []string {
	var out []string
	var cur strings.Builder
	inQ, esc := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case inQ && c == '\\':
			esc = true
		case c == '"':
			inQ = !inQ
		case c == ';' && !inQ:
			if t := strings.TrimSpace(cur.String()); t != "" {
				out = append(out, t)
			}
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	if t := strings.TrimSpace(cur.String()); t != "" {
		out = append(out, t)
	}
	return out
}

// unquote removes RFC 5322 quoting; an unterminated quote keeps the rest.
func unquote(s string) string {
	s = s[1:]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			b.WriteByte(s[i])
			continue
		}
		if c == '"' {
			break
		}
		b.WriteByte(c)
	}
	return b.String()
}

func pctDecodeLenient(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}
