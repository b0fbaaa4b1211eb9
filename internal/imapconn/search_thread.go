package imapconn

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/textproto"
	"regexp"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// threadAnchor is the message a thread search starts from, with what each
// strategy needs: Gmail's thread id (X-GM-THRID), the members of its
// THREAD=REFERENCES tree in its own folder (RFC 5256), and its
// Message-ID/In-Reply-To/References ids for header searches elsewhere.
type threadAnchor struct {
	ref     MessageRef
	gmThrid string
	ids     []string
	uids    []imap.UID
}

// maxThreadIDs bounds the ids a header thread search ORs together.
const maxThreadIDs = 8

var msgIDRe = regexp.MustCompile(`<[^<>\s]+>`)

// resolveThread reads the anchor message id's thread data; it leaves the
// anchor's folder selected.
func (p *Pool) resolveThread(ctx context.Context, c *Conn, id string) (*threadAnchor, error) {
	ref, err := ParseID(id)
	if err != nil {
		return nil, err
	}
	if err := c.Select(ctx, ref.Folder); err != nil {
		return nil, err
	}
	if err := ref.checkValidity(c); err != nil {
		return nil, err
	}
	gone := &fault.Error{Kind: fault.NotFound, Op: "search thread", Err: fmt.Errorf("the thread's message no longer exists in %q", ref.Folder),
		Hint: "It was moved or deleted; search again and pass a current id as thread"}
	th := &threadAnchor{ref: ref}
	if c.Has(CapGmail) && c.raw != nil {
		meta, err := c.gmailMeta(ctx, []imap.UID{ref.UID})
		if err != nil {
			return nil, err
		}
		m, ok := meta[ref.UID]
		if !ok || m.ThreadID == "" {
			return nil, gone
		}
		th.gmThrid = m.ThreadID
		return th, nil
	}
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Message-ID", "In-Reply-To", "References"}, Peek: true}
	msgs, err := c.c.Fetch(imap.UIDSetNum(ref.UID), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, gone
	}
	th.ids = threadIDs(msgs[0].FindBodySection(section))
	if c.Caps().Has(imap.Cap("THREAD=" + string(imap.ThreadReferences))) {
		trees, err := c.c.UIDThread(&imapclient.ThreadOptions{Algorithm: imap.ThreadReferences, SearchCriteria: &imap.SearchCriteria{}}).Wait()
		if err != nil {
			return nil, err
		}
		for _, t := range trees {
			members := flattenThread(t)
			if slices.Contains(members, ref.UID) {
				th.uids = members
				break
			}
		}
	}
	return th, nil
}

// threadIDs returns the anchor's own Message-ID, its parent and the root
// and latest ancestors from References, at most maxThreadIDs.
func threadIDs(header []byte) []string {
	tr := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(header, "\r\n"...))))
	h, _ := tr.ReadMIMEHeader() // tolerant: keep what was read
	var ids []string
	add := func(s string) {
		for _, id := range msgIDRe.FindAllString(s, -1) {
			if !slices.Contains(ids, id) && len(ids) < maxThreadIDs {
				ids = append(ids, id)
			}
		}
	}
	add(h.Get("Message-Id"))
	add(h.Get("In-Reply-To"))
	refs := msgIDRe.FindAllString(h.Get("References"), -1)
	if len(refs) > 0 {
		add(refs[0]) // the root
		for i := len(refs) - 1; i > 0; i-- {
			add(refs[i])
		}
	}
	return ids
}

func flattenThread(t imapclient.ThreadData) []imap.UID {
	var out []imap.UID
	for _, n := range t.Chain {
		out = append(out, imap.UID(n))
	}
	for _, sub := range t.SubThreads {
		out = append(out, flattenThread(sub)...)
	}
	return out
}

// narrow restricts sc (for the selected folder) to the thread; false means
// nothing in this folder can match.
func (th *threadAnchor) narrow(ctx context.Context, c *Conn, folder string, sc *imap.SearchCriteria) (bool, error) {
	switch {
	case th.gmThrid != "":
		uids, err := c.gmailSearch(ctx, "X-GM-THRID", th.gmThrid)
		if err != nil || len(uids) == 0 {
			return false, err
		}
		sc.UID = append(sc.UID, imap.UIDSetNum(uids...))
	case folder == th.ref.Folder && len(th.uids) > 0:
		sc.UID = append(sc.UID, imap.UIDSetNum(th.uids...))
	case len(th.ids) > 0:
		var terms []imap.SearchCriteria
		for _, id := range th.ids {
			for _, h := range []string{"Message-ID", "References", "In-Reply-To"} {
				terms = append(terms, imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: h, Value: id}}})
			}
		}
		any := orAll(terms)
		sc.And(&any)
	case folder == th.ref.Folder:
		// No ids at all: the thread is the message itself.
		sc.UID = append(sc.UID, imap.UIDSetNum(th.ref.UID))
	default:
		return false, nil
	}
	return true, nil
}

// orAll ORs terms together (SEARCH OR is binary: RFC 9051 6.4.4).
func orAll(terms []imap.SearchCriteria) imap.SearchCriteria {
	if len(terms) == 1 {
		return terms[0]
	}
	return imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{terms[0], orAll(terms[1:])}}}
}
