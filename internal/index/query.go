package index

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailmcp/mailmcp/parse"
)

// Query selects indexed messages; zero fields do not restrict and all given
// ones must match, as in imapconn.Criteria.
type Query struct {
	// Folders to search: one folder, or several (then ordered by arrival).
	Folders                     []string
	From, To, Cc, Subject, Body string
	Since, Before               time.Time
	Seen, Flagged, Answered     *bool
	HasAttachment               *bool
	Larger, Smaller             int64
	// Undeleted leaves out messages flagged \Deleted.
	Undeleted bool
	Limit     int
	// Relevance orders by BM25 (needs a text criterion) and adds snippets.
	Relevance bool
	// After continues from a previous Result.Next.
	After *Pos
}

// Pos is where the next page starts.
type Pos struct {
	UID     uint32 `json:"u,omitempty"`
	Arrived int64  `json:"a,omitempty"`
	ID      int64  `json:"i,omitempty"`
	Offset  int    `json:"o,omitempty"`
}

// Hit is one matching message.
type Hit struct {
	Folder      string
	UIDValidity uint32
	UID         uint32
	Arrived     time.Time
	Date        string
	Flags       []string
	Size        int64
	HasAtt      bool
	MessageID   string
	Subject     string
	From, To    []parse.Address
	Cc          []parse.Address
	// Snippet is the best matching passage (relevance order only).
	Snippet string
}

// Result is one page of hits.
type Result struct {
	Hits []Hit
	// Total counts the matches from this page on, as the server's does,
	// up to CountCap: beyond it counting stops and AtLeast is set (Total is
	// then a lower bound, CountCap).
	Total   int
	AtLeast bool
	Next    *Pos
}

// ErrUnanswerable: the query needs the server (see Answerable).
var ErrUnanswerable = errors.New("index: these criteria need the server")

// MinTerm is the shortest text term the trigram index can match.
const MinTerm = 3

// Answerable reports whether q can be answered from the index: every text
// term has at least MinTerm characters.
func (q *Query) Answerable() bool {
	for _, s := range []string{q.From, q.To, q.Cc, q.Subject, q.Body} {
		if s != "" && utf8.RuneCountInString(s) < MinTerm {
			return false
		}
	}
	return !q.Relevance || q.hasText()
}

func (q *Query) hasText() bool {
	return q.From != "" || q.To != "" || q.Cc != "" || q.Subject != "" || q.Body != ""
}

// onlyText: no criterion but the text ones (and the folder).
func (q *Query) onlyText() bool {
	return q.Since.IsZero() && q.Before.IsZero() && q.Seen == nil && q.Flagged == nil && q.Answered == nil &&
		q.HasAttachment == nil && q.Larger == 0 && q.Smaller == 0 && !q.Undeleted
}

// match builds the FTS5 query: each term a quoted string (a substring test
// under the trigram tokenizer) limited to its columns.
func (q *Query) match() string {
	var parts []string
	add := func(cols, term string) {
		if term != "" {
			parts = append(parts, "{"+cols+"} : \""+strings.ReplaceAll(term, `"`, `""`)+"\"")
		}
	}
	add("hfrom", q.From)
	add("hto", q.To)
	add("hcc", q.Cc)
	add("subject", q.Subject)
	add("body", q.Body)
	return strings.Join(parts, " AND ")
}

// idRange is one folder's span of message ids (see the msgs schema).
func idRange(fid int64) (lo, hi int64) { return fid << 32, fid<<32 | 0xFFFFFFFF }

