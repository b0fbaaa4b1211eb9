// Command indexbench compares embedded full-text engines for the local mail
// index (issue 18) on one synthetic corpus: SQLite FTS5 through the pure-Go
// modernc.org/sqlite driver (trigram tokenizer, which gives IMAP SEARCH's
// case-insensitive substring semantics, and unicode61 words) and
// github.com/blevesearch/bleve/v2. It is its own module so that the
// candidate that lost stays out of mailmcp's go.mod.
//
//	cd scripts/indexbench && go run . -n 20000
//
// It reports index time, on-disk size, the median of warm queries (20 newest
// hits for a subject word, a from address and a body word) and the
// process's peak RSS after each engine (run one engine per process with
// -engine for a clean RSS figure).
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	_ "modernc.org/sqlite"
)

type doc struct {
	ID      int
	Date    int64
	From    string
	Subject string
	Body    string
}

var words []string

func init() {
	// A Zipf-like vocabulary: a few common words, a long tail of rare ones.
	common := strings.Fields("the and to of a in for is on that with you it this be are from at as your have meeting invoice project report please thanks")
	words = append(words, common...)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		n := 4 + r.IntN(6)
		b := make([]byte, n)
		for j := range b {
			b[j] = byte('a' + r.IntN(26))
		}
		words = append(words, string(b))
	}
}

func corpus(n int) []doc {
	r := rand.New(rand.NewPCG(3, 4))
	z := rand.NewZipf(r, 1.1, 1, uint64(len(words)-1))
	text := func(k int) string {
		var sb strings.Builder
		for i := 0; i < k; i++ {
			if i > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(words[z.Uint64()])
		}
		return sb.String()
	}
	docs := make([]doc, n)
	for i := range docs {
		docs[i] = doc{ID: i + 1, Date: int64(1_700_000_000 + i*60),
			From:    fmt.Sprintf("Sender %d <sender%d@example.test>", i%500, i%500),
			Subject: text(6), Body: text(150 + r.IntN(250))}
	}
	return docs
}

func dirSize(p string) int64 {
	var n int64
	filepath.Walk(p, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

func median(f func()) time.Duration {
	f()
	var ts []time.Duration
	for i := 0; i < 51; i++ {
		t := time.Now()
		f()
		ts = append(ts, time.Since(t))
	}
	slices.Sort(ts)
	return ts[len(ts)/2]
}

func rssMB() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}

type queries struct{ subject, from, body string }

func benchSQLite(dir string, docs []doc, tokenizer string, q queries) {
	path := filepath.Join(dir, "idx.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	must(err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	_, err = db.Exec(`CREATE TABLE msg(id INTEGER PRIMARY KEY, date INTEGER, sender TEXT, subject TEXT, body TEXT);
CREATE VIRTUAL TABLE fts USING fts5(sender, subject, body, content='msg', content_rowid='id', tokenize='` + tokenizer + `');`)
	must(err)
	t0 := time.Now()
	for i := 0; i < len(docs); i += 1000 {
		tx, err := db.Begin()
		must(err)
		ins, _ := tx.Prepare(`INSERT INTO msg(id,date,sender,subject,body) VALUES(?,?,?,?,?)`)
		fts, _ := tx.Prepare(`INSERT INTO fts(rowid,sender,subject,body) VALUES(?,?,?,?)`)
		for _, d := range docs[i:min(i+1000, len(docs))] {
			_, err = ins.Exec(d.ID, d.Date, d.From, d.Subject, d.Body)
			must(err)
			_, err = fts.Exec(d.ID, d.From, d.Subject, d.Body)
			must(err)
		}
		must(tx.Commit())
	}
	_, err = db.Exec(`INSERT INTO fts(fts) VALUES('optimize'); PRAGMA wal_checkpoint(TRUNCATE);`)
	must(err)
	took := time.Since(t0)
	quote := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	run := func(col, term string) func() {
		return func() {
			rows, err := db.Query(`SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid DESC LIMIT 20`, col+":"+quote(term))
			must(err)
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			if n == 0 {
				panic("no hits for " + term)
			}
		}
	}
	rank := func() {
		rows, err := db.Query(`SELECT rowid, snippet(fts, 2, '[', ']', '…', 8) FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 20`, "body:"+quote(q.body))
		must(err)
		for rows.Next() {
		}
		rows.Close()
	}
	fmt.Printf("sqlite-fts5/%s\tindex %v\tsize %.1f MB\tsubject %v\tfrom %v\tbody %v\tbody-bm25+snippet %v\tpeak RSS %s\n", tokenizer,
		took.Round(time.Millisecond), float64(dirSize(dir))/1e6, median(run("subject", q.subject)), median(run("sender", q.from)),
		median(run("body", q.body)), median(rank), rssMB())
}

func benchBleve(dir string, docs []doc, q queries) {
	m := bleve.NewIndexMapping()
	idx, err := bleve.New(filepath.Join(dir, "bleve"), m)
	must(err)
	defer idx.Close()
	t0 := time.Now()
	for i := 0; i < len(docs); i += 1000 {
		b := idx.NewBatch()
		for _, d := range docs[i:min(i+1000, len(docs))] {
			must(b.Index(fmt.Sprintf("%010d", d.ID), map[string]any{"date": float64(d.Date), "from": d.From, "subject": d.Subject, "body": d.Body}))
		}
		must(idx.Batch(b))
	}
	took := time.Since(t0)
	run := func(field, term string, byDate bool) func() {
		return func() {
			mq := bleve.NewMatchPhraseQuery(term)
			mq.SetField(field)
			req := bleve.NewSearchRequestOptions(mq, 20, 0, false)
			if byDate {
				req.SortBy([]string{"-date"})
			} else {
				req.Highlight = bleve.NewHighlight()
				req.Fields = nil
			}
			res, err := idx.Search(req)
			must(err)
			if res.Total == 0 {
				panic("no hits for " + term)
			}
		}
	}
	fmt.Printf("bleve/v2\tindex %v\tsize %.1f MB\tsubject %v\tfrom %v\tbody %v\tbody-bm25+snippet %v\tpeak RSS %s\n",
		took.Round(time.Millisecond), float64(dirSize(dir))/1e6, median(run("subject", q.subject, true)), median(run("from", q.from, true)),
		median(run("body", q.body, true)), median(run("body", q.body, false)), rssMB())
}

// rareWord is the first word of s of 5 or more letters (no stop words).
func rareWord(s string) string {
	for _, w := range strings.Fields(s) {
		if len(w) >= 5 {
			return w
		}
	}
	return "meeting"
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func main() {
	n := flag.Int("n", 20000, "messages in the corpus")
	engine := flag.String("engine", "all", "trigram, unicode61, bleve or all")
	flag.Parse()
	docs := corpus(*n)
	var raw int64
	for _, d := range docs {
		raw += int64(len(d.From) + len(d.Subject) + len(d.Body))
	}
	fmt.Printf("corpus: %d messages, %.1f MB of text\n", *n, float64(raw)/1e6)
	// Terms of middling frequency from the corpus itself.
	q := queries{subject: rareWord(docs[len(docs)-5].Subject), from: "sender42@example.test", body: rareWord(docs[len(docs)-3].Body)}
	for _, e := range []string{"trigram", "unicode61", "bleve"} {
		if *engine != "all" && *engine != e {
			continue
		}
		dir, err := os.MkdirTemp("", "indexbench")
		must(err)
		if e == "bleve" {
			benchBleve(dir, docs, q)
		} else {
			benchSQLite(dir, docs, e, q)
		}
		os.RemoveAll(dir)
	}
}
