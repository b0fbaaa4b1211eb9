package imapconn_test

import (
	"context"
	"io"
	"runtime"
	"testing"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/parse"
)

// dovecotBig puts a message with a 25 MB attachment in a fresh Dovecot
// mailbox (out of process, so the heap measured is the client's alone)
// and returns a pool and the message's reference.
func dovecotBig(tb testing.TB) (*imapconn.Pool, imapconn.MessageRef) {
	tb.Helper()
	st := testrig.Require(tb)
	u := st.NewUser(tb)
	raw := withAttachment("Quarterly report", attachmentBytes(25<<20))
	st.PopulateFunc(tb, u, "Big", 1, func(int) []byte { return []byte(raw) })
	host, port := splitHostPort(tb, st.IMAPSAddr())
	p := openPool(tb, &imapconn.Account{ID: "t", Email: u.Email, TLS: st.TLSConfig(),
		IMAP: imapconn.Endpoint{Host: host, Port: port, TLS: imapconn.TLSImplicit},
		Auth: &auth.PasswordLogin{Username: u.Username, Source: auth.SecretSource{Command: "printf %s '" + u.Password + "'"}}})
	return p, firstID(tb, p, "Big")
}

// heapCost runs fn once and returns the bytes it allocated and how much the
// live heap grew while it ran (sampled after it returns, before any GC).
func heapCost(fn func()) (alloc, growth uint64) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	if after.HeapAlloc > before.HeapAlloc {
		growth = after.HeapAlloc - before.HeapAlloc
	}
	return after.TotalAlloc - before.TotalAlloc, growth
}

// TestFetchMessageLargeAttachmentHeap: rendering a message with a 25 MB
// attachment allocates well under 5 MB in total on the client.
func TestFetchMessageLargeAttachmentHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("25 MB message")
	}
	p, ref := dovecotBig(t)
	ctx := context.Background()
	if _, err := p.FetchMessage(ctx, ref, imapconn.FetchOptions{}); err != nil { // warm: login, select
		t.Fatal(err)
	}
	var err error
	alloc, growth := heapCost(func() { _, err = p.FetchMessage(ctx, ref, imapconn.FetchOptions{}) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FetchMessage of a 25 MB-attachment message: %d bytes allocated, heap grew %d bytes", alloc, growth)
	if alloc > 5<<20 {
		t.Errorf("rendering allocated %d bytes; the budget is 5 MB", alloc)
	}
}

// BenchmarkFetchMessageLargeAttachment compares rendering from the
// structure with the raw fallback (whole message streamed through Parse),
// against Dovecot. Run with -benchmem.
func BenchmarkFetchMessageLargeAttachment(b *testing.B) {
	p, ref := dovecotBig(b)
	ctx := context.Background()
	run := func(b *testing.B, fn func() error) {
		if err := fn(); err != nil { // warm
			b.Fatal(err)
		}
		var alloc, growth uint64
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			var err error
			a, g := heapCost(func() { err = fn() })
			if err != nil {
				b.Fatal(err)
			}
			alloc, growth = alloc+a, max(growth, g)
		}
		b.ReportMetric(float64(alloc)/float64(b.N), "alloc-bytes/op")
		b.ReportMetric(float64(growth), "max-heap-growth-bytes")
	}
	b.Run("structure", func(b *testing.B) {
		run(b, func() error { _, err := p.FetchMessage(ctx, ref, imapconn.FetchOptions{}); return err })
	})
	b.Run("raw", func(b *testing.B) {
		run(b, func() error {
			return p.FetchRaw(ctx, ref, false, func(_ imapconn.MessageMeta, r io.Reader) error {
				_, err := parse.Parse(r, parse.ParseOptions{})
				return err
			})
		})
	})
}