// where returns the conditions on msgs (alias m) shared by the page and
// the count; fids are the folders' ids.
func (q *Query) where(fids []int64) (string, []any) {
	var conds []string
	var args []any
	var spans []string
	for _, fid := range fids {
		lo, hi := idRange(fid)
		if a := q.After; a != nil && !q.Relevance && len(fids) == 1 {
			hi = lo + int64(a.UID) - 1
		}
		spans = append(spans, "m.id BETWEEN ? AND ?")
		args = append(args, lo, hi)
	}
	conds = append(conds, "("+strings.Join(spans, " OR ")+")")
	if !q.Since.IsZero() {
		conds, args = append(conds, "m.arrived >= ?"), append(args, q.Since.Unix())
	}
	if !q.Before.IsZero() {
		conds, args = append(conds, "m.arrived < ?"), append(args, q.Before.Unix())
	}
	bit := func(p *bool, b int) {
		if p == nil {
			return
		}
		if *p {
			conds = append(conds, fmt.Sprintf("m.flagbits & %d != 0", b))
		} else {
			conds = append(conds, fmt.Sprintf("m.flagbits & %d = 0", b))
		}
	}
	bit(q.Seen, bitSeen)
	bit(q.Answered, bitAnswered)
	bit(q.Flagged, bitFlagged)
	if q.Undeleted {
		conds = append(conds, fmt.Sprintf("m.flagbits & %d = 0", bitDeleted))
	}
	if q.HasAttachment != nil {
		conds, args = append(conds, "m.has_att = ?"), append(args, *q.HasAttachment)
	}
	if q.Larger > 0 {
		conds, args = append(conds, "m.size > ?"), append(args, q.Larger)
	}
	if q.Smaller > 0 {
		conds, args = append(conds, "m.size < ?"), append(args, q.Smaller)
	}
	if a := q.After; a != nil && !q.Relevance && len(fids) > 1 {
		conds, args = append(conds, "(m.arrived < ? OR (m.arrived = ? AND m.id < ?))"), append(args, a.Arrived, a.Arrived, a.ID)
	}
	return strings.Join(conds, " AND "), args
}

