package index_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/index"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/internal/watch"
)

// Benchmarks against the test rig's Dovecot, INBOX of 10,000 generated
// messages (testrig.Populate, as internal/imapconn's benchmarks) and
// 100,000 with MAILMCP_BENCH_100K=1. Run with
//
//	go test ./internal/index -run X -bench . -benchtime 1x      # backfill
//	go test ./internal/index -run X -bench Search -benchtime 200x
//
// BenchmarkBackfill builds the index from empty once per iteration and
// reports index bytes, the mailbox's bytes, their ratio and the process's
// peak RSS during the build. BenchmarkSearch times warm index queries for
// the 20 newest hits (with the exact total, as search returns it) and
// reports the median. BenchmarkNewMail delivers a message and times until
// the index answers with it, through the watcher's feed.

var benchSizes = []int{10_000, 100_000}

var benchBoxes struct {
	sync.Mutex
	users map[int]testrig.User
	ix    map[int]*index.Index
}

func benchMailbox(tb testing.TB, n int) (*testrig.Stack, testrig.User) {
	tb.Helper()
	if n > 10_000 && os.Getenv("MAILMCP_BENCH_100K") != "1" {
		tb.Skip("set MAILMCP_BENCH_100K=1 for the 100k-message mailbox")
	}
	s := testrig.Require(tb)
	benchBoxes.Lock()
	defer benchBoxes.Unlock()
	if u, ok := benchBoxes.users[n]; ok {
		return s, u
	}
	u, err := s.AddUser(fmt.Sprintf("ixbench%d", n), "")
	if err != nil {
		tb.Fatal(err)
	}
	s.Populate(tb, u, "INBOX", n)
	if benchBoxes.users == nil {
		benchBoxes.users, benchBoxes.ix = map[int]testrig.User{}, map[int]*index.Index{}
	}
	benchBoxes.users[n] = u
	return s, u
}

// mailboxBytes is the size of n generated messages.
func mailboxBytes(u testrig.User, n int) int64 {
	var total int64
	for i := 1; i <= n; i++ {
		total += int64(len(testrig.GeneratedMessage(u, i)))
	}
	return total
}

// peakRSS resets (reset) or reads the process's peak resident set, in bytes.
func peakRSS(tb testing.TB, reset bool) int64 {
	if reset {
		os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // Linux: resets VmHWM
		return 0
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func BenchmarkBackfill(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			s, u := benchMailbox(b, n)
			ctx := context.Background()
			pool := imapconn.NewPool(dovecotAccount(s, u), testLog())
			b.Cleanup(func() { pool.Close(ctx) })
			for range b.N {
				dir, err := os.MkdirTemp("", "ixbench")
				if err != nil {
					b.Fatal(err)
				}
				ix, err := index.Open(ctx, filepath.Join(dir, "b.db"), testLog())
				if err != nil {
					b.Fatal(err)
				}
				peakRSS(b, true)
				b.ResetTimer()
				t0 := time.Now()
				if err := index.NewSyncer(ix, pool, index.SyncOptions{Log: testLog()}).SyncAll(ctx); err != nil {
					b.Fatal(err)
				}
				took := time.Since(t0)
				b.StopTimer()
				size, box := ix.Size(), mailboxBytes(u, n)
				b.ReportMetric(took.Seconds(), "s/backfill")
				b.ReportMetric(float64(size)/(1<<20), "index-MiB")
				b.ReportMetric(float64(box)/(1<<20), "mailbox-MiB")
				b.ReportMetric(float64(size)/float64(box), "index/mailbox")
				b.ReportMetric(float64(peakRSS(b, false))/(1<<20), "peak-RSS-MiB")
				// BenchmarkSearch reuses the index instead of building another.
				benchBoxes.Lock()
				if old := benchBoxes.ix[n]; old != nil {
					old.Close()
				}
				benchBoxes.ix[n] = ix
				benchBoxes.Unlock()
			}
		})
	}
}

