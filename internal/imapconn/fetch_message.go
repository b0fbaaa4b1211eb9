package imapconn

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/parse"
)

// FetchOptions tune FetchMessage. The zero value is ready to use.
type FetchOptions struct {
	// MarkRead sets \Seen after reading; otherwise nothing is changed
	// (every section is fetched with BODY.PEEK).
	MarkRead bool
	// Parse is passed to the parser (extra headers, text bounds).
	Parse parse.ParseOptions
	// TextBudget bounds the encoded bytes of text parts downloaded for one
	// message (default 3 × the parser's text bound, 12 MiB).
	TextBudget int64
}

// Fetched is a message read for rendering.
type Fetched struct {
	Meta    MessageMeta
	Message *parse.Message
	// Fallback is non-empty when the server's BODYSTRUCTURE was unusable
	// and the raw message was parsed instead; it says why.
	Fallback string
}

const (
	maxHeaderFetch   = 256 << 10 // the parser keeps at most this much of a header
	maxPartHeaders   = 500       // part headers fetched; others come from the structure
	defaultTextBound = 4 << 20   // parse's default MaxTextBytes
)

// FetchMessage reads what rendering ref needs and parses it: first FLAGS,
// RFC822.SIZE and BODYSTRUCTURE, then in one more round trip the message
// header, every part's MIME header and the text parts (each bounded, a
// huge one fetched partially), never an attachment body. A message with a
// 25 MB attachment costs a few kilobytes of traffic. When the server's
// BODYSTRUCTURE is missing or malformed, it falls back to the raw message
// (streamed through the parser, still bounded in memory) and says so in
// Fallback and in the message's problems.
func (p *Pool) FetchMessage(ctx context.Context, ref MessageRef, opt FetchOptions) (*Fetched, error) {
	if err := p.ownRef(ref); err != nil {
		return nil, err
	}
	popt := opt.Parse
	if popt.MaxTextBytes <= 0 {
		popt.MaxTextBytes = defaultTextBound
	}
	budget := opt.TextBudget
	if budget <= 0 {
		budget = 3 * popt.MaxTextBytes
	}
	var out *Fetched
	var parsed *partTree
	var bad *errBadStructure
	err := p.Do(ctx, Op{Name: "fetch message", Folder: ref.Folder, Idempotent: !opt.MarkRead}, func(ctx context.Context, c *Conn) error {
		out, bad = nil, nil
		if err := ref.checkValidity(c); err != nil {
			return err
		}
		meta, tree, err := fetchStructure(ctx, c, ref)
		if errors.As(err, &bad) {
			return nil // fall back below, on a fresh connection if this one died
		}
		if err != nil {
			return err
		}
		if err := fetchSections(c, ref, tree, popt, budget); err != nil {
			return err
		}
		out, parsed = &Fetched{Meta: meta}, tree
		if opt.MarkRead {
			return markSeen(c, ref)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if bad == nil {
		p.decodedSizes(ctx, ref, parsed)
		out.Message = parse.ParseParts(parsed.root, popt)
		return out, nil
	}
	p.log.Info("BODYSTRUCTURE unusable; parsing the raw message", "reason", bad.why)
	out = &Fetched{Fallback: bad.why}
	err = p.FetchRaw(ctx, ref, opt.MarkRead, func(meta MessageMeta, r io.Reader) error {
		m, err := parse.Parse(r, popt)
		if err != nil {
			return err
		}
		m.Problems = append(m.Problems, parse.Problem{Kind: "structure", Detail: fallbackProblem(bad.why)})
		out.Meta, out.Message = meta, m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// wanted is one section to fetch and where its bytes go.
type wanted struct {
	sec     section
	limit   int64 // most bytes kept
	partial bool  // ask for the first limit bytes only (<0.limit>)
	part    *parse.Part
	header  bool
}

// fetchSections fills in the headers of every part and the bodies parse
// needs, in one UID FETCH.
func fetchSections(c *Conn, ref MessageRef, tree *partTree, popt parse.ParseOptions, budget int64) error {
	var ws []wanted
	for i, p := range tree.all {
		if i >= maxPartHeaders {
			break
		}
		limit := int64(64 << 10)
		if tree.header[p].spec == imap.PartSpecifierHeader {
			limit = maxHeaderFetch
		}
		ws = append(ws, wanted{sec: tree.header[p], limit: limit, partial: true, part: p, header: true})
	}
	for _, p := range parse.BodiesNeeded(tree.root, popt) {
		path, ok := parsePartID(p.ID)
		if !ok || budget <= 0 {
			continue // parse reports a text part it did not get
		}
		n := min(p.Octets, encodedBound(popt.MaxTextBytes, p.Encoding), budget)
		budget -= n
		w := wanted{sec: section{part: path}, limit: n, partial: n < p.Octets, part: p}
		if p.Octets <= 0 {
			w.limit, w.partial = 64<<10, true // the server said nothing useful
		}
		ws = append(ws, w)
	}
	byKey := make(map[string]*wanted, len(ws))
	items := make([]*imap.FetchItemBodySection, 0, len(ws))
	for i := range ws {
		w := &ws[i]
		if byKey[w.sec.key()] != nil {
			continue
		}
		byKey[w.sec.key()] = w
		max := int64(0)
		if w.partial {
			max = w.limit
		}
		items = append(items, w.sec.fetchItem(max))
	}
	cmd := c.c.Fetch(imap.UIDSetNum(ref.UID), &imap.FetchOptions{UID: true, BodySection: items})
	var readErr error
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			it, ok := item.(imapclient.FetchItemDataBodySection)
			if !ok || it.Literal == nil {
				continue
			}
			w := byKey[section{part: it.Section.Part, spec: it.Section.Specifier}.key()]
			if w == nil {
				_, _ = io.Copy(io.Discard, it.Literal)
				continue
			}
			b, err := io.ReadAll(io.LimitReader(it.Literal, w.limit))
			if err != nil && readErr == nil {
				readErr = err
			}
			_, _ = io.Copy(io.Discard, it.Literal)
			if w.header {
				w.part.Header = b
				continue
			}
			w.part.Body = b
			w.part.BodyTruncated = int64(len(b)) < max(w.part.Octets, it.Literal.Size())
		}
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	return readErr
}

// encodedBound is about how many encoded bytes hold maxText decoded ones.
func encodedBound(maxText int64, encoding string) int64 {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "base64", "x-base64":
		return maxText*78/57 + 78
	case "quoted-printable":
		return 2 * maxText // "=XX" for some bytes
	}
	return maxText
}

func markSeen(c *Conn, ref MessageRef) error {
	return c.c.Store(imap.UIDSetNum(ref.UID), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
}
