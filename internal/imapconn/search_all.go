package imapconn

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// searchAll searches every searchable folder on one connection and merges
// the results newest first by arrival time (INTERNALDATE). Per folder the
// server matches and returns UIDs; only the dates of each folder's newest
// `limit` candidates and then the envelopes of the merged page are fetched.
// The cursor keeps, per folder, the UID bound the next page starts below.
func (p *Pool) searchAll(ctx context.Context, crit Criteria, limit int, after, key string) (*Page, error) {
	var cur *cursor
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil {
			return nil, err
		}
		if !c.All || c.Criteria != key {
			return nil, errOtherCursor()
		}
		cur = &c
	}
	page := &Page{Folder: FolderAll}
	err := p.Do(ctx, Op{Name: "search all folders", Idempotent: true}, func(ctx context.Context, c *Conn) error {
		*page = Page{Folder: FolderAll}
		if crit.GmailQuery != "" && !c.Has(CapGmail) {
			return errNoGmail(p.acct.IMAP.Host)
		}
		names, err := searchableFolders(c)
		if err != nil {
			return err
		}
		setKey := folderSetKey(names)
		pos := make([]folderPos, len(names))
		if cur != nil {
			if cur.FolderSet != setKey || len(cur.Positions) != len(names) {
				return &fault.Error{Kind: fault.Stale, Op: "search", Err: fmt.Errorf("the folder list changed since this cursor was made"), Hint: "Search again without the cursor"}
			}
			copy(pos, cur.Positions)
		}
		var th *threadAnchor
		if crit.Thread != "" {
			if th, err = p.resolveThread(ctx, c, crit.Thread); err != nil {
				return err
			}
		}
		type head struct {
			uid  imap.UID
			date time.Time
		}
		heads := make([][]head, len(names)) // per folder, newest first
		remaining := make([]int, len(names))
		for i, name := range names {
			if cur != nil && pos[i].Before == 0 {
				continue // no more matches there
			}
			if err := c.selectFresh(ctx, name); err != nil {
				return err
			}
			_, uv := c.Selected()
			if cur != nil && pos[i].UIDValidity != uv {
				return &fault.Error{Kind: fault.Stale, Op: "search", Err: fmt.Errorf("message ids for folder %q changed since this cursor was made", name),
					Hint: "Search again without the cursor"}
			}
			pos[i].UIDValidity = uv
			uids, err := p.matchFolder(ctx, c, name, crit, th, imap.UID(pos[i].Before))
			if err != nil {
				return err
			}
			page.Total += len(uids)
			remaining[i] = len(uids)
			if len(uids) == 0 {
				pos[i].Before = 0
				continue
			}
			// Bound the folder now, so mail arriving later never slips
			// into a later page out of order.
			pos[i].Before = uint32(uids[len(uids)-1]) + 1
			top := uids[max(0, len(uids)-limit):]
			msgs, err := c.c.Fetch(imap.UIDSetNum(top...), &imap.FetchOptions{UID: true, InternalDate: true}).Collect()
			if err != nil {
				return err
			}
			for _, m := range msgs {
				heads[i] = append(heads[i], head{uid: m.UID, date: m.InternalDate})
			}
			slices.SortFunc(heads[i], func(a, b head) int { return int(int64(b.uid) - int64(a.uid)) })
		}
		// k-way merge of the folders' newest-first streams by arrival.
		picked := make([][]imap.UID, len(names))
		rank := map[string]int{}
		next := make([]int, len(names))
		for n := 0; n < limit; n++ {
			best := -1
			for i := range heads {
				if next[i] < len(heads[i]) && (best < 0 || heads[i][next[i]].date.After(heads[best][next[best]].date)) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			h := heads[best][next[best]]
			next[best]++
			picked[best] = append(picked[best], h.uid)
			rank[fmt.Sprintf("%d/%d", best, h.uid)] = n
			pos[best].Before = uint32(h.uid)
			remaining[best]--
		}
		more := false
		for i := range pos {
			if remaining[i] <= 0 {
				pos[i].Before = 0
			} else {
				more = true
			}
		}
		order := map[string]int{}
		for i, uids := range picked {
			if len(uids) == 0 {
				continue
			}
			if err := c.Select(ctx, names[i]); err != nil {
				return err
			}
			_, uv := c.Selected()
			envs, err := p.pageEnvelopes(ctx, c, names[i], uv, uids, crit)
			if err != nil {
				return err
			}
			for _, e := range envs {
				order[e.ID] = rank[fmt.Sprintf("%d/%d", i, e.UID)]
			}
			page.Messages = append(page.Messages, envs...)
		}
		slices.SortFunc(page.Messages, func(a, b Envelope) int { return order[a.ID] - order[b.ID] })
		// Gmail shows one message under each of its labels: keep one.
		seen := map[string]bool{}
		page.Messages = slices.DeleteFunc(page.Messages, func(e Envelope) bool {
			if e.GmailMsgID == "" {
				return false
			}
			dup := seen[e.GmailMsgID]
			seen[e.GmailMsgID] = true
			return dup
		})
		if more {
			page.NextCursor = encodeCursor(cursor{All: true, Criteria: key, FolderSet: setKey, Positions: pos})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// searchableFolders lists the folders an all-folder search covers, by name.
func searchableFolders(c *Conn) ([]string, error) {
	opts := &imap.ListOptions{}
	if c.Has(imap.CapSpecialUse) {
		opts.ReturnSpecialUse = true
	}
	data, err := c.c.List("", "*", opts).Collect()
	if err != nil {
		return nil, err
	}
	// A folder with every message (\All, RFC 6154 2: Gmail's All Mail) is
	// the one to search: each message once however many folders (labels)
	// it is in, and the archived ones, which are in no other folder.
	for _, d := range data {
		if role, from := roleOf(d); role == RoleAll && from == "special-use" && !noSelect(d) {
			return []string{c.AgentName(d.Mailbox)}, nil
		}
	}
	var names []string
	for _, d := range data {
		skip := noSelect(d)
		for _, a := range d.Attrs {
			if strings.EqualFold(string(a), `\important`) {
				skip = true
			}
		}
		switch role, _ := roleOf(d); role {
		case RoleTrash, RoleJunk, RoleAll, RoleFlagged:
			skip = true
		}
		if !skip {
			names = append(names, c.AgentName(d.Mailbox))
		}
	}
	slices.Sort(names)
	return names, nil
}

// noSelect reports whether d cannot be selected (\Noselect, \NonExistent).
func noSelect(d *imap.ListData) bool {
	for _, a := range d.Attrs {
		switch strings.ToLower(string(a)) {
		case `\noselect`, `\nonexistent`:
			return true
		}
	}
	return false
}