// Search runs q in one read transaction (the page and its count see one
// snapshot). With a text criterion the full-text index drives the query;
// in one folder it yields ids newest first, so the page stops after limit
// hits instead of sorting every match.
func (ix *Index) Search(ctx context.Context, q Query) (*Result, error) {
	if ix.db == nil {
		return nil, errors.New("index: closed")
	}
	if len(q.Folders) == 0 {
		return &Result{}, nil
	}
	if !q.Answerable() {
		return nil, ErrUnanswerable
	}
	if q.Limit <= 0 {
		q.Limit = 20
	}
	tx, err := ix.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, classify(fmt.Errorf("index: search: %w", err))
	}
	defer tx.Rollback()
	var fids []int64
	for _, name := range q.Folders {
		var fid int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM folders WHERE name = ?`, name).Scan(&fid)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, classify(fmt.Errorf("index: search: %w", err))
		}
		fids = append(fids, fid)
	}
	if len(fids) == 0 {
		return &Result{}, nil
	}
	where, args := q.where(fids)
	from := "msgs m"
	match := q.match()
	if match != "" {
		from = "fts JOIN msgs m ON m.id = fts.rowid"
		where = "fts MATCH ? AND " + where
		args = append([]any{match}, args...)
	}
	order := "m.id DESC"
	if match != "" {
		order = "fts.rowid DESC"
	}
	if len(fids) > 1 {
		order = "m.arrived DESC, m.id DESC"
	}
	snippet := "''"
	offset := 0
	if q.Relevance {
		order = "bm25(fts), m.id DESC"
		snippet = "snippet(fts, -1, '', '', '…', 16)"
		if q.After != nil {
			offset = q.After.Offset
		}
	}
	// Streaming newest first from the full-text index, the page's rows are
	// the only ones read, so their subjects come with them; a sorted page
	// would read every match's text, so its subjects are read afterwards.
	subject, streamed := "''", order == "fts.rowid DESC"
	if streamed {
		subject = "fts.subject"
	}
	res := &Result{}
	rows, err := tx.QueryContext(ctx, `SELECT m.id, m.folder, m.uidvalidity, m.uid, m.arrived, m.date, m.flags, m.size, m.has_att, m.message_id, m.env, `+snippet+`, `+subject+
		` FROM `+from+` WHERE `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, q.Limit, offset)...)
	if err != nil {
		return nil, classify(fmt.Errorf("index: search: %w", err))
	}
	defer rows.Close()
	var lastID int64
	var ids []int64
	for rows.Next() {
		var h Hit
		var arrived int64
		var flags string
		var env []byte
		if err := rows.Scan(&lastID, &h.Folder, &h.UIDValidity, &h.UID, &arrived, &h.Date, &flags, &h.Size, &h.HasAtt, &h.MessageID, &env, &h.Snippet, &h.Subject); err != nil {
			return nil, classify(fmt.Errorf("index: search: %w", err))
		}
		h.Arrived = time.Unix(arrived, 0)
		h.Flags = strings.Fields(flags)
		var a struct {
			From []parse.Address `json:"from"`
			To   []parse.Address `json:"to"`
			Cc   []parse.Address `json:"cc"`
		}
		if json.Unmarshal(env, &a) == nil {
			h.From, h.To, h.Cc = a.From, a.To, a.Cc
		}
		res.Hits = append(res.Hits, h)
		ids = append(ids, lastID)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(fmt.Errorf("index: search: %w", err))
	}
	rows.Close()
	for i := range res.Hits {
		if streamed {
			break // read with the page
		}
		if err := tx.QueryRowContext(ctx, `SELECT subject FROM fts WHERE rowid = ?`, ids[i]).Scan(&res.Hits[i].Subject); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, classify(fmt.Errorf("index: search: %w", err))
		}
	}
	// The count after the page: the page tells how dense the matches are.
	if res.Total, err = ix.count(ctx, tx, &q, fids, match, from, where, args, res.Hits, offset); err != nil {
		return nil, classify(fmt.Errorf("index: search: %w", err))
	}
	if res.Total > CountCap {
		res.Total, res.AtLeast = CountCap, true
	}
	if n := len(res.Hits); n > 0 && n < res.Total {
		last := res.Hits[n-1]
		res.Next = &Pos{UID: last.UID, Arrived: last.Arrived.Unix(), ID: lastID}
		if q.Relevance {
			res.Next = &Pos{Offset: offset + n}
		}
	}
	return res, nil
}

// ErrNotIndexed: the message is not in the index.
var ErrNotIndexed = errors.New("index: message not indexed")

// Get returns one indexed message.
func (ix *Index) Get(ctx context.Context, folder string, uidValidity, uid uint32) (*Message, error) {
	if ix.db == nil {
		return nil, errors.New("index: closed")
	}
	m := &Message{Folder: folder, UIDValidity: uidValidity, UID: uid}
	var arrived, cached int64
	var flags, subject, body, messageID, date string
	var env []byte
	err := ix.db.QueryRowContext(ctx, `SELECT m.arrived, m.flags, m.size, m.env, m.cached_at, m.message_id, m.date, fts.subject, fts.body
		FROM msgs m JOIN fts ON fts.rowid = m.id WHERE m.folder = ? AND m.uidvalidity = ? AND m.uid = ?`, folder, uidValidity, uid).
		Scan(&arrived, &flags, &m.Size, &env, &cached, &messageID, &date, &subject, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotIndexed
	}
	if err != nil {
		return nil, classify(fmt.Errorf("index: read message: %w", err))
	}
	m.Arrived, m.CachedAt, m.Flags = time.Unix(arrived, 0), time.UnixMilli(cached), strings.Fields(flags)
	if m.Parsed, err = fromRow(env, subject, body, messageID, date); err != nil {
		return nil, err
	}
	return m, nil
}

// CountCap bounds the counting of matches: an exact count of a term in
// most of 100k messages costs tens of milliseconds (FTS5 checks the
// positions of every trigram of every match; a LIKE scan reads every
// row), the page of 20 under one. Counting stops after CountCap matches
// and the result says the total is at least that. A variable for tests.
var CountCap = 1000

// likeRows: counting by a scan of the stored header text (LIKE), newest
// first, is taken when the page's density says reaching CountCap+1 matches
// reads at most this many rows: there it beats FTS5's phrase matching,
// which checks the positions of every trigram of every match (measured at
// 100k: 0.3 ms against 2-6 ms for a From in every message). A sparse term
// would make the scan read most of the folder (25 ms at 100k), and bodies
// can be long, so body terms always count through the trigram index.
var likeRows = 4000 // a variable for tests

// count is the number of matches (Result.Total) after skip of them, by the
// cheapest exact way, counting at most CountCap+1 (more means "at least").
func (ix *Index) count(ctx context.Context, tx *sql.Tx, q *Query, fids []int64, match, from, where string, args []any, page []Hit, skip int) (int, error) {
	var n int
	capped := func(query string, args ...any) (int, error) {
		err := tx.QueryRowContext(ctx, "SELECT count(*) FROM ("+query+" LIMIT ?)", append(args, skip+CountCap+1)...).Scan(&n)
		return max(0, n-skip), err
	}
	if len(fids) != 1 || !q.onlyText() || q.Relevance {
		return capped("SELECT 1 FROM "+from+" WHERE "+where, args...)
	}
	lo, hi := idRange(fids[0])
	if a := q.After; a != nil {
		hi = lo + int64(a.UID) - 1
	}
	if match == "" {
		// The (folder, uidvalidity, uid) index is far smaller than the rows.
		return capped(`SELECT 1 FROM msgs WHERE folder = (SELECT name FROM folders WHERE id = ?)
			AND uidvalidity = (SELECT uidvalidity FROM folders WHERE id = ?) AND uid BETWEEN ? AND ?`, fids[0], fids[0], lo&0xFFFFFFFF, hi&0xFFFFFFFF)
	}
	if len(page) < q.Limit {
		return len(page), nil // the page holds every match
	}
	// Newest first, as the page: counting stops right below it when the
	// matches are dense.
	if like, largs, ok := q.likeScan(); ok && dense(page, hi) {
		return capped("SELECT 1 FROM fts_content WHERE id BETWEEN ? AND ? AND "+like+" ORDER BY id DESC", append([]any{lo, hi}, largs...)...)
	}
	return capped("SELECT 1 FROM fts WHERE fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid DESC", match, lo, hi)
}

// textTerms pairs each text criterion with its fts_content column.
func (q *Query) textTerms() [][2]string {
	var out [][2]string
	for _, t := range [][2]string{{"c1", q.From}, {"c2", q.To}, {"c3", q.Cc}, {"c0", q.Subject}, {"c4", q.Body}} {
		if t[1] != "" {
			out = append(out, t)
		}
	}
	return out
}

// likeScan is the LIKE condition equal to the trigram MATCH: possible only
// for ASCII terms, where LIKE's ASCII case folding is the tokenizer's, and
// taken for header terms only (see likeRows).
func (q *Query) likeScan() (string, []any, bool) {
	if q.Body != "" {
		return "", nil, false
	}
	var conds []string
	var args []any
	for _, t := range q.textTerms() {
		for _, r := range t[1] {
			if r >= utf8.RuneSelf {
				return "", nil, false
			}
		}
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(t[1])
		conds = append(conds, t[0]+` LIKE ? ESCAPE '\'`)
		args = append(args, "%"+esc+"%")
	}
	return strings.Join(conds, " AND "), args, len(conds) > 0
}

// dense estimates from the page (the newest matches, UIDs descending)
// how many rows a scan newest first reads to find CountCap+1 matches,
// assuming matches as dense below the page as in it, and whether that is
// at most likeRows. A wrong guess costs time only: both counts are exact.
func dense(page []Hit, hi int64) bool {
	top := uint32(hi & 0xFFFFFFFF)
	if top == 0xFFFFFFFF {
		top = page[0].UID
	}
	span := float64(top-page[len(page)-1].UID) + 1
	rows := span / float64(len(page)) * float64(CountCap+1)
	return rows <= float64(likeRows)
}
