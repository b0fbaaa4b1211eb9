package imapconn

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// fetchStructure asks for the flags, size and BODYSTRUCTURE of ref (RFC
// 3501 §7.4.2). A structure that is missing, malformed (go-imap then
// closes the connection: Exchange sends such replies) or refused comes
// back as *errBadStructure so the caller can fall back to the raw message.
func fetchStructure(ctx context.Context, c *Conn, ref MessageRef) (MessageMeta, *partTree, error) {
	meta := MessageMeta{Ref: ref}
	cmd := c.c.Fetch(imap.UIDSetNum(ref.UID), &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true}})
	var bs imap.BodyStructure
	found := false
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				found = found || it.UID == ref.UID
			case imapclient.FetchItemDataFlags:
				meta.Flags = flagNames(it.Flags)
			case imapclient.FetchItemDataRFC822Size:
				meta.Size = it.Size
			case imapclient.FetchItemDataBodyStructure:
				bs = it.BodyStructure
			case imapclient.FetchItemDataBodySection:
				if it.Literal != nil {
					_, _ = io.Copy(io.Discard, it.Literal)
				}
			}
		}
	}
	if err := cmd.Close(); err != nil {
		if ctx.Err() != nil {
			return meta, nil, err
		}
		var ie *imap.Error
		if errors.As(err, &ie) {
			return meta, nil, &errBadStructure{"the server refused it: " + ie.Text}
		}
		// go-imap reports a reply it cannot decode, and closes the
		// connection; a dropped connection looks the same. Either way the
		// raw fetch on a fresh connection is the way forward.
		return meta, nil, &errBadStructure{err.Error()}
	}
	if !found && bs == nil {
		return meta, nil, goneError(ref)
	}
	if bs == nil {
		return meta, nil, &errBadStructure{"no BODYSTRUCTURE in the server's answer"}
	}
	tree, err := buildParts(bs)
	if err != nil {
		return meta, nil, err
	}
	return meta, tree, nil
}

func goneError(ref MessageRef) error {
	return &fault.Error{Kind: fault.NotFound, Op: "fetch message", Err: fmt.Errorf("message %d no longer exists in folder %q", ref.UID, ref.Folder),
		Hint: "It was moved or deleted; search again"}
}

// fallbackProblem is the note a rendering carries when the raw message was
// parsed instead of the structure.
func fallbackProblem(why string) string {
	return "the server's BODYSTRUCTURE could not be used (" + truncate(why, 200) + "); the whole message was downloaded and parsed locally instead"
}
