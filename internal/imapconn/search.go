package imapconn

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// FolderAll as the folder of a search means every selectable folder except
// Trash and Junk (and the virtual \All, \Flagged and \Important folders of
// Gmail, which would only repeat messages).
const FolderAll = "all"

// Criteria select messages; zero fields do not restrict, and all given
// fields must match.
type Criteria struct {
	From, To, Cc, Subject, Text, Body string
	Since, Before                     time.Time
	Seen, Flagged, Answered           *bool
	Larger, Smaller                   int64
	Header                            [][2]string
	// HasAttachment keeps messages with (true) or without (false)
	// attachments. IMAP has no such search key: for true the server
	// prefilters on a multipart Content-Type header, then each page's
	// BODYSTRUCTURE confirms, so a page may hold fewer than limit messages
	// and totals count candidates.
	HasAttachment *bool `json:",omitempty"`
	// Thread is a message id (from search): keep the messages of its
	// conversation.
	Thread string `json:",omitempty"`
	// GmailQuery is Gmail search syntax sent as X-GM-RAW (Gmail only).
	GmailQuery string `json:",omitempty"`
	// Undeleted leaves out messages flagged \Deleted (awaiting an
	// expunge): list_drafts never offers a replaced draft that a server
	// without UIDPLUS could not expunge.
	Undeleted bool `json:",omitempty"`
}

func (c Criteria) empty() bool {
	return c.From == "" && c.To == "" && c.Cc == "" && c.Subject == "" && c.Text == "" && c.Body == "" &&
		c.Since.IsZero() && c.Before.IsZero() && c.Seen == nil && c.Flagged == nil && c.Answered == nil &&
		c.Larger == 0 && c.Smaller == 0 && len(c.Header) == 0 && c.HasAttachment == nil && c.Thread == "" && c.GmailQuery == "" && !c.Undeleted
}

func (c Criteria) imap() *imap.SearchCriteria {
	sc := &imap.SearchCriteria{Since: c.Since, Before: c.Before, Larger: c.Larger, Smaller: c.Smaller}
	hdr := func(k, v string) {
		if v != "" {
			sc.Header = append(sc.Header, imap.SearchCriteriaHeaderField{Key: k, Value: v})
		}
	}
	hdr("From", c.From)
	hdr("To", c.To)
	hdr("Cc", c.Cc)
	hdr("Subject", c.Subject)
	for _, h := range c.Header {
		// An empty value matches every message that has the header.
		sc.Header = append(sc.Header, imap.SearchCriteriaHeaderField{Key: h[0], Value: h[1]})
	}
	if c.HasAttachment != nil && *c.HasAttachment {
		// Prefilter only (RFC 9051 has no attachment key); pages confirm
		// with BODYSTRUCTURE. Any multipart: an inline image that counts as
		// an attachment sits in multipart/related, not multipart/mixed.
		hdr("Content-Type", "multipart/")
	}
	if c.Undeleted {
		sc.NotFlag = append(sc.NotFlag, imap.FlagDeleted)
	}
	if c.Text != "" {
		sc.Text = []string{c.Text}
	}
	if c.Body != "" {
		sc.Body = []string{c.Body}
	}
	flag := func(p *bool, f imap.Flag) {
		if p == nil {
			return
		}
		if *p {
			sc.Flag = append(sc.Flag, f)
		} else {
			sc.NotFlag = append(sc.NotFlag, f)
		}
	}
	flag(c.Seen, imap.FlagSeen)
	flag(c.Flagged, imap.FlagFlagged)
	flag(c.Answered, imap.FlagAnswered)
	return sc
}

// validate refuses criteria no server can run.
func (c Criteria) validate() error {
	bad := func(format string, args ...any) error {
		return &fault.Error{Kind: fault.Invalid, Op: "search", Err: fmt.Errorf(format, args...)}
	}
	if c.Larger < 0 || c.Smaller < 0 {
		return bad("larger and smaller must not be negative")
	}
	if c.Larger > 0 && c.Smaller > 0 && c.Smaller <= c.Larger+1 {
		return bad("no message is larger than %d and smaller than %d bytes", c.Larger, c.Smaller)
	}
	if !c.Since.IsZero() && !c.Before.IsZero() && !c.Before.After(c.Since) {
		return bad("before (%s) must be after since (%s)", c.Before.Format(time.DateOnly), c.Since.Format(time.DateOnly))
	}
	for _, h := range c.Header {
		if h[0] == "" || strings.ContainsAny(h[0], " :\r\n\t") {
			return bad("header name %q is not valid", h[0])
		}
	}
	for _, s := range []string{c.From, c.To, c.Cc, c.Subject, c.Text, c.Body, c.GmailQuery} {
		if strings.ContainsAny(s, "\r\n") {
			return bad("search text must not contain line breaks")
		}
	}
	if c.Thread != "" {
		if _, err := ParseID(c.Thread); err != nil {
			return err
		}
	}
	return nil
}

