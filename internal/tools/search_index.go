package tools

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/index"
	"github.com/mailmcp/mailmcp/parse"
)

// indexCursorPrefix marks cursors of pages the local index answered; the
// server's cursors never start with it.
const indexCursorPrefix = "ix1."

type indexCursor struct {
	Key string     `json:"k"`
	Pos *index.Pos `json:"p"`
}

// searchKey ties a cursor to its criteria, folder and order.
func searchKey(folder string, crit imapconn.Criteria, relevance bool) string {
	b, _ := json.Marshal(struct {
		F string
		C imapconn.Criteria
		R bool
	}{folder, crit, relevance})
	h := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(h[:9])
}

// unreachable reports errors that mean the server cannot be reached now.
func unreachable(err error) bool {
	switch fault.KindOf(err) {
	case fault.Unavailable, fault.Timeout, fault.ConnLost:
		return true
	}
	return false
}

// indexFolders are the folders q covers and the oldest of their syncs; ok
// is false when the index does not hold all of them (complete, unless
// partial is allowed: the server is unreachable).
func indexFolders(ctx context.Context, ix *index.Index, folder string, allowed []string, partial bool) (names []string, asOf time.Time, ok bool) {
	fs, err := ix.Folders(ctx)
	if err != nil || len(fs) == 0 {
		return nil, time.Time{}, false
	}
	for _, f := range fs {
		switch {
		case folder == imapconn.FolderAll:
		case strings.EqualFold(folder, "INBOX") && strings.EqualFold(f.Name, "INBOX"):
		case f.Name == folder:
		default:
			continue
		}
		if !f.Complete && !partial {
			return nil, time.Time{}, false
		}
		names = append(names, f.Name)
		if asOf.IsZero() || f.SyncedAt.Before(asOf) {
			asOf = f.SyncedAt
		}
	}
	if folder == imapconn.FolderAll && len(allowed) > 0 {
		// index_folders chose a subset: "all" means more than the index has.
		return nil, time.Time{}, false
	}
	return names, asOf, len(names) > 0
}

// searchIndex answers a search from the account's index when it can: ok is
// false when the server must answer (no index, criteria it cannot match,
// folders not fully indexed, a server cursor). offline allows a partly
// built index (the server is unreachable).
func searchIndex(ctx context.Context, d *Deps, acct string, folder string, crit imapconn.Criteria, limit int, cursor string, relevance, offline bool) (*imapconn.Page, bool, error) {
	svc := d.Indexes[acct]
	isIndexCursor := strings.HasPrefix(cursor, indexCursorPrefix)
	if svc == nil || (cursor != "" && !isIndexCursor) {
		return nil, false, nil
	}
	ix := svc.Index()
	q, answerable := index.FromCriteria(crit, nil, limit)
	var names []string
	var asOf time.Time
	ok := ix != nil && answerable
	if ok {
		var allowed []string
		if a, found := findAccount(d, acct); found {
			allowed = a.IndexFolders
		}
		names, asOf, ok = indexFolders(ctx, ix, folder, allowed, offline)
	}
	if !ok {
		if isIndexCursor {
			return nil, true, &fault.Error{Kind: fault.Stale, Op: "search", Err: errors.New("this cursor came from the local index, which cannot answer it now"),
				Hint: "Search again without the cursor"}
		}
		return nil, false, nil
	}
	key := searchKey(folder, crit, relevance)
	if isIndexCursor {
		var c indexCursor
		raw, err := base64.RawURLEncoding.DecodeString(cursor[len(indexCursorPrefix):])
		if err != nil || json.Unmarshal(raw, &c) != nil || c.Pos == nil {
			return nil, true, &fault.Error{Kind: fault.Invalid, Op: "search", Err: errors.New("the cursor is damaged"), Hint: "Pass next_cursor exactly as returned, or omit it"}
		}
		if c.Key != key {
			return nil, true, errOtherSearch()
		}
		q.After = c.Pos
	}
	q.Folders, q.Relevance = names, relevance
	res, err := ix.Search(ctx, q)
	if err != nil {
		d.Log.Warn("index search failed; asking the server", "account", acct, "err", err)
		return nil, false, nil
	}
	pageFolder := folder
	if folder != imapconn.FolderAll {
		pageFolder = names[0]
	}
	page := &imapconn.Page{Folder: pageFolder, Total: res.Total, TotalAtLeast: res.AtLeast, Source: "index", Messages: []imapconn.Envelope{}}
	if !asOf.IsZero() {
		page.IndexedAt = asOf.UTC().Format(time.RFC3339)
	}
	for _, h := range res.Hits {
		page.Messages = append(page.Messages, hitEnvelope(acct, h))
	}
	if res.Next != nil {
		b, _ := json.Marshal(indexCursor{Key: key, Pos: res.Next})
		page.NextCursor = indexCursorPrefix + base64.RawURLEncoding.EncodeToString(b)
	}
	return page, true, nil
}

