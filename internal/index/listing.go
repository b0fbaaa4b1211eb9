package index

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// listing is what the server says of a folder before the diff with the
// index: every UID it holds and, for the messages listed in msgs, their
// flags and size.
//
// A full listing (FETCH 1:* (UID FLAGS RFC822.SIZE)) lists every message:
// about 60 bytes each, 6 MB for a 100k folder. An incremental listing, on
// a CONDSTORE server whose folder was complete at a known HIGHESTMODSEQ,
// lists only the messages changed since (UID FETCH 1:* (UID FLAGS
// RFC822.SIZE) (CHANGEDSINCE m), RFC 7162 3.1.4) and learns the UIDs
// present from UID SEARCH RETURN (ALL) ALL (ESEARCH, RFC 4731: a compact
// set, a few bytes for a folder without holes). go-imap v2 does not parse
// QRESYNC's VANISHED, so expunges are the index's UIDs missing from that
// set: found in the same sync cycle, as with the full listing.
type listing struct {
	uv uint32
	// uids present on the server, ascending.
	uids []uint32
	// msgs: every message (full listing) or those changed since the
	// modseq (incremental).
	msgs        map[uint32]serverMsg
	incremental bool
}

// incrementalDiff can be turned off by tests and benchmarks to measure the
// full listing against the incremental one on the same server.
var incrementalDiff = true

func (l *listing) has(uid uint32) bool {
	_, ok := slices.BinarySearch(l.uids, uid)
	return ok
}

// modSeqOf is the HIGHESTMODSEQ of a status string recorded by syncFolder
// ("UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ") when its UIDVALIDITY is
// uv, else 0.
func modSeqOf(status string, uv uint32) uint64 {
	f := strings.Fields(status)
	if len(f) != 4 || f[0] != strconv.FormatUint(uint64(uv), 10) {
		return 0
	}
	m, err := strconv.ParseUint(f[3], 10, 64)
	if err != nil {
		return 0
	}
	return m
}

// list fills l from the selected folder of c: incrementally when since > 0
// (the folder's HIGHESTMODSEQ at its last complete sync, of the same
// UIDVALIDITY) and the server has CONDSTORE, else in full.
func (l *listing) list(ctx context.Context, c *imapconn.Conn, prevStatus string) error {
	*l = listing{msgs: map[uint32]serverMsg{}}
	_, l.uv = c.Selected()
	if err := c.Refresh(ctx); err != nil {
		return err
	}
	if c.NumMessages() == 0 {
		return nil
	}
	if since := modSeqOf(prevStatus, l.uv); since > 0 && incrementalDiff && c.Has(imap.CapCondStore) {
		l.incremental = true
		return l.changedSince(c, since)
	}
	var all imap.SeqSet
	all.AddRange(1, 0) // 1:*
	cmd := c.Client().Fetch(all, &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true})
	for m := cmd.Next(); m != nil; m = cmd.Next() {
		b, err := m.Collect()
		if err != nil {
			cmd.Close()
			return err
		}
		l.msgs[uint32(b.UID)] = serverMsg{flags: flagNames(b.Flags), size: b.RFC822Size}
		l.uids = append(l.uids, uint32(b.UID))
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	slices.Sort(l.uids)
	return nil
}

func (l *listing) changedSince(c *imapconn.Conn, since uint64) error {
	var opt *imap.SearchOptions
	if c.Has(imap.CapESearch) || c.Has(imap.CapIMAP4rev2) {
		opt = &imap.SearchOptions{ReturnAll: true}
	}
	sd, err := c.Client().UIDSearch(&imap.SearchCriteria{}, opt).Wait()
	if err != nil {
		return err
	}
	for _, u := range sd.AllUIDs() {
		l.uids = append(l.uids, uint32(u))
	}
	slices.Sort(l.uids)
	var all imap.UIDSet
	all.AddRange(1, 0) // 1:*
	msgs, err := c.Client().Fetch(all, &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, ChangedSince: since}).Collect()
	if err != nil {
		return err
	}
	for _, m := range msgs {
		l.msgs[uint32(m.UID)] = serverMsg{flags: flagNames(m.Flags), size: m.RFC822Size}
	}
	return nil
}

// sizes fills in the size and flags of the given messages (present on the
// server but neither indexed nor changed since the modseq: a message the
// index could not store before).
func (s *Syncer) sizes(ctx context.Context, folder string, l *listing, uids []uint32) error {
	var todo []imap.UID
	for _, u := range uids {
		if _, ok := l.msgs[u]; !ok {
			todo = append(todo, imap.UID(u))
		}
	}
	if len(todo) == 0 {
		return nil
	}
	got := map[uint32]serverMsg{}
	err := s.pool.Do(ctx, imapconn.Op{Name: "index: message sizes", Folder: folder, Idempotent: true}, func(ctx context.Context, c *imapconn.Conn) error {
		clear(got)
		msgs, err := c.Client().Fetch(imap.UIDSetNum(todo...), &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true}).Collect()
		for _, m := range msgs {
			got[uint32(m.UID)] = serverMsg{flags: flagNames(m.Flags), size: m.RFC822Size}
		}
		return err
	})
	for u, m := range got {
		l.msgs[u] = m
	}
	return err
}