// Page is one page of search results, newest first.
type Page struct {
	Folder   string     `json:"folder"`
	Messages []Envelope `json:"messages"`
	// Total counts the matches from this page on (all of them on page one);
	// with has_attachment it counts candidates before confirmation.
	Total int `json:"total_matches"`
	// TotalAtLeast: the local index stopped counting at Total, and more
	// match (the next cursor still pages through all of them).
	TotalAtLeast bool   `json:"total_is_lower_bound,omitempty"`
	NextCursor   string `json:"next_cursor,omitempty"`
	// Source is "index" when the local index answered (IndexedAt: as of
	// its last sync), else empty: the server answered.
	Source    string `json:"source,omitempty"`
	IndexedAt string `json:"as_of,omitempty"`
}

// Search returns the newest messages of folder (or of every folder, with
// FolderAll) matching crit, limit per page; after is the previous page's
// NextCursor. The server does the matching and sends back UIDs only; only
// the page's envelopes are fetched.
func (p *Pool) Search(ctx context.Context, folder string, crit Criteria, limit int, after string) (*Page, error) {
	if err := crit.validate(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 100)
	if crit.Thread != "" {
		if ref, _ := ParseID(crit.Thread); ref.Account != p.acct.ID {
			return nil, &fault.Error{Kind: fault.Invalid, Op: "search", Err: fmt.Errorf("thread id belongs to account %q, not %q", ref.Account, p.acct.ID),
				Hint: "Search the account the message came from"}
		}
	}
	key := criteriaKey(crit)
	if folder == FolderAll {
		return p.searchAll(ctx, crit, limit, after, key)
	}
	if !strings.EqualFold(folder, "INBOX") {
		// A role (sent, drafts, trash, ...) becomes the server's folder
		// name, as for move and copy; INBOX needs no LIST.
		f, err := p.ResolveFolder(ctx, folder)
		if err != nil {
			return nil, err
		}
		folder = f.Name
	}
	var cur *cursor
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil {
			return nil, err
		}
		if c.All || c.Folder != folder || c.Criteria != key {
			return nil, errOtherCursor()
		}
		cur = &c
	}
	page := &Page{Folder: folder}
	err := p.Do(ctx, Op{Name: "search", Folder: folder, Idempotent: true}, func(ctx context.Context, c *Conn) error {
		*page = Page{Folder: folder}
		if crit.GmailQuery != "" && !c.Has(CapGmail) {
			return errNoGmail(p.acct.IMAP.Host)
		}
		var th *threadAnchor
		if crit.Thread != "" {
			var err error
			if th, err = p.resolveThread(ctx, c, crit.Thread); err != nil {
				return err
			}
			if err := c.Select(ctx, folder); err != nil {
				return err
			}
		}
		_, uv := c.Selected()
		if cur != nil && cur.UIDValidity != uv {
			return &fault.Error{Kind: fault.Stale, Op: "search", Err: fmt.Errorf("message ids for folder %q changed since this cursor was made", folder),
				Hint: "Search again without the cursor"}
		}
		if crit.empty() && cur == nil {
			return p.latest(ctx, c, folder, uv, limit, page)
		}
		var before imap.UID
		if cur != nil {
			before = imap.UID(cur.Before)
		}
		// A pooled connection that kept the folder selected may not have
		// synced mail delivered since: Dovecot answers a UID SEARCH from its
		// view before the command and announces new mail only after it
		// (seen in the conformance suite). One NOOP first, as for latest.
		if err := c.Refresh(ctx); err != nil {
			return err
		}
		uids, err := p.matchFolder(ctx, c, folder, crit, th, before)
		if err != nil {
			return err
		}
		page.Total = len(uids)
		inspect := uids[max(0, len(uids)-limit):]
		if page.Messages, err = p.pageEnvelopes(ctx, c, folder, uv, inspect, crit); err != nil {
			return err
		}
		if len(inspect) < len(uids) {
			page.NextCursor = encodeCursor(cursor{Folder: folder, UIDValidity: uv, Before: uint32(inspect[0]), Criteria: key})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

func errOtherCursor() error {
	return &fault.Error{Kind: fault.Invalid, Op: "search", Err: errors.New("this cursor belongs to a different search"),
		Hint: "Repeat the same folder and criteria with the cursor, or omit the cursor"}
}

// latest lists the newest messages by sequence range: no SEARCH at all
// (REFERENCE §5: flat ~0.5 ms at any folder size versus a linear UID
// SEARCH ALL).
func (p *Pool) latest(ctx context.Context, c *Conn, folder string, uv uint32, limit int, page *Page) error {
	if err := c.Refresh(ctx); err != nil {
		return err
	}
	n := c.NumMessages()
	page.Total = int(n)
	if n == 0 {
		return nil
	}
	lo := uint32(1)
	if n > uint32(limit) {
		lo = n - uint32(limit) + 1
	}
	var seq imap.SeqSet
	seq.AddRange(lo, n)
	envs, err := p.fetchEnvelopes(c, folder, uv, seq)
	if err != nil {
		return err
	}
	if err := c.addGmailMeta(ctx, envs); err != nil {
		return err
	}
	sortNewest(envs)
	page.Messages = envs[:min(len(envs), limit)]
	if len(page.Messages) > 0 && page.Total > len(page.Messages) {
		if oldest := page.Messages[len(page.Messages)-1].UID; oldest > 1 {
			page.NextCursor = encodeCursor(cursor{Folder: folder, UIDValidity: uv, Before: oldest, Criteria: criteriaKey(Criteria{})})
		}
	}
	return nil
}

// matchFolder returns the UIDs (ascending) of the selected folder that
// match crit, below before when it is not zero.
func (p *Pool) matchFolder(ctx context.Context, c *Conn, folder string, crit Criteria, th *threadAnchor, before imap.UID) ([]imap.UID, error) {
	sc := crit.imap()
	if before > 0 {
		if before == 1 {
			return nil, nil
		}
		var set imap.UIDSet
		set.AddRange(1, before-1)
		sc.UID = append(sc.UID, set)
	}
	restrict := func(uids []imap.UID) bool {
		if len(uids) == 0 {
			return false
		}
		sc.UID = append(sc.UID, imap.UIDSetNum(uids...))
		return true
	}
	if crit.GmailQuery != "" {
		uids, err := c.gmailSearch(ctx, "X-GM-RAW", crit.GmailQuery)
		if err != nil {
			return nil, err
		}
		if !restrict(uids) {
			return nil, nil
		}
	}
	if th != nil {
		ok, err := th.narrow(ctx, c, folder, sc)
		if err != nil || !ok {
			return nil, err
		}
	}
	uids, err := c.uidSearch(sc)
	if err != nil {
		return nil, err
	}
	slices.Sort(uids)
	return uids, nil
}

// pageEnvelopes fetches the envelopes of uids (only these), confirms
// has_attachment from BODYSTRUCTURE, adds Gmail ids, newest first.
func (p *Pool) pageEnvelopes(ctx context.Context, c *Conn, folder string, uv uint32, uids []imap.UID, crit Criteria) ([]Envelope, error) {
	if len(uids) == 0 {
		return nil, nil
	}
	envs, err := p.fetchEnvelopes(c, folder, uv, imap.UIDSetNum(uids...))
	if err != nil {
		return nil, err
	}
	if want := crit.HasAttachment; want != nil {
		envs = slices.DeleteFunc(envs, func(e Envelope) bool { return e.HasAttachments != *want })
	}
	if err := c.addGmailMeta(ctx, envs); err != nil {
		return nil, err
	}
	sortNewest(envs)
	return envs, nil
}

func sortNewest(envs []Envelope) {
	slices.SortFunc(envs, func(a, b Envelope) int { return int(int64(b.UID) - int64(a.UID)) })
}

// fetchEnvelopes fetches the listing items (no body bytes) for set.
func (p *Pool) fetchEnvelopes(c *Conn, folder string, uv uint32, set imap.NumSet) ([]Envelope, error) {
	msgs, err := c.c.Fetch(set, envelopeFetch).Collect()
	if err != nil {
		return nil, err
	}
	out := make([]Envelope, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, toEnvelope(p.acct.ID, folder, uv, m))
	}
	return out, nil
}
