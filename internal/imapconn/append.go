package imapconn

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// Append stores raw (a whole RFC 5322 message, CRLF line endings) in folder
// with flags and internal date (zero: the server's now). It returns the new
// message's reference from APPENDUID (RFC 4315 UIDPLUS, or IMAP4rev2) when
// the server reports it, and a reference with UID 0 otherwise (the folder and
// UIDVALIDITY still set when known). It is not idempotent: a connection lost
// mid-command is reported (fault.ConnLost), never retried, because the message
// may already be stored.
func (p *Pool) Append(ctx context.Context, folder string, flags []imap.Flag, date time.Time, raw []byte) (MessageRef, error) {
	ref := MessageRef{Account: p.acct.ID, Folder: folder}
	if err := p.writable("append", nil); err != nil {
		return ref, err
	}
	if len(raw) == 0 {
		return ref, &fault.Error{Kind: fault.Invalid, Op: "append", Err: errors.New("append: empty message")}
	}
	err := p.Do(ctx, Op{Name: "append"}, func(ctx context.Context, c *Conn) error {
		cmd := c.c.Append(c.ServerName(folder), int64(len(raw)), &imap.AppendOptions{Flags: flags, Time: date})
		if _, err := cmd.Write(raw); err != nil {
			return err
		}
		if err := cmd.Close(); err != nil {
			return err
		}
		data, err := cmd.Wait()
		if err != nil {
			if fault.KindOf(c.fail(ctx, "append", err)) == fault.NotFound {
				return noSuchFolder("append", folder, err)
			}
			return err
		}
		ref.UID, ref.UIDValidity = data.UID, data.UIDValidity
		if data.UID != 0 && data.UIDValidity == 0 {
			ref.UID = 0 // an id without UIDVALIDITY could point at another message later
		}
		return nil
	})
	return ref, err
}

// AppendSent stores a copy of a sent message in the account's Sent folder
// (SPECIAL-USE \Sent, else a well-known name), flagged \Seen.
func (p *Pool) AppendSent(ctx context.Context, date time.Time, raw []byte) (MessageRef, error) {
	return p.appendRole(ctx, RoleSent, []imap.Flag{imap.FlagSeen}, date, raw)
}

// AppendDraft stores a draft in the account's Drafts folder, flagged
// \Draft and \Seen (RFC 9051 2.3.2).
func (p *Pool) AppendDraft(ctx context.Context, raw []byte) (MessageRef, error) {
	return p.appendRole(ctx, RoleDrafts, []imap.Flag{imap.FlagDraft, imap.FlagSeen}, time.Time{}, raw)
}

func (p *Pool) appendRole(ctx context.Context, role string, flags []imap.Flag, date time.Time, raw []byte) (MessageRef, error) {
	folder, err := p.FolderForRole(ctx, role)
	if err != nil {
		return MessageRef{Account: p.acct.ID}, err
	}
	return p.Append(ctx, folder, flags, date, raw)
}

// ExpungeUID permanently removes exactly one message: it is flagged
// \Deleted and, when the server has UIDPLUS, removed by UID EXPUNGE of
// that UID only (RFC 4315 2.1). Without UIDPLUS a plain EXPUNGE removes
// every \Deleted message of the folder, so it is sent only when a UID
// SEARCH DELETED finds this message alone; otherwise the message is left
// flagged \Deleted and expunged reports false. (Another client flagging a
// message \Deleted between the two commands would see it expunged a
// little early: \Deleted already means "to be expunged".) Used to
// replace a draft and to remove a sent one.
func (p *Pool) ExpungeUID(ctx context.Context, ref MessageRef) (expunged bool, err error) {
	if err := p.writable("delete", nil); err != nil {
		return false, err
	}
	if ref.UID == 0 {
		return false, &fault.Error{Kind: fault.Invalid, Op: "delete", Err: errors.New("delete: the message id has no UID")}
	}
	err = p.Do(ctx, Op{Name: "delete", Folder: ref.Folder}, func(ctx context.Context, c *Conn) error {
		expunged = false
		if err := ref.checkValidity(c); err != nil {
			return err
		}
		set := imap.UIDSetNum(ref.UID)
		st := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
		if err := c.c.Store(set, st, nil).Close(); err != nil {
			return err
		}
		if !c.Has(imap.CapUIDPlus) { // IMAP4rev2 implies it (CapSet.Has)
			deleted, err := c.uidSearch(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagDeleted}})
			if err != nil {
				return err
			}
			if len(deleted) != 1 || deleted[0] != ref.UID {
				return nil
			}
			if err := c.c.Expunge().Close(); err != nil {
				return err
			}
			expunged = true
			return nil
		}
		if err := c.c.UIDExpunge(set).Close(); err != nil {
			return err
		}
		expunged = true
		return nil
	})
	return expunged, err
}

// FindMessageID returns the newest message of folder, not flagged
// \Deleted, whose Message-ID header is messageID (without angle brackets):
// how a message just appended is found on a server without UIDPLUS, whose
// APPEND reports no UID (RFC 4315 3). ok is false when none matches.
func (p *Pool) FindMessageID(ctx context.Context, folder, messageID string) (ref MessageRef, ok bool, err error) {
	ref = MessageRef{Account: p.acct.ID, Folder: folder}
	if messageID == "" {
		return ref, false, nil
	}
	err = p.Do(ctx, Op{Name: "find message", Folder: folder, Idempotent: true}, func(ctx context.Context, c *Conn) error {
		ok = false
		if err := c.Refresh(ctx); err != nil {
			return err
		}
		uids, err := c.uidSearch(&imap.SearchCriteria{
			Header:  []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + messageID + ">"}},
			NotFlag: []imap.Flag{imap.FlagDeleted},
		})
		if err != nil || len(uids) == 0 {
			return err
		}
		_, ref.UIDValidity = c.Selected()
		ref.UID = slices.Max(uids)
		ok = true
		return nil
	})
	return ref, ok, err
}
