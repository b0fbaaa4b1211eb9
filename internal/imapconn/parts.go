package imapconn

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/parse"
)

// section names one BODY[...] section (RFC 3501 §6.4.5).
type section struct {
	part []int
	spec imap.PartSpecifier
}

func (s section) key() string { return partID(s.part) + "/" + string(s.spec) }

// fetchItem is the FETCH item for s: always BODY.PEEK (never sets \Seen),
// the first max bytes when max > 0.
func (s section) fetchItem(max int64) *imap.FetchItemBodySection {
	it := &imap.FetchItemBodySection{Specifier: s.spec, Part: s.part, Peek: true}
	if max > 0 {
		it.Partial = &imap.SectionPartial{Offset: 0, Size: max}
	}
	return it
}

// partTree is a BODYSTRUCTURE converted to parse's part tree, numbered as
// IMAP numbers sections, so a part id in fetch_message's listing is also
// the section get_attachment fetches.
type partTree struct {
	root *parse.Part
	// all lists every part in pre-order (a message/rfc822 part before the
	// root of its content, which may share its id).
	all []*parse.Part
	// header is the section holding each part's header.
	header map[*parse.Part]section
}

// errBadStructure marks a BODYSTRUCTURE we cannot use.
type errBadStructure struct{ why string }

func (e *errBadStructure) Error() string { return "unusable BODYSTRUCTURE: " + e.why }

// buildParts converts bs; it refuses shapes no real message has (a
// multipart without parts), which servers produce when their own MIME
// parser gave up.
func buildParts(bs imap.BodyStructure) (*partTree, error) {
	t := &partTree{header: map[*parse.Part]section{}}
	root, err := t.message(bs, nil, 0)
	if err != nil {
		return nil, err
	}
	t.root = root
	return t, nil
}

const maxStructureDepth = 64

// message converts the structure of a message (the top-level one when
// prefix is empty, else the content of message/rfc822 part prefix).
func (t *partTree) message(bs imap.BodyStructure, prefix []int, depth int) (*parse.Part, error) {
	hdr := section{part: prefix, spec: imap.PartSpecifierHeader}
	if _, multi := bs.(*imap.BodyStructureMultiPart); multi {
		return t.part(bs, prefix, hdr, depth)
	}
	return t.part(bs, child(prefix, 1), hdr, depth)
}

func (t *partTree) part(bs imap.BodyStructure, path []int, hdr section, depth int) (*parse.Part, error) {
	if depth > maxStructureDepth {
		return nil, &errBadStructure{"nested too deeply"}
	}
	p := &parse.Part{ID: partID(path), MediaType: bs.MediaType()}
	t.all = append(t.all, p)
	t.header[p] = hdr
	if d := bs.Disposition(); d != nil {
		p.Disposition, p.DispositionParams = strings.ToLower(d.Value), d.Params
	}
	switch bs := bs.(type) {
	case *imap.BodyStructureMultiPart:
		if len(bs.Children) == 0 {
			return nil, &errBadStructure{fmt.Sprintf("%s part %q has no parts", p.MediaType, p.ID)}
		}
		if bs.Extended != nil {
			p.Params = bs.Extended.Params
			if p.Params["boundary"] == "" {
				return nil, &errBadStructure{fmt.Sprintf("%s part %q has no boundary", p.MediaType, p.ID)}
			}
		}
		// Dovecot describes a multipart whose boundary never occurs as one
		// empty text part; the raw parser reads such a body as text.
		if one, ok := bs.Children[0].(*imap.BodyStructureSinglePart); ok && len(bs.Children) == 1 && one.Size == 0 {
			return nil, &errBadStructure{fmt.Sprintf("%s part %q has a single empty part (boundary not found)", p.MediaType, p.ID)}
		}
		for i, c := range bs.Children {
			cp := child(path, i+1)
			cpart, err := t.part(c, cp, section{part: cp, spec: imap.PartSpecifierMIME}, depth+1)
			if err != nil {
				return nil, err
			}
			p.Children = append(p.Children, cpart)
		}
	case *imap.BodyStructureSinglePart:
		p.Params, p.ContentID, p.Encoding, p.Octets = bs.Params, bs.ID, bs.Encoding, int64(bs.Size)
		if bs.MessageRFC822 != nil && bs.MessageRFC822.BodyStructure != nil {
			m, err := t.message(bs.MessageRFC822.BodyStructure, path, depth+1)
			if err != nil {
				return nil, err
			}
			p.Message = m
		}
	default:
		return nil, &errBadStructure{fmt.Sprintf("unknown structure %T", bs)}
	}
	return p, nil
}

// find returns the first part (pre-order) with the given id.
func (t *partTree) find(id string) *parse.Part {
	for _, p := range t.all {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func child(path []int, i int) []int {
	return append(append([]int(nil), path...), i)
}

func partID(path []int) string {
	s := make([]string, len(path))
	for i, n := range path {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ".")
}

// parsePartID checks a part id from an agent ("2", "1.3").
func parsePartID(id string) ([]int, bool) {
	if id == "" || len(id) > 100 {
		return nil, false
	}
	var out []int
	for _, f := range strings.Split(id, ".") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || f[0] == '0' || f[0] == '+' {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}
