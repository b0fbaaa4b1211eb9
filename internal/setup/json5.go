package setup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// jsonObject is a JSON object that keeps its keys in order, so a config
// file we merge into is rewritten with its other settings where they were.
type jsonObject struct {
	keys []string
	vals map[string]any
}

func newObject() *jsonObject { return &jsonObject{vals: map[string]any{}} }

func (o *jsonObject) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// object returns the object under k, creating it when absent. It fails
// when k holds something else, rather than overwrite the user's data.
func (o *jsonObject) object(k string) (*jsonObject, error) {
	v, ok := o.vals[k]
	if !ok || v == nil {
		c := newObject()
		o.set(k, c)
		return c, nil
	}
	c, ok := v.(*jsonObject)
	if !ok {
		return nil, fmt.Errorf("%q is not an object", k)
	}
	return c, nil
}

// parseJSON5 reads JSON or JSON5 (comments, trailing commas, unquoted keys,
// single-quoted strings, hex and signed numbers) into ordered values.
// Comments do not survive a rewrite; callers keep a backup.
func parseJSON5(src []byte) (any, error) {
	plain, err := JSON5ToJSON(src)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the top-level value")
	}
	return v, nil
}

func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObject()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				o.set(kt.(string), v)
			}
			_, err := dec.Token()
			return o, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return tok, nil
	}
}

// marshalOrdered writes v as indented JSON, objects in key order.
func marshalOrdered(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := writeOrdered(&b, v, ""); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func writeOrdered(b *bytes.Buffer, v any, indent string) error {
	in := indent + "  "
	switch t := v.(type) {
	case *jsonObject:
		if len(t.keys) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteString("{\n")
		for i, k := range t.keys {
			kb, _ := json.Marshal(k)
			b.WriteString(in)
			b.Write(kb)
			b.WriteString(": ")
			if err := writeOrdered(b, t.vals[k], in); err != nil {
				return err
			}
			if i < len(t.keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case []any:
		if len(t) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteString("[\n")
		for i, e := range t {
			b.WriteString(in)
			if err := writeOrdered(b, e, in); err != nil {
				return err
			}
			if i < len(t)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	case []string:
		arr := make([]any, len(t))
		for i, s := range t {
			arr[i] = s
		}
		return writeOrdered(b, arr, indent)
	default:
		enc, err := json.Marshal(t)
		if err != nil {
			return err
		}
		b.Write(enc)
	}
	return nil
}

// JSON5ToJSON rewrites JSON5 text as strict JSON.
func JSON5ToJSON(src []byte) ([]byte, error) {
	var out bytes.Buffer
	s := string(src)
	line := 1
	fail := func(format string, a ...any) error {
		return fmt.Errorf("line %d: %s", line, fmt.Sprintf(format, a...))
	}
	// skip returns the index of the next significant character after i.
	skip := func(i int) (int, error) {
		for i < len(s) {
			switch {
			case s[i] == '\n':
				line++
				i++
			case s[i] == ' ' || s[i] == '\t' || s[i] == '\r':
				i++
			case strings.HasPrefix(s[i:], "\xef\xbb\xbf"):
				i += 3
			case strings.HasPrefix(s[i:], "//"):
				for i < len(s) && s[i] != '\n' {
					i++
				}
			case strings.HasPrefix(s[i:], "/*"):
				end := strings.Index(s[i+2:], "*/")
				if end < 0 {
					return i, fail("unterminated comment")
				}
				line += strings.Count(s[i:i+2+end], "\n")
				i += end + 4
			default:
				return i, nil
			}
		}
		return i, nil
	}
	i := 0
	for {
		var err error
		if i, err = skip(i); err != nil {
			return nil, err
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		switch {
		case c == '"' || c == '\'':
			str, n, err := readJSON5String(s[i:])
			if err != nil {
				return nil, fail("%v", err)
			}
			line += strings.Count(s[i:i+n], "\n")
			enc, _ := json.Marshal(str)
			out.Write(enc)
			i += n
		case c == ',':
			j, err := skip(i + 1)
			if err != nil {
				return nil, err
			}
			if j < len(s) && (s[j] == '}' || s[j] == ']') {
				i = j // trailing comma
				continue
			}
			out.WriteByte(',')
			i++
		case strings.ContainsRune("{}[]:", rune(c)):
			out.WriteByte(c)
			i++
		case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
			j := i
			for j < len(s) && strings.ContainsRune("+-.0123456789abcdefABCDEFxX", rune(s[j])) {
				j++
			}
			num, err := json5Number(s[i:j])
			if err != nil {
				return nil, fail("%v", err)
			}
			out.WriteString(num)
			i = j
		case isIdentStart(c):
			j := i
			for j < len(s) && (isIdentStart(s[j]) || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			word := s[i:j]
			k, err := skip(j)
			if err != nil {
				return nil, err
			}
			switch {
			case k < len(s) && s[k] == ':':
				enc, _ := json.Marshal(word)
				out.Write(enc)
			case word == "true" || word == "false" || word == "null":
				out.WriteString(word)
			default:
				return nil, fail("unsupported value %q", word)
			}
			i = j
		default:
			return nil, fail("unexpected character %q", c)
		}
	}
	return out.Bytes(), nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// readJSON5String reads a quoted string at the start of s and returns its
// value and the number of bytes it took.
func readJSON5String(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\n':
			return "", 0, errors.New("newline in string")
		case c == '\\' && i+1 < len(s):
			i++
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case '0':
				b.WriteByte(0)
			case '\n':
				// line continuation
			case 'u':
				if i+4 >= len(s) {
					return "", 0, errors.New("short \\u escape")
				}
				r, err := strconv.Unquote(`"\u` + s[i+1:i+5] + `"`)
				if err != nil {
					return "", 0, fmt.Errorf("bad \\u escape: %w", err)
				}
				b.WriteString(r)
				i += 4
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errors.New("unterminated string")
}

// json5Number turns a JSON5 number into JSON.
func json5Number(n string) (string, error) {
	neg := false
	switch {
	case strings.HasPrefix(n, "+"):
		n = n[1:]
	case strings.HasPrefix(n, "-"):
		neg, n = true, n[1:]
	}
	if strings.HasPrefix(n, "0x") || strings.HasPrefix(n, "0X") {
		v, err := strconv.ParseUint(n[2:], 16, 64)
		if err != nil {
			return "", fmt.Errorf("bad hex number %q", n)
		}
		n = strconv.FormatUint(v, 10)
	} else {
		if strings.HasPrefix(n, ".") {
			n = "0" + n
		}
		if strings.HasSuffix(n, ".") {
			n += "0"
		}
		if _, err := strconv.ParseFloat(n, 64); err != nil {
			return "", fmt.Errorf("bad number %q", n)
		}
	}
	if neg {
		n = "-" + n
	}
	return n, nil
}
