package index_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/index"
)

// BenchmarkSyncAfterFlagChange: one message's flag changed by another
// client, then one sync cycle of the indexed mailbox, through a loopback
// relay that counts the bytes the server sends. "full" lists every message
// (FETCH 1:* (UID FLAGS RFC822.SIZE)), as servers without CONDSTORE need;
// "changedsince" is the CONDSTORE listing (UID FETCH … (CHANGEDSINCE m)
// and UID SEARCH RETURN (ALL)). Reports the median time and bytes per sync.
//
//	go test ./internal/index -run X -bench SyncAfterFlagChange -benchtime 20x
func BenchmarkSyncAfterFlagChange(b *testing.B) {
	for _, n := range benchSizes {
		for _, mode := range []string{"full", "changedsince"} {
			b.Run(fmt.Sprintf("%dk/%s", n/1000, mode), func(b *testing.B) {
				ix := warmIndex(b, n)
				s, u := benchMailbox(b, n)
				defer index.SetIncrementalDiff(mode == "changedsince")()
				ctx := context.Background()
				relay := newCountingRelay(b, s.IMAPSAddr())
				pool := imapconn.NewPool(relayedAccount(s, u, relay), testLog())
				defer pool.Close(ctx)
				sy := index.NewSyncer(ix, pool, index.SyncOptions{Folders: []string{"INBOX"}, Log: testLog()})
				if err := sy.SyncAll(ctx); err != nil { // records the folder's STATUS
					b.Fatal(err)
				}
				c := rawClient(b, s, u)
				if _, err := c.Select("INBOX", nil).Wait(); err != nil {
					b.Fatal(err)
				}
				uid := imap.UID(n / 2)
				var times []time.Duration
				var bytes []int64
				b.ResetTimer()
				for i := range b.N {
					b.StopTimer()
					op := imap.StoreFlagsAdd
					if i%2 == 1 {
						op = imap.StoreFlagsDel
					}
					if err := c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: op, Flags: []imap.Flag{imap.FlagFlagged}, Silent: true}, nil).Close(); err != nil {
						b.Fatal(err)
					}
					before := relay.fromSrv.Load()
					b.StartTimer()
					t0 := time.Now()
					if err := sy.SyncAll(ctx); err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(t0))
					bytes = append(bytes, relay.fromSrv.Load()-before)
				}
				b.StopTimer()
				want := op0(b.N)
				have, err := ix.UIDs(ctx, "INBOX", folderUV(b, ix))
				if err != nil || have[uint32(uid)] != want {
					b.Fatalf("message %d has flags %q after the sync, want %q (%v)", uid, have[uint32(uid)], want, err)
				}
				slices.Sort(times)
				slices.Sort(bytes)
				b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
				b.ReportMetric(float64(bytes[len(bytes)/2]), "median-bytes")
			})
		}
	}
}

// op0 is the flags of the changed message after n alternating changes.
func op0(n int) string {
	if n%2 == 1 {
		return "flagged"
	}
	return ""
}

func folderUV(b *testing.B, ix *index.Index) uint32 {
	fs, err := ix.Folders(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range fs {
		if f.Name == "INBOX" {
			return f.UIDValidity
		}
	}
	b.Fatal("INBOX not indexed")
	return 0
}
