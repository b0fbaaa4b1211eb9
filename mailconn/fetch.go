package mailconn

import (
	"context"
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// MessageMeta is what the server knows about a message besides its bytes.
type MessageMeta struct {
	Ref   MessageRef
	Flags []string
	Size  int64
}

// FetchRaw streams the raw RFC 5322 message to fn without buffering it (a
// 25 MB attachment never sits in memory here) and without setting \Seen
// (BODY.PEEK) unless markRead is true.
func (p *Pool) FetchRaw(ctx context.Context, ref MessageRef, markRead bool, fn func(meta MessageMeta, r io.Reader) error) error {
	if ref.Account != p.acct.ID {
		return fmt.Errorf("mailconn: id for account %q used on %q", ref.Account, p.acct.ID)
	}
	return p.Do(ctx, Op{Name: "fetch message", Folder: ref.Folder, Idempotent: !markRead}, func(ctx context.Context, c *Conn) error {
		if err := ref.checkValidity(c); err != nil {
			return err
		}
		section := &imap.FetchItemBodySection{Peek: true}
		cmd := c.c.Fetch(imap.UIDSetNum(ref.UID), &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, BodySection: []*imap.FetchItemBodySection{section}})
		meta := MessageMeta{Ref: ref}
		delivered := false
		var fnErr error
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			for item := msg.Next(); item != nil; item = msg.Next() {
				switch it := item.(type) {
				case imapclient.FetchItemDataFlags:
					meta.Flags = flagNames(it.Flags)
				case imapclient.FetchItemDataRFC822Size:
					meta.Size = it.Size
				case imapclient.FetchItemDataBodySection:
					if it.Literal == nil || delivered {
						continue
					}
					delivered = true
					fnErr = fn(meta, it.Literal)
					// Drain what fn left so the connection stays in sync.
					_, _ = io.Copy(io.Discard, it.Literal)
				}
			}
		}
		if err := cmd.Close(); err != nil {
			return err
		}
		if fnErr != nil {
			return fnErr
		}
		if !delivered {
			return &Error{Kind: KindNotFound, Op: "fetch message", Err: fmt.Errorf("message %d no longer exists in folder %q", ref.UID, ref.Folder),
				Hint: "It was moved or deleted; search again"}
		}
		if markRead {
			return c.c.Store(imap.UIDSetNum(ref.UID), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
		}
		return nil
	})
}
