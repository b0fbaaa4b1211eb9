package watch

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/present"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/parse"
)

// chunk bounds the messages fetched and appended per transaction.
const chunk = 100

// baseline records the folder's state at a first start, or emits a reset
// when UIDVALIDITY changed, and loads the checkpoint the watcher resumes from.
func (w *Watcher) baseline(ctx context.Context, sel *imap.SelectData) error {
	uv := sel.UIDValidity
	last := uint32(0)
	if sel.UIDNext > 0 {
		last = uint32(sel.UIDNext) - 1
	} else if n := len(w.uids); n > 0 {
		last = uint32(w.uids[n-1])
	}
	var cur Checkpoint
	_, err := w.feed.append(ctx, w.acct.ID, w.folder, func(cp *Checkpoint) (*Checkpoint, []Event, error) {
		fresh := &Checkpoint{UIDValidity: uv, LastUID: last, ModSeq: sel.HighestModSeq}
		switch {
		case cp == nil:
			cur = *fresh
			return fresh, nil, nil
		case cp.UIDValidity != uv:
			cur = *fresh
			return fresh, []Event{{Kind: KindReset, Account: w.acct.ID, Folder: w.folder, UIDValidity: uv,
				PrevUIDValidity: cp.UIDValidity, Observed: time.Now()}}, nil
		}
		cur = *cp
		if !w.condstore {
			cur.ModSeq = 0
		}
		return cp, nil, nil
	})
	if err != nil {
		return err
	}
	if w.uidValidity != uv {
		w.log.Info("folder state", "uidvalidity", uv, "last_uid", cur.LastUID)
	}
	w.uidValidity, w.lastUID = uv, imap.UID(cur.LastUID)
	return nil
}

// sync emits what changed since the checkpoint: new messages, flag
// changes and expunges the handlers recorded.
// With probe, new mail is searched for even when no EXISTS announced it;
// unannounced says such a search found some.
func (w *Watcher) sync(ctx context.Context, c *imapclient.Client, observed time.Time, initial, probe bool) (unannounced bool, err error) {
	p := w.takePending()
	if !p.observed.IsZero() && (observed.IsZero() || p.observed.Before(observed)) {
		observed = p.observed
	}
	if observed.IsZero() {
		observed = time.Now()
	}
	if unannounced, err = w.syncNew(ctx, c, observed, probe); err != nil {
		return unannounced, err
	}
	var evs []Event
	modseq := uint64(0)
	if w.condstore && (initial || p.fetched) {
		evs, modseq, err = w.changedSince(ctx, c, observed, initial)
		if err != nil {
			return unannounced, err
		}
	} else {
		for _, f := range p.flags {
			if f.uid <= w.lastUID {
				evs = append(evs, w.event(KindFlags, f.uid, observed, f.flags))
			}
		}
	}
	for _, u := range p.expunged {
		if u <= w.lastUID {
			evs = append(evs, w.event(KindExpunged, u, observed, nil))
		}
	}
	if len(evs) == 0 && modseq == 0 {
		return unannounced, nil
	}
	_, err = w.feed.append(ctx, w.acct.ID, w.folder, func(cp *Checkpoint) (*Checkpoint, []Event, error) {
		if cp == nil || cp.UIDValidity != w.uidValidity {
			return nil, nil, errCheckpointMoved()
		}
		next := *cp
		var out []Event
		for _, e := range evs {
			if e.Kind == KindFlags && e.modseq != 0 && e.modseq <= cp.ModSeq {
				continue // another process emitted it
			}
			out = append(out, e)
		}
		next.ModSeq = max(next.ModSeq, modseq)
		return &next, out, nil
	})
	return unannounced, err
}

// errCheckpointMoved: another process reset the folder's checkpoint (a new
// UIDVALIDITY) while this watcher worked from the old one; the session ends
// and the next one starts from the new state.
func errCheckpointMoved() error {
	return fault.New(fault.Conflict, "watch", "the folder's checkpoint changed under the watcher (new UIDVALIDITY)")
}

func (w *Watcher) event(k Kind, uid imap.UID, observed time.Time, flags []imap.Flag) Event {
	e := Event{Kind: k, Account: w.acct.ID, Folder: w.folder, UIDValidity: w.uidValidity, UID: uint32(uid), Observed: observed,
		MessageID: imapconn.MessageRef{Account: w.acct.ID, Folder: w.folder, UIDValidity: w.uidValidity, UID: uid}.ID()}
	if k == KindFlags {
		e.Flags = imapconn.FlagNames(flags)
	}
	return e
}

// Sections fetched for the snippet: the MIME headers and the start of the
// body, enough for parse to find the first text part of most messages.
var (
	mimeHeader = &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true,
		HeaderFields: []string{"Content-Type", "Content-Transfer-Encoding", "MIME-Version"}}
	snippetBytes = int64(8 << 10)
)

