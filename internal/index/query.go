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
	Folders                           []string
	From, To, Cc, Subject, Body, Text string
	Since, Before                     time.Time
	Seen, Flagged, Answered           *bool
	HasAttachment                     *bool
	Larger, Smaller                   int64
	Limit                             int
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
	// Total counts the matches from this page on, as the server's does.
	Total int
	Next  *Pos
}

// ErrUnanswerable: the query needs the server (see Answerable).
var ErrUnanswerable = errors.New("index: these criteria need the server")

// MinTerm is the shortest text term the trigram index can match.
const MinTerm = 3

// Answerable reports whether q can be answered from the index: every text
// term has at least MinTerm characters.
func (q *Query) Answerable() bool {
	for _, s := range []string{q.From, q.To, q.Cc, q.Subject, q.Body, q.Text} {
		if s != "" && utf8.RuneCountInString(s) < MinTerm {
			return false
		}
	}
	return !q.Relevance || q.hasText()
}

func (q *Query) hasText() bool {
	return q.From != "" || q.To != "" || q.Cc != "" || q.Subject != "" || q.Body != "" || q.Text != ""
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
	add("headers body", q.Text)
	return strings.Join(parts, " AND ")
}

// where returns the conditions shared by the page and the count.
func (q *Query) where() (string, []any) {
	var conds []string
	var args []any
	if m := q.match(); m != "" {
		conds = append(conds, "fts MATCH ?")
		args = append(args, m)
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(q.Folders)), ",")
	conds = append(conds, "m.folder IN ("+ph+")", "m.uidvalidity = (SELECT uidvalidity FROM folders WHERE name = m.folder)")
	for _, f := range q.Folders {
		args = append(args, f)
	}
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
	if q.HasAttachment != nil {
		conds, args = append(conds, "m.has_att = ?"), append(args, *q.HasAttachment)
	}
	if q.Larger > 0 {
		conds, args = append(conds, "m.size > ?"), append(args, q.Larger)
	}
	if q.Smaller > 0 {
		conds, args = append(conds, "m.size < ?"), append(args, q.Smaller)
	}
	if a := q.After; a != nil && !q.Relevance {
		if len(q.Folders) == 1 {
			conds, args = append(conds, "m.uid < ?"), append(args, a.UID)
		} else {
			conds, args = append(conds, "(m.arrived < ? OR (m.arrived = ? AND m.id < ?))"), append(args, a.Arrived, a.Arrived, a.ID)
		}
	}
	return strings.Join(conds, " AND "), args
}

// Search runs q.
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
	from := "msgs m JOIN fts ON fts.rowid = m.id"
	where, args := q.where()
	order := "m.uid DESC"
	if len(q.Folders) > 1 {
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
	// A read transaction: the page and its count see one snapshot.
	tx, err := ix.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, classify(fmt.Errorf("index: search: %w", err))
	}
	defer tx.Rollback()
	res := &Result{}
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+from+" WHERE "+where, args...).Scan(&res.Total); err != nil {
		return nil, classify(fmt.Errorf("index: search: %w", err))
	}
	if q.Relevance {
		res.Total -= offset
	}
	rows, err := tx.QueryContext(ctx, `SELECT m.id, m.folder, m.uidvalidity, m.uid, m.arrived, m.date, m.flags, m.size, m.has_att, m.message_id, m.env, fts.subject, `+snippet+
		` FROM `+from+` WHERE `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, append(args, q.Limit, offset)...)
	if err != nil {
		return nil, classify(fmt.Errorf("index: search: %w", err))
	}
	defer rows.Close()
	var lastID int64
	for rows.Next() {
		var h Hit
		var arrived int64
		var flags string
		var env []byte
		if err := rows.Scan(&lastID, &h.Folder, &h.UIDValidity, &h.UID, &arrived, &h.Date, &flags, &h.Size, &h.HasAtt, &h.MessageID, &env, &h.Subject, &h.Snippet); err != nil {
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
	}
	if err := rows.Err(); err != nil {
		return nil, classify(fmt.Errorf("index: search: %w", err))
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
	var flags, subject, body string
	var env []byte
	err := ix.db.QueryRowContext(ctx, `SELECT m.arrived, m.flags, m.size, m.env, m.cached_at, fts.subject, fts.body
		FROM msgs m JOIN fts ON fts.rowid = m.id WHERE m.folder = ? AND m.uidvalidity = ? AND m.uid = ?`, folder, uidValidity, uid).
		Scan(&arrived, &flags, &m.Size, &env, &cached, &subject, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotIndexed
	}
	if err != nil {
		return nil, classify(fmt.Errorf("index: read message: %w", err))
	}
	m.Arrived, m.CachedAt, m.Flags = time.Unix(arrived, 0), time.UnixMilli(cached), strings.Fields(flags)
	if m.Parsed, err = fromRow(env, subject, body); err != nil {
		return nil, err
	}
	return m, nil
}
