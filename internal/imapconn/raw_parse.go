package imapconn

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// rawValue is one parsed element of a diverted response (RFC 9051 4): an
// atom (numbers, NIL, flags such as \Important), a string (quoted or
// literal), or a parenthesised list.
type rawValue struct {
	Atom   string
	Str    *string
	List   []rawValue
	IsList bool
}

// Text is the value as a string: the atom or the string's content.
func (v rawValue) Text() string {
	if v.Str != nil {
		return *v.Str
	}
	return v.Atom
}

// parseRaw splits a whole response (with literals inline, as the raw path
// collects them) into values. "* 3 FETCH (UID 5)" gives [*, 3, FETCH, (UID 5)].
func parseRaw(b []byte) ([]rawValue, error) {
	p := &rawParser{b: bytes.TrimRight(b, "\r\n")}
	var out []rawValue
	for {
		p.skipSpace()
		if p.i >= len(p.b) {
			return out, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}

type rawParser struct {
	b []byte
	i int
}

var errRawSyntax = errors.New("malformed response")

func (p *rawParser) skipSpace() {
	for p.i < len(p.b) && p.b[p.i] == ' ' {
		p.i++
	}
}

func (p *rawParser) value() (rawValue, error) {
	switch c := p.b[p.i]; c {
	case '(':
		p.i++
		v := rawValue{IsList: true}
		for {
			p.skipSpace()
			if p.i >= len(p.b) {
				return v, errRawSyntax
			}
			if p.b[p.i] == ')' {
				p.i++
				return v, nil
			}
			e, err := p.value()
			if err != nil {
				return v, err
			}
			v.List = append(v.List, e)
		}
	case '"':
		p.i++
		var s strings.Builder
		for p.i < len(p.b) {
			c := p.b[p.i]
			p.i++
			switch c {
			case '\\':
				if p.i >= len(p.b) {
					return rawValue{}, errRawSyntax
				}
				s.WriteByte(p.b[p.i])
				p.i++
			case '"':
				str := s.String()
				return rawValue{Str: &str}, nil
			default:
				s.WriteByte(c)
			}
		}
		return rawValue{}, errRawSyntax
	case '{':
		end := bytes.IndexByte(p.b[p.i:], '}')
		if end < 0 {
			return rawValue{}, errRawSyntax
		}
		n, err := strconv.Atoi(strings.TrimSuffix(string(p.b[p.i+1:p.i+end]), "+"))
		p.i += end + 1
		if err != nil || !bytes.HasPrefix(p.b[p.i:], []byte("\r\n")) || p.i+2+n > len(p.b) {
			return rawValue{}, errRawSyntax
		}
		p.i += 2
		str := string(p.b[p.i : p.i+n])
		p.i += n
		return rawValue{Str: &str}, nil
	case ')':
		return rawValue{}, errRawSyntax
	default:
		start := p.i
		depth := 0 // "BODY[HEADER.FIELDS (A B)]" is one atom-like token
		for p.i < len(p.b) {
			c := p.b[p.i]
			if c == '[' {
				depth++
			} else if c == ']' {
				depth--
			} else if depth == 0 && (c == ' ' || c == '(' || c == ')') {
				break
			}
			p.i++
		}
		return rawValue{Atom: string(p.b[start:p.i])}, nil
	}
}

// parseSearchUIDs reads "* SEARCH n …" and "* ESEARCH … ALL set" responses
// (RFC 9051 7.3.4, RFC 4731).
func parseSearchUIDs(resps [][]byte) ([]imap.UID, error) {
	var out []imap.UID
	for _, r := range resps {
		vals, err := parseRaw(r)
		if err != nil || len(vals) < 2 {
			return nil, fmt.Errorf("search response %q: %w", truncate(string(r), 80), errRawSyntax)
		}
		switch strings.ToUpper(vals[1].Atom) {
		case "SEARCH":
			for _, v := range vals[2:] {
				if v.IsList { // "(MODSEQ n)"
					continue
				}
				n, err := strconv.ParseUint(v.Atom, 10, 32)
				if err != nil {
					return nil, fmt.Errorf("search response: %q is not a number", v.Atom)
				}
				out = append(out, imap.UID(n))
			}
		case "ESEARCH":
			for i := 2; i+1 < len(vals); i++ {
				if strings.EqualFold(vals[i].Atom, "ALL") {
					nums, err := expandUIDSet(vals[i+1].Atom)
					if err != nil {
						return nil, fmt.Errorf("esearch response: %w", err)
					}
					out = append(out, nums...)
				}
			}
		}
	}
	return out, nil
}

// GmailMeta are Gmail's ids and labels of one message (X-GM-EXT-1).
type GmailMeta struct {
	ThreadID string
	MsgID    string
	Labels   []string
}

// parseGmailFetch reads "* n FETCH (UID u X-GM-THRID t X-GM-MSGID m
// X-GM-LABELS (…))" responses, keyed by UID.
func parseGmailFetch(resps [][]byte) (map[imap.UID]GmailMeta, error) {
	out := map[imap.UID]GmailMeta{}
	for _, r := range resps {
		vals, err := parseRaw(r)
		if err != nil || len(vals) < 4 || !strings.EqualFold(vals[2].Atom, "FETCH") || !vals[3].IsList {
			return nil, fmt.Errorf("fetch response %q: %w", truncate(string(r), 80), errRawSyntax)
		}
		var uid imap.UID
		var m GmailMeta
		items := vals[3].List
		for i := 0; i+1 < len(items); i += 2 {
			k, v := strings.ToUpper(items[i].Atom), items[i+1]
			switch k {
			case "UID":
				n, err := strconv.ParseUint(v.Atom, 10, 32)
				if err != nil {
					return nil, fmt.Errorf("fetch response: bad UID %q", v.Atom)
				}
				uid = imap.UID(n)
			case "X-GM-THRID":
				m.ThreadID = v.Text()
			case "X-GM-MSGID":
				m.MsgID = v.Text()
			case "X-GM-LABELS":
				m.Labels = []string{}
				for _, l := range v.List {
					m.Labels = append(m.Labels, l.Text())
				}
			}
		}
		if uid == 0 {
			continue // an unsolicited FETCH (flags) without UID
		}
		out[uid] = m
	}
	return out, nil
}

// maxExpandedUIDs bounds a sequence set's expansion.
const maxExpandedUIDs = 10_000_000

// expandUIDSet lists the UIDs of a sequence set such as "1:3,7" (no "*").
func expandUIDSet(s string) ([]imap.UID, error) {
	var out []imap.UID
	for _, r := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(r, ":")
		a, err1 := strconv.ParseUint(lo, 10, 32)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.ParseUint(hi, 10, 32)
		}
		if err1 != nil || err2 != nil || a == 0 || b == 0 {
			return nil, fmt.Errorf("bad sequence set %q", truncate(s, 40))
		}
		a, b = min(a, b), max(a, b)
		if len(out)+int(b-a+1) > maxExpandedUIDs {
			return nil, fmt.Errorf("sequence set too large")
		}
		for n := a; n <= b; n++ {
			out = append(out, imap.UID(n))
		}
	}
	return out, nil
}
