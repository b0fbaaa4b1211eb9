package imapconn_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// Benchmarks against the test rig's Dovecot on loopback, INBOX of 10,000
// messages (and 100,000 with MAILMCP_BENCH_100K=1). Run with
//
//	go test ./internal/imapconn -run X -bench . -benchtime 200x
//
// Each benchmark times the engine (pooled, warm: no login inside the loop)
// as ns/op and the equivalent raw go-imap commands on an already-logged-in
// connection as raw-ns/op, with ratio = engine / raw. Population writes
// Maildir files directly (testrig.Populate: seconds for 100k, where APPEND
// or LMTP would take minutes) and is cached per process, so -count and
// several benchmarks reuse one mailbox per size.

var benchUsers struct {
	sync.Mutex
	m map[int]testrig.User
}

// benchMailbox returns a user whose INBOX holds n generated messages,
// indexed by Dovecot once (the first SELECT of a fresh Maildir).
func benchMailbox(tb testing.TB, n int) (*testrig.Stack, testrig.User) {
	tb.Helper()
	if n > 10_000 && os.Getenv("MAILMCP_BENCH_100K") != "1" {
		tb.Skip("set MAILMCP_BENCH_100K=1 for the 100k-message mailbox")
	}
	s := testrig.Require(tb)
	benchUsers.Lock()
	defer benchUsers.Unlock()
	if u, ok := benchUsers.m[n]; ok {
		return s, u
	}
	u, err := s.AddUser(fmt.Sprintf("bench%d", n), "")
	if err != nil {
		tb.Fatal(err)
	}
	t0 := time.Now()
	s.Populate(tb, u, "INBOX", n)
	populated := time.Since(t0)
	c := benchClient(tb, s, u, s.IMAPSAddr(), true)
	t1 := time.Now()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		tb.Fatal(err)
	}
	c.Close()
	tb.Logf("mailbox of %d: populated in %v, first SELECT (indexing) %v", n, populated.Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	if benchUsers.m == nil {
		benchUsers.m = map[int]testrig.User{}
	}
	benchUsers.m[n] = u
	return s, u
}

func benchAccount(s *testrig.Stack, u testrig.User, addr string, tlsOn bool) *imapconn.Account {
	host, ps, _ := net.SplitHostPort(addr)
	var port int
	fmt.Sscan(ps, &port)
	a := &imapconn.Account{ID: "b", Email: u.Email, IMAP: imapconn.Endpoint{Host: host, Port: port, TLS: imapconn.TLSPlain},
		Auth: &auth.PasswordLogin{Username: u.Username, Source: auth.SecretSource{Command: "printf %s '" + u.Password + "'"}}}
	if tlsOn {
		a.IMAP.TLS, a.TLS = imapconn.TLSImplicit, s.TLSConfig()
	}
	return a
}

// benchClient is a plain go-imap client, logged in.
func benchClient(tb testing.TB, s *testrig.Stack, u testrig.User, addr string, tlsOn bool) *imapclient.Client {
	tb.Helper()
	var c *imapclient.Client
	var err error
	if tlsOn {
		c, err = imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: s.TLSConfig()})
	} else {
		c, err = imapclient.DialInsecure(addr, nil)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if err := c.Login(u.Username, u.Password).Wait(); err != nil {
		tb.Fatal(err)
	}
	return c
}

// benchWarm returns, for the n-message mailbox, an engine pool and a
// logged-in raw client with INBOX selected, over implicit TLS.
func benchWarm(b *testing.B, n int) (*imapconn.Pool, *imapclient.Client) {
	s, u := benchMailbox(b, n)
	p := openPool(b, benchAccount(s, u, s.IMAPSAddr(), true))
	rc := benchClient(b, s, u, s.IMAPSAddr(), true)
	if _, err := rc.Select("INBOX", nil).Wait(); err != nil {
		b.Fatal(err)
	}
	return p, rc
}

var benchSizes = []int{10_000, 100_000}

// fromCrit matches every generated message: the worst case for the UID
// list (ESEARCH sends it as one range).
var fromCrit = imapconn.Criteria{From: "sender@example.test"}

// BenchmarkSearch: a warm search returning 20 envelopes, engine versus the
// raw commands it replaces (NOOP + FETCH of the newest 20 by sequence
// number for no criteria; UID SEARCH RETURN (ALL) + UID FETCH of 20 UIDs
// for a from: criterion).
func BenchmarkSearch(b *testing.B) {
	for _, n := range benchSizes {
		for _, kind := range []string{"latest", "from"} {
			b.Run(fmt.Sprintf("%dk/%s", n/1000, kind), func(b *testing.B) {
				p, rc := benchWarm(b, n)
				ctx := context.Background()
				crit := imapconn.Criteria{}
				if kind == "from" {
					crit = fromCrit
				}
				engine := func() {
					page, err := p.Search(ctx, "INBOX", crit, 20, "")
					if err != nil || len(page.Messages) != 20 {
						b.Fatalf("search: %v", err)
					}
				}
				raw := func() {
					if kind == "latest" {
						if err := rc.Noop().Wait(); err != nil {
							b.Fatal(err)
						}
						num := rc.Mailbox().NumMessages
						var seq imap.SeqSet
						seq.AddRange(num-19, num)
						msgs, err := rc.Fetch(seq, benchEnvelopeItems).Collect()
						if err != nil || len(msgs) != 20 {
							b.Fatalf("raw fetch: %v", err)
						}
						return
					}
					sc := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: fromCrit.From}}}
					data, err := rc.UIDSearch(sc, &imap.SearchOptions{ReturnAll: true}).Wait()
					if err != nil {
						b.Fatal(err)
					}
					uids := data.AllUIDs()
					msgs, err := rc.Fetch(imap.UIDSetNum(uids[len(uids)-20:]...), benchEnvelopeItems).Collect()
					if err != nil || len(msgs) != 20 {
						b.Fatalf("raw fetch: %v", err)
					}
				}
				engine() // warm: connection open, folder selected
				raw()
				dials := p.Stats().Dials
				compare(b, engine, raw)
				if p.Stats().Dials != dials {
					b.Fatalf("a warm search logged in again: %+v", p.Stats())
				}
			})
		}
	}
}

