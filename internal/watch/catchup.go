package watch

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// catchUp rebuilds the folder's sequence-number map (w.uids) right after
// SELECT and returns the UIDs that vanished since this process last saw the
// folder. A reconnect costs one small command, never a listing of the
// folder: with the map of the previous connection, the messages above its
// highest UID are found with SEARCH UID <hi+1>:* (none at all when
// UIDNEXT says so), and when the previous count plus those equals EXISTS
// nothing was expunged meanwhile (UIDs only grow, RFC 9051 2.3.1.1). Only a
// first connection, or a count that shows an expunge, lists the folder, in
// ESEARCH's compact form where the server has it.
func (w *Watcher) catchUp(ctx context.Context, c *imapclient.Client, sel *imap.SelectData) ([]imap.UID, error) {
	w.mu.Lock()
	prev := w.uids
	if w.uidValidity != sel.UIDValidity {
		prev = nil
	}
	// Until the new map is in, the handler must not apply this session's
	// sequence numbers to the old one.
	w.uids = nil
	w.mu.Unlock()
	var all, gone []imap.UID
	switch {
	case sel.NumMessages == 0:
		all, gone = []imap.UID{}, prev
	case prev != nil:
		var hi imap.UID
		if n := len(prev); n > 0 {
			hi = prev[n-1]
		}
		var above []imap.UID
		if sel.UIDNext == 0 || sel.UIDNext > hi+1 {
			var err error
			if above, err = w.newAbove(ctx, c, hi); err != nil {
				return nil, err
			}
		}
		if len(prev)+len(above) == int(sel.NumMessages) {
			all = append(slices.Clip(prev), above...)
			break
		}
		fallthrough
	default:
		// UID SEARCH may carry EXPUNGEs (RFC 9051 7.5.1); go-imap's count
		// follows them, so a listing that disagrees with it is asked again.
		for try := 0; ; try++ {
			var err error
			if all, err = w.listUIDs(ctx, c, nil); err != nil {
				return nil, err
			}
			if mb := c.Mailbox(); try == 2 || mb == nil || int(mb.NumMessages) == len(all) {
				break
			}
		}
		for _, u := range prev {
			if _, ok := slices.BinarySearch(all, u); !ok {
				gone = append(gone, u)
			}
		}
	}
	w.mu.Lock()
	w.uids = all
	w.pending = pendingChanges{}
	w.mu.Unlock()
	return gone, nil
}

// newAbove returns, in sequence order, the UIDs of the messages above hi.
// It asks with SEARCH and FETCH by sequence number, not their UID forms:
// the server may not send EXPUNGE during either or between them (RFC 9051
// 7.5.1), so the numbers stay valid and the map stays in step with the
// server's.
func (w *Watcher) newAbove(ctx context.Context, c *imapclient.Client, hi imap.UID) ([]imap.UID, error) {
	var opts *imap.SearchOptions
	if c.Caps().Has(imap.CapESearch) || c.Caps().Has(imap.CapIMAP4rev2) {
		opts = &imap.SearchOptions{ReturnAll: true}
	}
	// "hi+1:*" includes the highest UID even when it is below hi+1 (RFC
	// 9051 6.4.8): only UIDs above hi are kept.
	criteria := &imap.SearchCriteria{UID: []imap.UIDSet{{imap.UIDRange{Start: hi + 1}}}}
	var seqs []uint32
	err := w.cmd(ctx, c, fmt.Sprintf("search %q", w.folder), func() error {
		d, err := c.Search(criteria, opts).Wait()
		if err == nil {
			seqs = d.AllSeqNums()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(seqs) == 0 {
		return nil, nil
	}
	var set imap.SeqSet
	set.AddNum(seqs...)
	type pair struct {
		seq uint32
		uid imap.UID
	}
	var got []pair
	err = w.cmd(ctx, c, fmt.Sprintf("fetch uids %q", w.folder), func() error {
		cmd := c.Fetch(set, &imap.FetchOptions{UID: true})
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			buf, err := m.Collect()
			if err != nil {
				return err
			}
			got = append(got, pair{buf.SeqNum, buf.UID})
		}
		return cmd.Close()
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(got, func(a, b pair) int { return cmp.Compare(a.seq, b.seq) })
	var out []imap.UID
	for _, p := range got {
		if p.uid > hi && (len(out) == 0 || p.uid > out[len(out)-1]) {
			out = append(out, p.uid)
		}
	}
	return out, nil
}

// listUIDs runs UID SEARCH (criteria nil: ALL) and returns the sorted UIDs,
// asking for ESEARCH's compact ranges when the server offers them.
func (w *Watcher) listUIDs(ctx context.Context, c *imapclient.Client, criteria *imap.SearchCriteria) ([]imap.UID, error) {
	if criteria == nil {
		criteria = &imap.SearchCriteria{}
	}
	var opts *imap.SearchOptions
	if c.Caps().Has(imap.CapESearch) || c.Caps().Has(imap.CapIMAP4rev2) {
		opts = &imap.SearchOptions{ReturnAll: true}
	}
	var out []imap.UID
	err := w.cmd(ctx, c, fmt.Sprintf("uid search %q", w.folder), func() error {
		d, err := c.UIDSearch(criteria, opts).Wait()
		if err == nil {
			out = d.AllUIDs()
		}
		return err
	})
	slices.Sort(out)
	return slices.Compact(out), err
}
