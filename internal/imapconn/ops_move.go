package imapconn

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// Move moves messages to dest, a folder name or a role (archive, trash,
// junk, inbox, sent, drafts). It uses MOVE (RFC 6851) when offered, else
// UID COPY + UID STORE \Deleted + UID EXPUNGE of exactly those UIDs
// (UIDPLUS, RFC 4315); without either it refuses, because a plain EXPUNGE
// would also remove every other message marked \Deleted in the folder.
func (p *Pool) Move(ctx context.Context, refs []MessageRef, dest string, opt BulkOptions) (*BulkResult, error) {
	if err := p.writable("move", refs); err != nil {
		return nil, err
	}
	f, err := p.ResolveFolder(ctx, dest)
	if err != nil {
		return nil, err
	}
	return p.runBulk(ctx, refs, p.moveOp("move", f.Name, ""), opt)
}

// Copy copies messages to dest (a folder name or a role); new ids come from
// COPYUID when the server has UIDPLUS.
func (p *Pool) Copy(ctx context.Context, refs []MessageRef, dest string, opt BulkOptions) (*BulkResult, error) {
	if err := p.writable("copy", refs); err != nil {
		return nil, err
	}
	f, err := p.ResolveFolder(ctx, dest)
	if err != nil {
		return nil, err
	}
	return p.runBulk(ctx, refs, bulkOp{name: "copy", dest: f.Name, step: func(ctx context.Context, c *Conn, b *batch) error {
		b.sent = true
		data, err := c.c.Copy(imap.UIDSetNum(b.uids...), c.ServerName(f.Name)).Wait()
		if err != nil {
			b.answered(err)
			return destError("copy", f.Name, err)
		}
		b.newUIDs, b.destUV = copyUIDs(data.SourceUIDs, data.DestUIDs), data.UIDValidity
		return nil
	}}, opt)
}

// Delete moves messages to the Trash folder. With permanent, it removes
// messages that are already in Trash for good, by UID STORE \Deleted and UID
// EXPUNGE of exactly their UIDs (never a plain EXPUNGE); ids outside Trash
// get a per-id refusal.
func (p *Pool) Delete(ctx context.Context, refs []MessageRef, permanent bool, opt BulkOptions) (*BulkResult, error) {
	if err := p.writable("delete", refs); err != nil {
		return nil, err
	}
	trash, err := p.ResolveFolder(ctx, RoleTrash)
	if err != nil && fault.KindOf(err) != fault.NotFound {
		return nil, err
	}
	if err != nil {
		return nil, &fault.Error{Kind: fault.NotFound, Op: "delete", Err: errors.New("delete: this account has no Trash folder"),
			Hint: "Move the messages to another folder with move, or create a folder named Trash first"}
	}
	if !permanent {
		return p.runBulk(ctx, refs, p.moveOp("delete", trash.Name,
			fmt.Sprintf("already in %s; pass permanent: true to remove it for good", trash.Name)), opt)
	}
	return p.runBulk(ctx, refs, bulkOp{
		name: "delete permanently",
		skip: func(r MessageRef) (ItemResult, bool) {
			if r.Folder == trash.Name {
				return ItemResult{}, false
			}
			return ItemResult{Error: fmt.Sprintf("refused: permanent deletion only applies to messages already in %s, and this one is in %q; delete it without permanent first", trash.Name, r.Folder)}, true
		},
		check: func(c *Conn) error {
			if !c.Has(imap.CapUIDPlus) {
				return &fault.Error{Kind: fault.Unsupported, Op: "delete permanently", Err: errors.New("delete permanently: the server lacks UIDPLUS (UID EXPUNGE)"),
					Hint: "Without it the only way is a plain EXPUNGE, which would also remove other messages marked deleted; the messages stay in Trash"}
			}
			return nil
		},
		step: func(ctx context.Context, c *Conn, b *batch) error {
			set := imap.UIDSetNum(b.uids...)
			b.sent = true
			if err := c.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
				return b.answered(err)
			}
			b.partial = "marked deleted but not yet expunged"
			if err := c.c.UIDExpunge(set).Close(); err != nil {
				return b.answered(err)
			}
			b.partial = ""
			return nil
		},
	}, opt)
}

// moveOp moves to dest; ids already in dest succeed without a command
// (with note when given).
func (p *Pool) moveOp(name, dest, note string) bulkOp {
	if note == "" {
		note = "already in " + dest
	}
	return bulkOp{
		name: name,
		dest: dest,
		skip: func(r MessageRef) (ItemResult, bool) {
			if r.Folder != dest {
				return ItemResult{}, false
			}
			return ItemResult{OK: true, NewID: r.ID(), Note: note}, true
		},
		check: func(c *Conn) error {
			if canMove(c) || c.Has(imap.CapUIDPlus) {
				return nil
			}
			return &fault.Error{Kind: fault.Unsupported, Op: name, Err: fmt.Errorf("%s: the server offers neither MOVE nor UIDPLUS", name),
				Hint: "Moving would need a plain EXPUNGE, which also removes every other message marked deleted in the folder, so mailmcp refuses; use copy instead"}
		},
		step: func(ctx context.Context, c *Conn, b *batch) error {
			set := imap.UIDSetNum(b.uids...)
			if canMove(c) {
				b.sent = true
				data, err := c.c.Move(set, c.ServerName(dest)).Wait()
				if err != nil {
					b.answered(err)
					return destError(name, dest, err)
				}
				b.newUIDs, b.destUV = copyUIDs(data.SourceUIDs, data.DestUIDs), data.UIDValidity
				return nil
			}
			if !c.Has(imap.CapUIDPlus) {
				return &fault.Error{Kind: fault.Unsupported, Op: name, Err: fmt.Errorf("%s: the server offers neither MOVE nor UIDPLUS", name)}
			}
			// RFC 6851 section 3.3: the COPY + STORE + UID EXPUNGE equivalent.
			b.sent = true
			data, err := c.c.Copy(set, c.ServerName(dest)).Wait()
			if err != nil {
				b.answered(err)
				return destError(name, dest, err)
			}
			b.newUIDs, b.destUV = copyUIDs(data.SourceUIDs, data.DestUIDs), data.UIDValidity
			b.partial = fmt.Sprintf("copied to %q but still in %q", dest, b.folder)
			if err := c.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
				return b.answered(err)
			}
			b.partial = fmt.Sprintf("copied to %q and marked deleted in %q, but not yet expunged there", dest, b.folder)
			if err := c.c.UIDExpunge(set).Close(); err != nil {
				return b.answered(err)
			}
			b.partial = ""
			return nil
		},
	}
}

// canMove: both our capability list and go-imap's agree on MOVE. go-imap's
// own Move silently falls back to COPY + plain EXPUNGE otherwise, which must
// never happen.
func canMove(c *Conn) bool { return c.Has(imap.CapMove) && c.c.Caps().Has(imap.CapMove) }

// destError explains a refused COPY or MOVE; TRYCREATE (RFC 3501 7.1) means
// the destination does not exist.
func destError(op, dest string, err error) error {
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Code == imap.ResponseCodeTryCreate {
		return &fault.Error{Kind: fault.NotFound, Op: op, Err: fmt.Errorf("%s: folder %q does not exist (the server answered TRYCREATE)", op, dest),
			Hint: "Create it with create_folder first, or call list_folders for the existing names"}
	}
	return err
}
