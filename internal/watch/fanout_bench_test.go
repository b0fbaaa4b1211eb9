package watch

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// BenchmarkReplicaFanOut measures how long a long-poll on one replica
// waits for an event another replica appends: the append's commit, a
// PostgreSQL notification, and the waiter's read of the shared feed.
// Recheck is an hour, so only the notification can wake the waiter.
// Reported: p50 and p99 latency over the iterations (same-process waiters
// on the embedded path are woken by a channel, in microseconds).
func BenchmarkReplicaFanOut(b *testing.B) {
	url := testrig.RequirePostgres(b)
	open := func() *store.Postgres {
		p, err := store.OpenPostgres(context.Background(), url, store.PostgresOptions{MaxConns: 4})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { p.Close() })
		return p
	}
	pa, pb := open(), open()
	fa := NewFeed(pa, FeedOptions{Recheck: time.Hour})
	fb := NewFeed(pb, FeedOptions{Recheck: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listening := make(chan struct{})
	go pb.Listen(ctx, "bench_feed", func(p string) {
		if p == "ready" {
			select {
			case <-listening:
			default:
				close(listening)
			}
		}
		fb.Wake()
	})
	// Wait until the listener is subscribed.
	for ready := false; !ready; {
		pa.Notify(ctx, "bench_feed", "ready")
		select {
		case <-listening:
			ready = true
		case <-time.After(50 * time.Millisecond):
		}
	}
	fa.Listen(func([]Event) { go pa.Notify(ctx, "bench_feed", "") })
	var lat []time.Duration
	uid := uint32(0)
	for b.Loop() {
		head, err := fb.Head(ctx)
		if err != nil {
			b.Fatal(err)
		}
		got := make(chan time.Time, 1)
		go func() {
			wctx, c := context.WithTimeout(ctx, 10*time.Second)
			defer c()
			p, err := fb.Wait(wctx, head, 1, nil, nil)
			if err != nil || len(p.Events) == 0 {
				got <- time.Time{}
				return
			}
			got <- time.Now()
		}()
		time.Sleep(time.Millisecond) // let the waiter block
		uid++
		t0 := time.Now()
		if _, err := fa.append(ctx, "a", "INBOX", func(cp *Checkpoint) (*Checkpoint, []Event, error) {
			return &Checkpoint{UIDValidity: 1, LastUID: uid}, []Event{{Kind: KindMessage, Account: "a", Folder: "INBOX", UIDValidity: 1, UID: uid}}, nil
		}); err != nil {
			b.Fatal(err)
		}
		t1 := <-got
		if t1.IsZero() {
			b.Fatal("the other replica's waiter saw nothing")
		}
		lat = append(lat, t1.Sub(t0))
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