// benchEnvelopeItems are the items the engine fetches for an envelope.
var benchEnvelopeItems = &imap.FetchOptions{UID: true, Envelope: true, Flags: true, RFC822Size: true,
	BodyStructure: &imap.FetchItemBodyStructure{Extended: true}, InternalDate: true}

// BenchmarkFetchRaw: one whole message, engine FetchRaw versus UID FETCH
// BODY.PEEK[] on a logged-in client.
func BenchmarkFetchRaw(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			p, rc := benchWarm(b, n)
			ctx := context.Background()
			ref := firstID(b, p, "INBOX")
			engine := func() {
				err := p.FetchRaw(ctx, ref, false, func(_ imapconn.MessageMeta, r io.Reader) error {
					_, err := io.Copy(io.Discard, r)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			section := &imap.FetchItemBodySection{Peek: true}
			raw := func() {
				msgs, err := rc.Fetch(imap.UIDSetNum(ref.UID), &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
				if err != nil || len(msgs) != 1 {
					b.Fatalf("raw fetch: %v", err)
				}
			}
			engine()
			raw()
			compare(b, engine, raw)
		})
	}
}

// compare times engine as ns/op and raw outside the timer, and reports
// raw-ns/op and ratio = engine/raw.
func compare(b *testing.B, engine, raw func()) {
	b.ResetTimer()
	var eng, rw time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		engine()
		eng += time.Since(t0)
		b.StopTimer()
		t1 := time.Now()
		raw()
		rw += time.Since(t1)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(rw.Nanoseconds())/float64(b.N), "raw-ns/op")
	b.ReportMetric(float64(eng)/float64(rw), "ratio")
}

// BenchmarkSearchBytes: bytes the server sends for one warm search (plain
// IMAP on loopback, so protocol bytes without TLS framing), counted by a
// relay between the pool and Dovecot.
func BenchmarkSearchBytes(b *testing.B) {
	for _, n := range benchSizes {
		for _, kind := range []string{"latest", "from"} {
			b.Run(fmt.Sprintf("%dk/%s", n/1000, kind), func(b *testing.B) {
				s, u := benchMailbox(b, n)
				relay := newProxy(b, s.IMAPAddr())
				p := openPool(b, benchAccount(s, u, relay.addr(), false))
				crit := imapconn.Criteria{}
				if kind == "from" {
					crit = fromCrit
				}
				ctx := context.Background()
				if _, err := p.Search(ctx, "INBOX", crit, 20, ""); err != nil {
					b.Fatal(err)
				}
				before := relay.down.Load()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := p.Search(ctx, "INBOX", crit, 20, ""); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(relay.down.Load()-before)/float64(b.N), "bytes/search")
			})
		}
	}
}

// TestConcurrentSearchesLargeMailbox: 50 concurrent searches on a 10k
// INBOX all succeed and never hold more sessions than the pool limit, by
// the relay's count and by Dovecot's own (doveadm who).
func TestConcurrentSearchesLargeMailbox(t *testing.T) {
	if testing.Short() {
		t.Skip("populates 10,000 messages")
	}
	s, u := benchMailbox(t, 10_000)
	relay := newProxy(t, s.IMAPAddr())
	a := benchAccount(s, u, relay.addr(), false)
	a.MaxConns = 4
	p := openPool(t, a)
	var wg sync.WaitGroup
	var failed atomic.Int32
	var maxSessions atomic.Int32
	stop := make(chan struct{})
	watch := make(chan struct{})
	go func() {
		defer close(watch)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if n, err := s.ConnectionCount(u); err == nil && int32(n) > maxSessions.Load() {
				maxSessions.Store(int32(n))
			}
		}
	}()
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			crit := imapconn.Criteria{}
			if i%2 == 1 {
				crit = imapconn.Criteria{Subject: fmt.Sprintf("Message %d", 9000+i)}
			}
			if _, err := p.Search(context.Background(), "INBOX", crit, 20, ""); err != nil {
				t.Error(err)
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-watch
	if _, max, total := relay.stats(); max > 4 || total > 4 || failed.Load() > 0 {
		t.Fatalf("relay saw %d concurrent / %d total connections (limit 4); %d searches failed", max, total, failed.Load())
	}
	if m := maxSessions.Load(); m > 4 {
		t.Fatalf("Dovecot counted %d sessions; limit 4", m)
	}
}
