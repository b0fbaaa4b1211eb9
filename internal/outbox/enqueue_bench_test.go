package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// nopTransport never runs: the benchmark's outbox is not started.
type nopTransport struct{ Transport }

// BenchmarkEnqueue measures a send's journal write, the durable part of
// send before anything is submitted: the message bytes and the item with
// its idempotency key. file: bbolt plus a fsynced message file; postgres:
// a server with fsync on (as in production) on loopback, bytes and item
// in the database as replicas keep them.
func BenchmarkEnqueue(b *testing.B) {
	run := func(b *testing.B, cfg Config) {
		cfg.Transport, cfg.Dir, cfg.Log = nopTransport{}, b.TempDir(), slog.New(slog.DiscardHandler)
		box, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer box.Close(context.Background())
		i := 0
		for b.Loop() {
			i++
			if _, _, err := box.Enqueue(context.Background(), request(fmt.Sprint("bench-", i), "x@x.test")); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("file", func(b *testing.B) {
		st, err := store.Open(b.TempDir(), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		run(b, Config{Store: st})
	})
	b.Run("postgres", func(b *testing.B) {
		pg, err := testrig.StartPostgres(testrig.PostgresOptions{Durable: true})
		if err != nil {
			b.Skip(err)
		}
		defer pg.Close()
		url, err := pg.NewDatabase(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		st, err := store.OpenPostgres(context.Background(), url, store.PostgresOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		run(b, Config{Store: st, Owners: StoreOwners(st), Bodies: StoreBodies(st)})
	})
}