// warmIndex is an index of the n-message mailbox, built once per process.
func warmIndex(b *testing.B, n int) *index.Index {
	s, u := benchMailbox(b, n)
	benchBoxes.Lock()
	defer benchBoxes.Unlock()
	if ix := benchBoxes.ix[n]; ix != nil {
		return ix
	}
	ctx := context.Background()
	pool := imapconn.NewPool(dovecotAccount(s, u), testLog())
	defer pool.Close(ctx)
	dir, err := os.MkdirTemp("", "ixbench")
	if err != nil {
		b.Fatal(err)
	}
	ix, err := index.Open(ctx, filepath.Join(dir, "b.db"), testLog())
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if err := index.NewSyncer(ix, pool, index.SyncOptions{Log: testLog()}).SyncAll(ctx); err != nil {
		b.Fatal(err)
	}
	box := mailboxBytes(u, n)
	b.Logf("backfill of %d messages %s: index %d bytes, mailbox %d bytes, index/mailbox %.2f", n, time.Since(t0).Round(time.Millisecond), ix.Size(), box, float64(ix.Size())/float64(box))
	benchBoxes.ix[n] = ix
	return ix
}

// BenchmarkSearch: 20 newest hits and the total, warm; counting stops at
// index.CountCap matches, as search does.
func BenchmarkSearch(b *testing.B) {
	queries := []struct {
		name string
		q    index.Query
	}{
		{"subject", index.Query{Subject: "Message 1"}},                   // 1, 10-19, 100-199, …: about 11% of the mailbox
		{"from", index.Query{From: "sender@example.test"}},               // every message: the worst case for the count
		{"body", index.Query{Body: "message number 4"}},                  // about 11%
		{"rare", index.Query{Subject: "Message 4242"}},                   // a handful
		{"latest", index.Query{}},                                        // no criteria
		{"relevance", index.Query{Body: "number 4242", Relevance: true}}, // BM25 + snippets
	}
	for _, n := range benchSizes {
		for _, qc := range queries {
			b.Run(fmt.Sprintf("%dk/%s", n/1000, qc.name), func(b *testing.B) {
				benchSearch(b, n, qc.q)
			})
		}
	}
}

func benchSearch(b *testing.B, n int, q index.Query) {
	ix := warmIndex(b, n)
	ctx := context.Background()
	q.Folders, q.Limit = []string{"INBOX"}, 20
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		r, err := ix.Search(ctx, q)
		times = append(times, time.Since(t0))
		if err != nil || len(r.Hits) == 0 {
			b.Fatalf("search: %v %v", r, err)
		}
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
}

