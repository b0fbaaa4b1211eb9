package watch

import (
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
// highest UID are found with UID SEARCH UID <hi+1>:* (none at all when
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
		above, err := w.uidsAbove(ctx, c, hi, sel.UIDNext)
		if err != nil {
			return nil, err
		}
		if len(prev)+len(above) == int(sel.NumMessages) {
			all = append(slices.Clip(prev), above...)
			break
		}
		fallthrough
	default:
		var err error
		if all, err = w.listUIDs(ctx, c, nil); err != nil {
			return nil, err
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

// uidsAbove returns the UIDs above hi, ascending: nothing to ask when the
// server's UIDNEXT (0: unknown) is hi+1.
func (w *Watcher) uidsAbove(ctx context.Context, c *imapclient.Client, hi, uidNext imap.UID) ([]imap.UID, error) {
	if uidNext != 0 && uidNext <= hi+1 {
		return nil, nil
	}
	// "hi+1:*" includes the highest UID even when it is below hi+1 (RFC
	// 9051 6.4.8): drop what is not above hi.
	got, err := w.listUIDs(ctx, c, &imap.SearchCriteria{UID: []imap.UIDSet{{imap.UIDRange{Start: hi + 1}}}})
	if err != nil {
		return nil, err
	}
	i, _ := slices.BinarySearch(got, hi+1)
	return got[i:], nil
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
