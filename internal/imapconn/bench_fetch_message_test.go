package imapconn_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/present"
)

// BenchmarkFetchMessage: what fetch_message does on a warm pool — the
// structure-first fetch, parse and a bounded render — against the raw IMAP
// commands that fetch the same bytes (flags, size, BODYSTRUCTURE and the
// header, then the text part) on a logged-in client, as a ratio.
func BenchmarkFetchMessage(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			p, rc := benchWarm(b, n)
			ctx := context.Background()
			ref := firstID(b, p, "INBOX")
			engine := func() {
				f, err := p.FetchMessage(ctx, ref, imapconn.FetchOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := present.Render(f.Message, present.RenderOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			uid := imap.UIDSetNum(ref.UID)
			raw := func() {
				head := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
				if _, err := rc.Fetch(uid, &imap.FetchOptions{UID: true, Flags: true, RFC822Size: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
					BodySection: []*imap.FetchItemBodySection{head}}).Collect(); err != nil {
					b.Fatalf("raw structure fetch: %v", err)
				}
				text := &imap.FetchItemBodySection{Part: []int{1}, Peek: true}
				if _, err := rc.Fetch(uid, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{text}}).Collect(); err != nil {
					b.Fatalf("raw part fetch: %v", err)
				}
			}
			engine()
			raw()
			compare(b, engine, raw)
		})
	}
}
