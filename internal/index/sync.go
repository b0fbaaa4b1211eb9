package index

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/parse"
)

// SyncOptions tune a Syncer. The zero value is ready to use.
type SyncOptions struct {
	// Folders to index; empty: every selectable folder except Trash, Junk
	// and Gmail's virtual All/Flagged (the folders of search folder "all").
	Folders []string
	// MaxBytes stops indexing when the index file reaches it (0: no bound).
	MaxBytes int64
	// Batch is how many messages one FETCH brings (default 200).
	Batch int
	// Interval between full syncs (default 60 s). Kick starts one earlier.
	Interval time.Duration
	// RawLimit is the largest message fetched whole; larger ones are read
	// through imapconn.FetchMessage, text parts only (default 1 MiB).
	RawLimit int64
	// Progress, when set, is told how a backfill of more than one batch
	// advances (rate-limited: see Progress). It must not block.
	Progress func(Progress)
	Log      *slog.Logger
}

// compactAfter is how many newly indexed messages make a cycle end with
// Compact.
const compactAfter = 1000

// Syncer keeps an index in step with the server: a backfill newest first
// in batches, then on every cycle a UID and flags diff of each folder (new
// messages fetched, expunged ones removed, changed flags updated, a changed
// UIDVALIDITY refilling the folder). Kick runs a cycle now (new mail
// announced by the watcher, a change made through mailmcp).
type Syncer struct {
	ix   *Index
	pool *imapconn.Pool
	opt  SyncOptions
	kick chan struct{}
	// work serializes folder syncs: a quick sync adding a message between a
	// full sync's server listing and its diff would otherwise be removed.
	work sync.Mutex

	mu     sync.Mutex
	status Status
	// added counts messages stored since the last Compact.
	added atomic.Int64
}

// Status is the sync's progress, for list_accounts and the index command.
type Status struct {
	Running  bool      `json:"running"`
	LastSync time.Time `json:"last_sync,omitzero"`
	LastErr  string    `json:"last_error,omitempty"`
	// Folder being backfilled, and how far.
	Backfilling string `json:"backfilling,omitempty"`
	Done, Todo  int    `json:"-"`
}

