package imapconn

import (
	"context"
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// MessageMeta is what the server knows about a message besides its bytes.
type MessageMeta struct {
	Ref   MessageRef
	Flags []string
	Size  int64
}

// ownRef refuses a reference of another account (a programmer fault:
// tools resolve the pool from the id's account).
func (p *Pool) ownRef(ref MessageRef) error {
	if ref.Account != p.acct.ID {
		return fmt.Errorf("imapconn: id for account %q used on %q", ref.Account, p.acct.ID)
	}
	return nil
}

// FetchRaw streams the raw RFC 5322 message to fn without buffering it (a
// 25 MB attachment never sits in memory here) and without setting \Seen
// (BODY.PEEK) unless markRead is true.
func (p *Pool) FetchRaw(ctx context.Context, ref MessageRef, markRead bool, fn func(meta MessageMeta, r io.Reader) error) error {
	if err := p.ownRef(ref); err != nil {
		return err
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
			// The command completed, so the connection is fine: fn failed.
			return fault.Wrap(fault.Local, "read message", fnErr)
		}
		if !delivered {
			return goneError(ref)
		}
		if markRead {
			return markSeen(c, ref)
		}
		return nil
	})
}