// syncNew fetches the messages above the checkpoint and appends one event
// each, chunk by chunk; the transaction skips any another process emitted.
// The new UIDs come from SEARCH UID <tail+1>:* (tail: the highest UID in
// the sequence map; see newAbove), asked when EXISTS announced more messages than the map
// holds or, with probe, always: a server that accepts IDLE but never pushes
// (Cyrus) is found out by a probe that finds mail nothing announced, which
// syncNew reports as unannounced. Messages are fetched by explicit UID sets,
// never "n:*" ("*" is the last message even below n, and go-imap hands FETCH
// data for UIDs outside a UID FETCH's set to the unilateral handler).
func (w *Watcher) syncNew(ctx context.Context, c *imapclient.Client, observed time.Time, probe bool) (unannounced bool, err error) {
	w.mu.Lock()
	n := len(w.uids)
	var tail imap.UID
	if n > 0 {
		tail = w.uids[n-1]
	}
	w.mu.Unlock()
	announced := false
	if mb := c.Mailbox(); mb != nil && int(mb.NumMessages) > n {
		announced = true
	}
	if announced || probe {
		fresh, err := w.newAbove(ctx, c, tail)
		if err != nil {
			return false, err
		}
		unannounced = !announced && len(fresh) > 0
		w.mu.Lock()
		if m := len(w.uids); m == 0 || len(fresh) == 0 || w.uids[m-1] < fresh[0] {
			w.uids = append(w.uids, fresh...)
		}
		w.mu.Unlock()
	}
	w.mu.Lock()
	i, _ := slices.BinarySearch(w.uids, w.lastUID+1)
	todo := slices.Clone(w.uids[i:])
	w.mu.Unlock()

	textBytes := snippetBytes
	if w.opt.BodyChars > 0 {
		textBytes = max(textBytes, int64(w.opt.BodyChars)*4)
	}
	text := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierText, Peek: true, Partial: &imap.SectionPartial{Size: textBytes}}
	opts := imapconn.EnvelopeFetchOptions()
	opts.BodySection = []*imap.FetchItemBodySection{mimeHeader, text}
	for len(todo) > 0 {
		part := todo[:min(len(todo), chunk)]
		todo = todo[len(part):]
		var set imap.UIDSet
		set.AddNum(part...)
		var msgs []*imapclient.FetchMessageBuffer
		err := w.cmd(ctx, c, "fetch new", func() error {
			cmd := c.Fetch(set, opts)
			for m := cmd.Next(); m != nil; m = cmd.Next() {
				buf, err := m.Collect()
				if err != nil {
					return err
				}
				if buf.UID > w.lastUID {
					msgs = append(msgs, buf)
				}
			}
			return cmd.Close()
		})
		if err != nil {
			return unannounced, err
		}
		if len(msgs) == 0 {
			continue // expunged meanwhile: their EXPUNGE updates the map
		}
		slices.SortFunc(msgs, func(a, b *imapclient.FetchMessageBuffer) int { return cmp.Compare(a.UID, b.UID) })
		evs := make([]Event, 0, len(msgs))
		for _, m := range msgs {
			evs = append(evs, w.messageEvent(m, text, observed))
		}
		top := msgs[len(msgs)-1].UID
		_, err = w.feed.append(ctx, w.acct.ID, w.folder, func(cp *Checkpoint) (*Checkpoint, []Event, error) {
			if cp == nil || cp.UIDValidity != w.uidValidity {
				return nil, nil, errCheckpointMoved()
			}
			next := *cp
			var out []Event
			for _, e := range evs {
				if e.UID > cp.LastUID {
					out = append(out, e)
				}
			}
			next.LastUID = max(cp.LastUID, uint32(top))
			return &next, out, nil
		})
		if err != nil {
			return unannounced, err
		}
		w.lastUID = max(w.lastUID, top)
	}
	return unannounced, nil
}

func (w *Watcher) messageEvent(m *imapclient.FetchMessageBuffer, text *imap.FetchItemBodySection, observed time.Time) Event {
	env := imapconn.EnvelopeOf(w.acct.ID, w.folder, w.uidValidity, m)
	e := w.event(KindMessage, m.UID, observed, nil)
	e.Envelope, e.Flags = &env, env.Flags
	raw := append(bytes.Clone(m.FindBodySection(mimeHeader)), m.FindBodySection(text)...)
	if msg, err := parse.Parse(bytes.NewReader(raw), parse.ParseOptions{MaxTextBytes: int64(len(raw))}); err == nil {
		e.Snippet = present.Defuse(msg.Snippet(w.opt.SnippetChars))
		if w.opt.BodyChars > 0 {
			e.Body = msg.Text
			e.ClipBody(w.opt.BodyChars)
		}
	}
	return e
}

// changedSince asks for flag changes since the checkpoint's MODSEQ
// (RFC 7162 3.1.4) among the messages already emitted. Right after SELECT
// (initial) nothing is asked when HIGHESTMODSEQ has not moved past it.
func (w *Watcher) changedSince(ctx context.Context, c *imapclient.Client, observed time.Time, initial bool) ([]Event, uint64, error) {
	var since uint64
	err := w.feed.st.View(ctx, func(tx store.Tx) error {
		cp, err := loadCheckpoint(tx, w.acct.ID, w.folder)
		if cp != nil {
			since = cp.ModSeq
		}
		return err
	})
	if err != nil || since == 0 || w.lastUID == 0 || (initial && w.highestModSeq != 0 && w.highestModSeq <= since) {
		return nil, 0, err
	}
	var evs []Event
	top := since
	err = w.cmd(ctx, c, "fetch changed flags", func() error {
		cmd := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: w.lastUID}}, &imap.FetchOptions{UID: true, Flags: true, ModSeq: true, ChangedSince: since})
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			buf, err := m.Collect()
			if err != nil {
				return err
			}
			top = max(top, buf.ModSeq)
			if buf.UID == 0 || buf.UID > w.lastUID || buf.ModSeq <= since {
				continue
			}
			e := w.event(KindFlags, buf.UID, observed, buf.Flags)
			e.modseq = buf.ModSeq
			evs = append(evs, e)
		}
		return cmd.Close()
	})
	return evs, top, err
}