func errOtherSearch() error {
	return &fault.Error{Kind: fault.Invalid, Op: "search", Err: errors.New("this cursor belongs to a different search"),
		Hint: "Repeat the same folder and criteria with the cursor, or omit the cursor"}
}

func hitEnvelope(acct string, h index.Hit) imapconn.Envelope {
	addrs := func(in []parse.Address) []imapconn.Address {
		var out []imapconn.Address
		for _, a := range in {
			out = append(out, imapconn.Address{Name: a.Name, Email: a.Email})
		}
		return out
	}
	flags := h.Flags
	if flags == nil {
		flags = []string{}
	}
	return imapconn.Envelope{
		ID:     imapconn.MessageRef{Account: acct, Folder: h.Folder, UIDValidity: h.UIDValidity, UID: imap.UID(h.UID)}.ID(),
		Folder: h.Folder, UID: h.UID, Date: h.Date, From: addrs(h.From), To: addrs(h.To), Cc: addrs(h.Cc),
		Subject: imapconn.CleanText(h.Subject), Flags: flags, Size: h.Size, HasAttachments: h.HasAtt, MessageID: h.MessageID,
		Snippet: imapconn.CleanText(h.Snippet),
	}
}

// describeIndexSource is the line renderPage adds for index answers.
func describeIndexSource(p *imapconn.Page) string {
	if p.Source != "index" {
		return ""
	}
	s := "Answered from the local index"
	if p.IndexedAt != "" {
		s += fmt.Sprintf(" (synced %s)", p.IndexedAt)
	}
	return s + ".\n"
}

// cachedMessage reads ref from the account's local index (offline reading).
func cachedMessage(ctx context.Context, d *Deps, ref imapconn.MessageRef) (*imapconn.Fetched, time.Time, bool) {
	svc := d.Indexes[ref.Account]
	if svc == nil {
		return nil, time.Time{}, false
	}
	ix := svc.Index()
	if ix == nil {
		return nil, time.Time{}, false
	}
	m, err := ix.Get(ctx, ref.Folder, ref.UIDValidity, uint32(ref.UID))
	if err != nil {
		return nil, time.Time{}, false
	}
	return &imapconn.Fetched{Meta: imapconn.MessageMeta{Ref: ref, Flags: m.Flags, Size: m.Size}, Message: m.Parsed}, m.CachedAt, true
}

// indexLine is list_accounts' one-line view of an index: state, progress,
// size, last sync and any warning (indexing stopped, a failed sync).
func indexLine(r index.Report) string {
	s := r.State
	if r.State != "unavailable" {
		s += fmt.Sprintf(", %d of %d messages, %s", r.Indexed, r.ServerCount, humanBytes(r.SizeBytes))
		if !r.SyncedAt.IsZero() {
			s += ", synced " + r.SyncedAt.UTC().Format(time.RFC3339)
		}
	}
	if r.Warning != "" {
		s += "; " + r.Warning
	}
	return s
}