// NewSyncer returns a syncer of ix (which must be the writer) from pool.
func NewSyncer(ix *Index, pool *imapconn.Pool, opt SyncOptions) *Syncer {
	if opt.Batch <= 0 {
		opt.Batch = 200
	}
	if opt.Interval <= 0 {
		opt.Interval = time.Minute
	}
	if opt.RawLimit <= 0 {
		opt.RawLimit = 1 << 20
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{ix: ix, pool: pool, opt: opt, kick: make(chan struct{}, 1)}
}

// Kick asks for a sync cycle as soon as possible; it never blocks.
func (s *Syncer) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Status reports progress.
func (s *Syncer) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func (s *Syncer) update(fn func(*Status)) {
	s.mu.Lock()
	fn(&s.status)
	s.mu.Unlock()
}

// Run syncs until ctx ends: a cycle at once, then every Interval or Kick.
func (s *Syncer) Run(ctx context.Context) {
	s.update(func(st *Status) { st.Running = true })
	defer s.update(func(st *Status) { st.Running = false })
	for {
		err := s.SyncAll(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if errors.Is(err, ErrFull) {
				s.opt.Log.Error("index: indexing stopped: no space left; search uses the server", "path", s.ix.path, "err", err)
			} else {
				s.opt.Log.Warn("index: sync failed; retrying", "err", err)
			}
		}
		t := time.NewTimer(s.opt.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// SyncAll runs one cycle over every indexed folder.
func (s *Syncer) SyncAll(ctx context.Context) error {
	folders, err := s.folders(ctx)
	if err == nil {
		err = s.forgetOthers(ctx, folders)
	}
	for _, f := range folders {
		if err != nil {
			break
		}
		err = s.SyncFolder(ctx, f)
	}
	if err == nil && s.added.Load() >= compactAfter {
		s.added.Store(0)
		err = s.ix.Compact(ctx)
	}
	s.update(func(st *Status) {
		st.Backfilling, st.LastErr = "", ""
		if err != nil {
			st.LastErr = err.Error()
		} else {
			st.LastSync = time.Now()
		}
	})
	return err
}

func (s *Syncer) folders(ctx context.Context) ([]string, error) {
	if len(s.opt.Folders) > 0 {
		return s.opt.Folders, nil
	}
	fs, err := s.pool.ListFolders(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("index: list folders: %w", err)
	}
	var out []string
	for _, f := range fs {
		switch f.Role {
		case imapconn.RoleTrash, imapconn.RoleJunk, imapconn.RoleAll, imapconn.RoleFlagged:
			continue
		}
		if f.Selectable {
			out = append(out, f.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// forgetOthers drops folders that are no longer indexed (deleted, renamed).
func (s *Syncer) forgetOthers(ctx context.Context, keep []string) error {
	have, err := s.ix.Folders(ctx)
	if err != nil {
		return err
	}
	for _, f := range have {
		if !slices.Contains(keep, f.Name) {
			if err := s.ix.ForgetFolder(ctx, f.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// serverMsg is what one FETCH (UID FLAGS RFC822.SIZE) says of a message.
type serverMsg struct {
	flags []string
	size  int64
}

// SyncFolder brings one folder in step: UIDVALIDITY, the UID and flags
// diff, then the missing messages newest first.
func (s *Syncer) SyncFolder(ctx context.Context, folder string) error {
	s.work.Lock()
	defer s.work.Unlock()
	return s.syncFolder(ctx, folder)
}

func (s *Syncer) syncFolder(ctx context.Context, folder string) error {
	status, err := s.folderStatus(ctx, folder)
	if err != nil {
		return fmt.Errorf("index: sync %s: %w", folder, err)
	}
	prev := s.ix.folderStatus(ctx, folder)
	if status != "" && status == prev {
		// CONDSTORE: same UIDVALIDITY, UIDNEXT, count and HIGHESTMODSEQ as
		// at the last full sync, so no message, flag or expunge changed.
		st, err := s.ix.folder(ctx, folder)
		if err == nil && st != nil {
			return s.ix.FolderSynced(ctx, folder, true, st.ServerCount, time.Now())
		}
	}
	if err := s.diffFolder(ctx, folder, prev); err != nil {
		return err
	}
	if status != "" {
		if st, err := s.ix.folder(ctx, folder); err == nil && st != nil && st.Complete {
			return s.ix.setFolderStatus(ctx, folder, status)
		}
	}
	return nil
}

// folderStatus is folder's STATUS (UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)
// as a string, or "" when the server lacks CONDSTORE.
func (s *Syncer) folderStatus(ctx context.Context, folder string) (string, error) {
	var out string
	err := s.pool.Do(ctx, imapconn.Op{Name: "index: folder status", Idempotent: true}, func(ctx context.Context, c *imapconn.Conn) error {
		out = ""
		if !c.Has(imap.CapCondStore) {
			return nil
		}
		if sel, _ := c.Selected(); sel == folder {
			// STATUS of the selected folder answers from this session's
			// view, and Dovecot keeps that view of a folder deleted and
			// made again by another client (a new UIDVALIDITY) for as
			// long as the folder stays selected. Leave it first; the next
			// operation on it selects it again, from the current state.
			left, err := c.Unselect(ctx)
			if err != nil {
				return err
			}
			if !left {
				if err := c.Refresh(ctx); err != nil {
					return err
				}
			}
		}
		d, err := c.Client().Status(folder, &imap.StatusOptions{UIDValidity: true, UIDNext: true, NumMessages: true, HighestModSeq: true}).Wait()
		if err != nil {
			return err
		}
		var n uint32
		if d.NumMessages != nil {
			n = *d.NumMessages
		}
		if d.HighestModSeq > 0 {
			out = fmt.Sprintf("%d %d %d %d", d.UIDValidity, d.UIDNext, n, d.HighestModSeq)
		}
		return nil
	})
	return out, err
}

// diffFolder compares the folder with the index message by message; with
// prevStatus (the STATUS of its last complete sync) on a CONDSTORE server,
// only the messages changed since are listed (see listing).
func (s *Syncer) diffFolder(ctx context.Context, folder, prevStatus string) error {
	var l listing
	err := s.pool.Do(ctx, imapconn.Op{Name: "index: list messages", Folder: folder, Idempotent: true}, func(ctx context.Context, c *imapconn.Conn) error {
		return l.list(ctx, c, prevStatus)
	})
	if err != nil {
		return fmt.Errorf("index: sync %s: %w", folder, err)
	}
	uv, server := l.uv, l.msgs
	if reset, err := s.ix.SetFolder(ctx, folder, uv); err != nil {
		return err
	} else if reset {
		s.opt.Log.Info("index: folder UIDVALIDITY changed; reindexing it", "folder", folder, "uidvalidity", uv)
	}
	have, err := s.ix.UIDs(ctx, folder, uv)
	if err != nil {
		return err
	}
	var gone, missing []uint32
	changed := map[uint32][]string{}
	for uid, flags := range have {
		if !l.has(uid) {
			gone = append(gone, uid)
		} else if sm, ok := server[uid]; ok && strings.Join(sm.flags, " ") != flags {
			changed[uid] = sm.flags
		}
	}
	for _, uid := range l.uids {
		if _, ok := have[uid]; !ok {
			missing = append(missing, uid)
		}
	}
	if l.incremental {
		if err := s.sizes(ctx, folder, &l, missing); err != nil {
			return fmt.Errorf("index: sync %s: %w", folder, err)
		}
	}
	s.opt.Log.Debug("index: folder diff", "folder", folder, "incremental", l.incremental, "listed", len(server), "gone", len(gone), "changed", len(changed), "missing", len(missing))
	if err := s.ix.Delete(ctx, folder, uv, gone); err != nil {
		return err
	}
	if err := s.ix.SetFlags(ctx, folder, uv, changed); err != nil {
		return err
	}
	slices.Sort(missing)
	slices.Reverse(missing) // newest first
	s.update(func(st *Status) { st.Backfilling, st.Done, st.Todo = folder, 0, len(missing) })
	prog := newProgressReporter(s.opt.Progress, s.pool.Account().ID, folder, len(missing), s.opt.Batch)
	defer prog.end()
	complete := true
	for len(missing) > 0 {
		if s.opt.MaxBytes > 0 && s.ix.Size() >= s.opt.MaxBytes {
			msg := fmt.Sprintf("the index reached index_max_bytes (%d bytes)", s.opt.MaxBytes)
			if s.ix.Stopped() == "" {
				s.opt.Log.Warn("index: indexing stopped: "+msg, "path", s.ix.path)
			}
			s.ix.full.Store(&msg)
			complete = false
			break
		}
		n := min(len(missing), s.opt.Batch)
		if err := s.fetchBatch(ctx, folder, uv, missing[:n], server); err != nil {
			return err
		}
		missing = missing[n:]
		s.update(func(st *Status) { st.Done += n })
		prog.add(n)
	}
	return s.ix.FolderSynced(ctx, folder, complete, len(l.uids), time.Now())
}

// fetchBatch fetches and stores the given messages: small ones whole in one
// FETCH, larger ones through FetchMessage (text parts only).
func (s *Syncer) fetchBatch(ctx context.Context, folder string, uv uint32, uids []uint32, server map[uint32]serverMsg) error {
	var small []imap.UID
	var large []uint32
	for _, u := range uids {
		if server[u].size > s.opt.RawLimit {
			large = append(large, u)
		} else {
			small = append(small, imap.UID(u))
		}
	}
	var out []*Message
	popt := parse.ParseOptions{MaxTextBytes: MaxTextBytes}
	if len(small) > 0 {
		err := s.pool.Do(ctx, imapconn.Op{Name: "index: fetch messages", Folder: folder, Idempotent: true}, func(ctx context.Context, c *imapconn.Conn) error {
			out = out[:0]
			if _, cur := c.Selected(); cur != uv {
				return fmt.Errorf("UIDVALIDITY of %q changed during sync", folder)
			}
			section := &imap.FetchItemBodySection{Peek: true}
			cmd := c.Client().Fetch(imap.UIDSetNum(small...), &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{section}})
			for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
				m := &Message{Folder: folder, UIDValidity: uv}
				var perr error
				for item := msg.Next(); item != nil; item = msg.Next() {
					switch it := item.(type) {
					case imapclient.FetchItemDataUID:
						m.UID = uint32(it.UID)
					case imapclient.FetchItemDataFlags:
						m.Flags = flagNames(it.Flags)
					case imapclient.FetchItemDataRFC822Size:
						m.Size = it.Size
					case imapclient.FetchItemDataInternalDate:
						m.Arrived = it.Time
					case imapclient.FetchItemDataBodySection:
						if it.Literal != nil {
							m.Parsed, perr = parse.Parse(it.Literal, popt)
							_, _ = io.Copy(io.Discard, it.Literal)
						}
					}
				}
				if m.UID != 0 && m.Parsed != nil && perr == nil {
					out = append(out, m)
				}
			}
			return cmd.Close()
		})
		if err != nil {
			return fmt.Errorf("index: fetch from %s: %w", folder, err)
		}
	}
	for _, u := range large {
		ref := imapconn.MessageRef{Account: s.pool.Account().ID, Folder: folder, UIDValidity: uv, UID: imap.UID(u)}
		f, err := s.pool.FetchMessage(ctx, ref, imapconn.FetchOptions{Parse: popt})
		if err != nil {
			s.opt.Log.Info("index: message not indexed", "folder", folder, "uid", u, "err", err)
			continue
		}
		sm := server[u]
		m := &Message{Folder: folder, UIDValidity: uv, UID: u, Flags: f.Meta.Flags, Size: f.Meta.Size, Parsed: f.Message}
		if m.Size == 0 {
			m.Size = sm.size
		}
		if t, err := time.Parse(time.RFC3339, f.Message.Date); err == nil {
			m.Arrived = t // INTERNALDATE is not part of FetchMessage; the Date header stands in
		}
		out = append(out, m)
	}
	if err := s.ix.Put(ctx, out); err != nil {
		return err
	}
	s.added.Add(int64(len(out)))
	return nil
}

// flagNames renders flags as search does (seen, answered, flagged, …), sorted.
func flagNames(flags []imap.Flag) []string {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		out = append(out, strings.ToLower(strings.TrimPrefix(string(f), "\\")))
	}
	slices.Sort(out) // servers need not keep an order between responses
	return out
}

// SyncNew indexes the messages that arrived in folder since the newest one
// indexed (UID FETCH <max+1>:*): the quick path when the watcher announces
// mail, without the full diff. A changed UIDVALIDITY, or a folder not
// synced yet, takes the full path.
func (s *Syncer) SyncNew(ctx context.Context, folder string) error {
	s.work.Lock()
	defer s.work.Unlock()
	st, err := s.ix.folder(ctx, folder)
	if err != nil || st == nil || !st.Complete {
		return s.fullFolder(ctx, folder, err)
	}
	top, err := s.ix.maxUID(ctx, folder, st.UIDValidity)
	if err != nil {
		return err
	}
	fresh := map[uint32]serverMsg{}
	var uv uint32
	err = s.pool.Do(ctx, imapconn.Op{Name: "index: new messages", Folder: folder, Idempotent: true}, func(ctx context.Context, c *imapconn.Conn) error {
		clear(fresh)
		_, uv = c.Selected()
		if uv != st.UIDValidity {
			return nil
		}
		if err := c.Refresh(ctx); err != nil {
			return err
		}
		if c.NumMessages() == 0 {
			return nil
		}
		var set imap.UIDSet
		set.AddRange(imap.UID(top+1), 0) // top+1:*
		msgs, err := c.Client().Fetch(set, &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true}).Collect()
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if uint32(m.UID) > top { // n:* always returns the last message
				fresh[uint32(m.UID)] = serverMsg{flags: flagNames(m.Flags), size: m.RFC822Size}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index: sync %s: %w", folder, err)
	}
	if uv != st.UIDValidity {
		return s.fullFolder(ctx, folder, nil)
	}
	uids := make([]uint32, 0, len(fresh))
	for u := range fresh {
		uids = append(uids, u)
	}
	slices.Sort(uids)
	slices.Reverse(uids)
	for len(uids) > 0 {
		n := min(len(uids), s.opt.Batch)
		if err := s.fetchBatch(ctx, folder, uv, uids[:n], fresh); err != nil {
			return err
		}
		uids = uids[n:]
	}
	return s.ix.FolderSynced(ctx, folder, true, st.ServerCount+len(fresh), time.Now())
}

func (s *Syncer) fullFolder(ctx context.Context, folder string, err error) error {
	if err != nil {
		return err
	}
	return s.syncFolder(ctx, folder)
}
