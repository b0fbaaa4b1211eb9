package index_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/index"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

func dovecotAccount(s *testrig.Stack, u testrig.User) *imapconn.Account {
	return &imapconn.Account{ID: "t", Email: u.Email, TLS: s.TLSConfig(),
		IMAP: imapconn.Endpoint{Host: s.Host, Port: s.IMAPSPort, TLS: imapconn.TLSImplicit},
		Auth: &imapconn.PasswordLogin{Username: u.Username, Source: auth.SecretSource{Command: "printf %s '" + u.Password + "'"}}}
}

func testLog() *slog.Logger {
	if os.Getenv("MAILMCP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// variedMessage is message i of a mailbox with a spread of senders,
// subjects, bodies, sizes and attachments, so criteria select different
// subsets.
func variedMessage(u testrig.User, i int) []byte {
	senders := []string{"Alice Martin <alice@example.test>", "Bob Stone <bob@corp.example>", "=?UTF-8?Q?Zo=C3=AB_M=C3=BCller?= <zoe@example.org>", "noreply@shop.example"}
	subjects := []string{"Invoice %d for March", "Meeting notes %d", "Re: Project Falcon update %d", "Your order %d has shipped", "=?UTF-8?B?w5xiZXJ3ZWlzdW5n?= %d"}
	bodies := []string{"Please find the invoice attached. Total due: 120 EUR.", "We discussed the roadmap and the Falcon launch date.",
		"Ihre Überweisung ist eingegangen. Danke!", "Tracking number ZX%d-QK; expected delivery Friday."}
	date := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7 * time.Hour)
	body := fmt.Sprintf(bodies[i%len(bodies)], i) + strings.Repeat("\r\nfiller line", i%7*20)
	head := "From: " + senders[i%len(senders)] + "\r\nTo: " + u.Email + "\r\n"
	if i%3 == 0 {
		head += "Cc: Carol Team <carol@corp.example>\r\n"
	}
	head += "Subject: " + fmt.Sprintf(subjects[i%len(subjects)], i) + "\r\nDate: " + date.Format(time.RFC1123Z) +
		"\r\nMessage-ID: <v" + fmt.Sprint(i) + "@example.test>\r\nMIME-Version: 1.0\r\n"
	if i%5 == 0 {
		return []byte(head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body +
			"\r\n--b\r\nContent-Type: application/pdf; name=report.pdf\r\nContent-Disposition: attachment; filename=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n")
	}
	return []byte(head + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body + "\r\n")
}

func ids(acct string, r *index.Result) []string {
	var out []string
	for _, h := range r.Hits {
		out = append(out, imapconn.MessageRef{Account: acct, Folder: h.Folder, UIDValidity: h.UIDValidity, UID: imap.UID(h.UID)}.ID())
	}
	return out
}

func serverIDs(p *imapconn.Page) []string {
	var out []string
	for _, e := range p.Messages {
		out = append(out, e.ID)
	}
	return out
}

// TestSameResultsAsDovecot syncs a varied mailbox and compares the index's
// answer with Dovecot's SEARCH for a table of criteria, then again after
// flag changes and expunges on the server.
func TestSameResultsAsDovecot(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	s.PopulateFunc(t, u, "INBOX", 120, func(i int) []byte { return variedMessage(u, i) })
	ctx := context.Background()
	pool, ix := poolAndIndex(t, dovecotAccount(s, u))
	sy := index.NewSyncer(ix, pool, index.SyncOptions{Batch: 25, Log: testLog()})
	if err := sy.SyncAll(ctx); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	table := []imapconn.Criteria{
		{Subject: "invoice"},
		{Subject: "NOTES 1"},
		{Subject: "alcon"},
		{Subject: "überweisung"},
		{From: "alice"},
		{From: "Stone"},
		{From: "corp.example"},
		{From: "Müller"},
		{To: u.Email},
		{Cc: "carol"},
		{Body: "roadmap"},
		{Body: "ZX1"},
		{Body: "filler line"},
		{Body: "eingegangen"},
		{Subject: "order", Body: "tracking"},
		{From: "bob", Seen: &no},
		{Larger: 800},
		{Smaller: 600},
		{Larger: 500, Smaller: 900, From: "alice"},
		{Subject: "nothing like this"},
		{Since: day(2025, 1, 10)},
		{Before: day(2025, 1, 20), From: "alice"},
	}
	compare := func(t *testing.T, when string) {
		nonEmpty := 0
		defer func() {
			// The table is worth something only if most criteria match.
			if nonEmpty < len(table)*2/3 {
				t.Errorf("%s: only %d of %d criteria matched anything", when, nonEmpty, len(table))
			}
		}()
		for _, c := range table {
			q, ok := index.FromCriteria(c, []string{"INBOX"}, 100)
			if !ok {
				t.Fatalf("%+v: index cannot answer", c)
			}
			got, err := ix.Search(ctx, q)
			if err != nil {
				t.Fatalf("%+v: %v", c, err)
			}
			want, err := pool.Search(ctx, "INBOX", c, 100, "")
			if err != nil {
				t.Fatalf("%+v: server: %v", c, err)
			}
			if want.Total > 0 {
				nonEmpty++
			}
			t.Logf("%s: %+v: server %d", when, c, want.Total)
			if g, w := ids("t", got), serverIDs(want); !slices.Equal(g, w) || got.Total != want.Total {
				t.Errorf("%s: %+v: index has %d (total %d), server %d (total %d)", when, c, len(g), got.Total, len(w), want.Total)
			}
		}
	}
	compare(t, "after backfill")
	undo := index.SetLikeRows(1 << 40)
	compare(t, "after backfill, counting by LIKE")
	undo()
	// TEXT covers every header, which the index does not keep: the server.
	if _, ok := index.FromCriteria(imapconn.Criteria{Text: "falcon"}, []string{"INBOX"}, 20); ok {
		t.Error("the index claims to answer TEXT")
	}
	// Flag changes and expunges on the server, seen by the next sync.
	c := rawClient(t, s, u)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	var set imap.UIDSet
	set.AddRange(1, 40)
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	var del imap.UIDSet
	del.AddRange(30, 45)
	if err := c.Store(del, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.UIDExpunge(del).Close(); err != nil {
		t.Fatal(err)
	}
	// \Deleted without expunge: Undeleted (list_drafts) leaves them out.
	var flagDel imap.UIDSet
	flagDel.AddRange(50, 55)
	if err := c.Store(flagDel, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	table = append(table, imapconn.Criteria{Seen: &yes}, imapconn.Criteria{Seen: &no, Subject: "meeting"}, imapconn.Criteria{Undeleted: true}, imapconn.Criteria{Undeleted: true, From: "alice"})
	if err := sy.SyncAll(ctx); err != nil {
		t.Fatal(err)
	}
	compare(t, "after flags and expunge")
}

func rawClient(t testing.TB, s *testrig.Stack, u testrig.User) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialTLS(s.IMAPSAddr(), &imapclient.Options{TLSConfig: s.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(u.Username, u.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMaxBytesStopsIndexing: at index_max_bytes indexing stops, says why,
// and the folder stays incomplete (so search keeps using the server).
func TestMaxBytesStopsIndexing(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	s.Populate(t, u, "INBOX", 500)
	ctx := context.Background()
	pool, ix := poolAndIndex(t, dovecotAccount(s, u))
	if err := index.NewSyncer(ix, pool, index.SyncOptions{Batch: 100, MaxBytes: 256 << 10, Log: testLog()}).SyncAll(ctx); err != nil {
		t.Fatal(err)
	}
	all, err := ix.Folders(ctx)
	fs := slices.DeleteFunc(all, func(f index.FolderState) bool { return f.Name != "INBOX" })
	if err != nil || len(fs) != 1 {
		t.Fatalf("folders: %v %v", fs, err)
	}
	if fs[0].Complete || fs[0].Indexed >= 500 || fs[0].Indexed == 0 || !strings.Contains(ix.Stopped(), "index_max_bytes") {
		t.Fatalf("want a partial index stopped at index_max_bytes: %+v, stopped %q", fs[0], ix.Stopped())
	}
	// The newest messages are the ones indexed.
	r, err := ix.Search(ctx, index.Query{Folders: []string{"INBOX"}, Limit: 1})
	if err != nil || len(r.Hits) != 1 || r.Hits[0].UID != 500 {
		t.Fatalf("newest indexed: %+v %v", r, err)
	}
}

// poolAndIndex is a pool on acct and an empty index, both closed at the
// end of the test.
func poolAndIndex(t testing.TB, acct *imapconn.Account) (*imapconn.Pool, *index.Index) {
	t.Helper()
	ctx := context.Background()
	pool := imapconn.NewPool(acct, testLog())
	t.Cleanup(func() { pool.Close(ctx) })
	ix, err := index.Open(ctx, t.TempDir()+"/t.db", testLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return pool, ix
}
