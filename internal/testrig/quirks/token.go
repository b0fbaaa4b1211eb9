package quirks

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// token is one argument of a command: an atom, a quoted string, a literal
// or a parenthesised list (kept whole, raw).
type token struct {
	raw   string // as the client wrote it (a literal: its {n} spec)
	value string // atom or string value; a list: raw
	str   bool   // a quoted string or literal
	list  bool
}

// literalSpec reports the literal announced at the end of line ("{12}",
// "{12+}", "~{12}"): its size and whether it is synchronizing.
func literalSpec(line string) (n int, sync, ok bool) {
	s := strings.TrimRight(line, "\r\n")
	if !strings.HasSuffix(s, "}") {
		return 0, false, false
	}
	i := strings.LastIndexByte(s, '{')
	if i < 0 {
		return 0, false, false
	}
	spec := s[i+1 : len(s)-1]
	sync = !strings.HasSuffix(spec, "+") && !strings.HasSuffix(spec, "-")
	spec = strings.TrimRight(spec, "+-")
	n, err := strconv.Atoi(spec)
	if err != nil || n < 0 {
		return 0, false, false
	}
	return n, sync, true
}

// readCommand reads one whole command from r: its lines and the literals
// they announce. For a synchronizing literal it calls cont (which sends the
// client a "+" continuation) before reading the literal.
func readCommand(r *bufio.Reader, first string, cont func() error) (string, error) {
	var b strings.Builder
	line := first
	for {
		b.WriteString(line)
		n, sync, ok := literalSpec(line)
		if !ok {
			return b.String(), nil
		}
		if sync {
			if err := cont(); err != nil {
				return "", err
			}
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		b.Write(buf)
		next, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = next
	}
}

// tokenize splits the arguments of a whole command (literals inline, as
// readCommand returns them) into tokens.
func tokenize(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		switch c := s[i]; {
		case c == ' ' || c == '\r' || c == '\n':
			i++
		case c == '"':
			var v strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				v.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated quoted string")
			}
			toks = append(toks, token{raw: s[i : j+1], value: v.String(), str: true})
			i = j + 1
		case c == '{' || (c == '~' && i+1 < len(s) && s[i+1] == '{'):
			end := strings.Index(s[i:], "}\r\n")
			if end < 0 {
				return nil, fmt.Errorf("bad literal")
			}
			spec := s[i : i+end+1]
			n, _, ok := literalSpec(spec)
			start := i + end + 3
			if !ok || start+n > len(s) {
				return nil, fmt.Errorf("bad literal %q", spec)
			}
			toks = append(toks, token{raw: spec, value: s[start : start+n], str: true})
			i = start + n
		case c == '(':
			depth, j := 0, i
			for ; j < len(s); j++ {
				if s[j] == '(' {
					depth++
				} else if s[j] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unbalanced list")
			}
			toks = append(toks, token{raw: s[i : j+1], value: s[i : j+1], list: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\r' && s[j] != '\n' && s[j] != '(' {
				j++
			}
			toks = append(toks, token{raw: s[i:j], value: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

// quote writes s as an IMAP string: quoted when it can be, else a
// non-synchronizing literal (LITERAL+, which Dovecot has).
func quote(s string) string {
	if strings.ContainsAny(s, "\r\n\x00") || strings.ContainsFunc(s, func(r rune) bool { return r > 0x7e }) {
		return "{" + strconv.Itoa(len(s)) + "+}\r\n" + s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// join writes tokens back, each as it came except those in repl (index ->
// new wire form).
func join(toks []token, repl map[int]string) string {
	parts := make([]string, len(toks))
	for i, t := range toks {
		switch {
		case repl[i] != "":
			parts[i] = repl[i]
		case t.str && strings.HasPrefix(t.raw, "{") || strings.HasPrefix(t.raw, "~{"):
			parts[i] = quote(t.value)
		default:
			parts[i] = t.raw
		}
	}
	return strings.Join(parts, " ")
}