// BenchmarkNewMail: delivery (LMTP) to searchable in the index, through
// the watcher (IDLE) and the feed, as serve wires them. Reports the time
// from delivery and from the watcher seeing the server announce it.
func BenchmarkNewMail(b *testing.B) {
	s := testrig.Require(b)
	u, err := s.AddUser(fmt.Sprintf("ixnewmail%d", time.Now().UnixNano()%1e6), "")
	if err != nil {
		b.Fatal(err)
	}
	s.Populate(b, u, "INBOX", 1000)
	ctx := context.Background()
	acct := dovecotAccount(s, u)
	pool := imapconn.NewPool(acct, testLog())
	b.Cleanup(func() { pool.Close(ctx) })
	svc := index.Start(filepath.Join(b.TempDir(), "n.db"), pool, index.SyncOptions{Log: testLog()})
	b.Cleanup(func() { svc.Close() })
	st, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	feed := watch.NewFeed(st, watch.FeedOptions{})
	observed := make(chan time.Time, 16)
	feed.Listen(func(evs []watch.Event) {
		for _, ev := range evs {
			if ev.Kind == watch.KindMessage {
				svc.NewMail(ev.Folder)
				observed <- ev.Observed
			}
		}
	})
	hub := watch.NewHub(feed, []watch.Target{{Account: acct, Folders: []string{"INBOX"}, Always: true, Options: watch.Options{Log: testLog()}}}, watch.HubOptions{Log: testLog()})
	hub.Start()
	b.Cleanup(hub.Close)
	waitFor := func(subject string, d time.Duration) bool {
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) {
			if ix := svc.Index(); ix != nil {
				if r, err := ix.Search(ctx, index.Query{Folders: []string{"INBOX"}, Subject: subject, Limit: 1}); err == nil && r.Total > 0 {
					return true
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
		return false
	}
	if !waitFor("Message 1000", 60*time.Second) {
		b.Fatal("backfill did not finish")
	}
	var fromDelivery, fromAnnounce []time.Duration
	b.ResetTimer()
	for i := range b.N {
		subject := fmt.Sprintf("Fresh news %d", i)
		msg := "From: Pat <pat@example.org>\r\nTo: " + u.Email + "\r\nSubject: " + subject + "\r\nMessage-ID: <fresh" + strconv.Itoa(i) + "@example.org>\r\n\r\nJust arrived.\r\n"
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := s.DeliverLMTP(dctx, "pat@example.org", []string{u.Email}, []byte(msg))
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if !waitFor(subject, 10*time.Second) {
			b.Fatalf("%q not searchable within 10 s", subject)
		}
		done := time.Now()
		fromDelivery = append(fromDelivery, done.Sub(t0))
		select {
		case at := <-observed:
			fromAnnounce = append(fromAnnounce, done.Sub(at))
		case <-time.After(time.Second):
		}
	}
	b.StopTimer()
	med := func(ds []time.Duration) float64 {
		if len(ds) == 0 {
			return -1
		}
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1000
	}
	b.ReportMetric(med(fromDelivery), "median-ms-from-delivery")
	b.ReportMetric(med(fromAnnounce), "median-ms-from-announce")
}

// BenchmarkBackfillCorpus builds the index of a mailbox holding the real
// messages of the shared corpus ($MAILMCP_CORPUS, else ../../../shared/corpus
// from the package; every file its MANIFEST.tsv lists, CRLF line endings)
// and reports the same size figures as BenchmarkBackfill: real mail has
// attachments and markup the index does not keep, so its ratio differs
// from the synthetic messages'.
func BenchmarkBackfillCorpus(b *testing.B) {
	dir := os.Getenv("MAILMCP_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		b.Skipf("no corpus (set MAILMCP_CORPUS): %v", err)
	}
	var msgs [][]byte
	var box int64
	for i, line := range strings.Split(strings.TrimSpace(string(manifest)), "\n") {
		if i == 0 {
			continue // the header
		}
		raw, err := os.ReadFile(filepath.Join(dir, strings.SplitN(line, "\t", 2)[0]))
		if err != nil {
			b.Fatal(err)
		}
		raw = []byte(strings.ReplaceAll(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n", "\r\n"))
		msgs = append(msgs, raw)
		box += int64(len(raw))
	}
	s := testrig.Require(b)
	u, err := s.AddUser(fmt.Sprintf("ixcorpus%d", time.Now().UnixNano()%1e6), "")
	if err != nil {
		b.Fatal(err)
	}
	s.PopulateFunc(b, u, "INBOX", len(msgs), func(i int) []byte { return msgs[i-1] })
	ctx := context.Background()
	pool := imapconn.NewPool(dovecotAccount(s, u), testLog())
	b.Cleanup(func() { pool.Close(ctx) })
	for range b.N {
		ix, err := index.Open(ctx, filepath.Join(b.TempDir(), "c.db"), testLog())
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		t0 := time.Now()
		if err := index.NewSyncer(ix, pool, index.SyncOptions{Log: testLog()}).SyncAll(ctx); err != nil {
			b.Fatal(err)
		}
		took := time.Since(t0)
		b.StopTimer()
		if err := ix.Compact(ctx); err != nil { // SyncAll compacts after 1000 new messages only
			b.Fatal(err)
		}
		size := ix.Size()
		b.ReportMetric(took.Seconds(), "s/backfill")
		b.ReportMetric(float64(len(msgs)), "messages")
		b.ReportMetric(float64(size)/(1<<20), "index-MiB")
		b.ReportMetric(float64(box)/(1<<20), "mailbox-MiB")
		b.ReportMetric(float64(size)/float64(box), "index/mailbox")
		ix.Close()
	}
}
