package imapconn

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/parse"
)

// PartContent describes a part FetchPart streamed.
type PartContent struct {
	// Info is the part as fetch_message lists it; Size is the decoded
	// size actually written.
	Info parse.PartInfo
	// Fallback is non-empty when the server's BODYSTRUCTURE was unusable
	// and the part was extracted from the raw message instead.
	Fallback string
}

// ErrPartTooLarge wraps parse.ErrTooLarge for parts over FetchPart's limit;
// Size is the part's estimated decoded size, 0 when unknown.
type ErrPartTooLarge struct {
	PartID string
	Size   int64
	Max    int64
}

func (e *ErrPartTooLarge) Error() string {
	if e.Size <= 0 {
		return fmt.Sprintf("part %s is over the limit of %d bytes", e.PartID, e.Max)
	}
	return fmt.Sprintf("part %s is about %d bytes, over the limit of %d", e.PartID, e.Size, e.Max)
}

func (e *ErrPartTooLarge) Unwrap() error { return parse.ErrTooLarge }

// FetchPart streams the decoded content of part partID (an IMAP section
// number from fetch_message's listing, e.g. "2" or "1.3") to w: it fetches
// BODYSTRUCTURE, then BODY.PEEK[partID] and its MIME header, decoding the
// transfer encoding as the literal arrives, so the part never sits in
// memory here. At most max bytes are written: a part known to be larger
// fails before its body is requested, with an *ErrPartTooLarge inside an
// *fault.Error. w may hold a partial prefix after a failure. The call is never
// retried (w would see the bytes twice) and never sets \Seen.
func (p *Pool) FetchPart(ctx context.Context, ref MessageRef, partID string, max int64, w io.Writer) (*PartContent, error) {
	if err := p.ownRef(ref); err != nil {
		return nil, err
	}
	path, ok := parsePartID(partID)
	if !ok {
		return nil, &fault.Error{Kind: fault.Invalid, Op: "fetch part", Err: fmt.Errorf("%q is not a part id", truncate(partID, 40)),
			Hint: "Use a part_id exactly as listed in fetch_message's attachments, e.g. \"2\" or \"1.3\""}
	}
	var out *PartContent
	var bad *errBadStructure
	err := p.Do(ctx, Op{Name: "fetch attachment", Folder: ref.Folder}, func(ctx context.Context, c *Conn) error {
		if err := ref.checkValidity(c); err != nil {
			return err
		}
		_, tree, err := fetchStructure(ctx, c, ref)
		if errors.As(err, &bad) {
			return nil
		}
		if err != nil {
			return err
		}
		part := tree.find(partID)
		if part == nil {
			return partNotFound(partID)
		}
		if len(part.Children) > 0 {
			return &fault.Error{Kind: fault.Invalid, Op: "fetch part", Err: fmt.Errorf("part %s is a %s container, not an attachment", partID, part.MediaType),
				Hint: "Use the part_id of one of the attachments fetch_message lists"}
		}
		if est := parse.EstimateDecoded(part.Octets, part.Encoding); est > max {
			return tooLarge(partID, est, max)
		}
		out = &PartContent{}
		return streamPart(c, ref, tree, part, path, max, w, out)
	})
	if err != nil {
		return nil, err
	}
	if bad == nil {
		return out, nil
	}
	p.log.Info("BODYSTRUCTURE unusable; extracting the part from the raw message", "reason", bad.why)
	out = &PartContent{Fallback: bad.why}
	err = p.FetchRaw(ctx, ref, false, func(_ MessageMeta, r io.Reader) error {
		info, err := parse.ExtractPartInfo(r, partID, w, max)
		switch {
		case errors.Is(err, parse.ErrPartNotFound):
			return partNotFound(partID)
		case errors.Is(err, parse.ErrTooLarge):
			return tooLarge(partID, 0, max)
		case err != nil:
			return err
		}
		out.Info = info
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// streamPart fetches the part's header and body in one UID FETCH, decoding
// the body into w as it arrives.
func streamPart(c *Conn, ref MessageRef, tree *partTree, part *parse.Part, path []int, max int64, w io.Writer, out *PartContent) error {
	hdr := tree.header[part]
	body := section{part: path}
	cmd := c.c.Fetch(imap.UIDSetNum(ref.UID), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{
		hdr.fetchItem(64 << 10), body.fetchItem(0),
	}})
	var written int64
	var gotBody bool
	var rerr error
	lw := &capWriter{w: w, max: max}
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			it, ok := item.(imapclient.FetchItemDataBodySection)
			if !ok || it.Literal == nil {
				continue
			}
			switch (section{part: it.Section.Part, spec: it.Section.Specifier}).key() {
			case hdr.key():
				b, err := io.ReadAll(io.LimitReader(it.Literal, 64<<10))
				if err == nil {
					part.Header = b
				}
			case body.key():
				gotBody = true
				// The message/rfc822 part is the embedded message as is.
				written, rerr = io.Copy(lw, parse.DecodeTransfer(it.Literal, part.Encoding))
			}
			_, _ = io.Copy(io.Discard, it.Literal)
		}
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	switch {
	case lw.over:
		return tooLarge(part.ID, 0, max)
	case lw.err != nil:
		// The command completed (the literal was drained), so this is the
		// writer's failure, not the connection's.
		return fault.Wrap(fault.Local, "write part "+part.ID, lw.err)
	case rerr != nil:
		return rerr
	}
	if !gotBody {
		return partNotFound(part.ID)
	}
	out.Info = parse.DescribePart(part)
	out.Info.Size = written
	return nil
}

// capWriter passes at most max bytes, then fails; it remembers whether it
// (rather than the reader) stopped the copy.
type capWriter struct {
	w    io.Writer
	max  int64
	n    int64
	over bool
	err  error
}

var errOverCap = errors.New("over the size limit")

func (c *capWriter) Write(p []byte) (int, error) {
	if c.n+int64(len(p)) > c.max {
		c.over = true
		return 0, errOverCap
	}
	k, err := c.w.Write(p)
	c.n += int64(k)
	if err != nil {
		c.err = err
	}
	return k, err
}

func partNotFound(id string) error {
	return &fault.Error{Kind: fault.NotFound, Op: "fetch part", Err: fmt.Errorf("the message has no part %q", id),
		Hint: "Call fetch_message and use a part_id from its attachments list"}
}

func tooLarge(id string, size, max int64) error {
	return &fault.Error{Kind: fault.Invalid, Op: "fetch part", Err: &ErrPartTooLarge{PartID: id, Size: size, Max: max}}
}
