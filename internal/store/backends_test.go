package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// The Store contract, run against every backend: the local bbolt file and
// PostgreSQL (a private server from testrig; skipped outside CI when
// PostgreSQL is not installed, a failure under CI).

func TestMain(m *testing.M) { testrig.Main(m) }

type backend struct {
	name string
	open func(t testing.TB) Store
}

var backends = []backend{
	{"file", func(t testing.TB) Store { return openTemp(t, Options{}) }},
	{"postgres", func(t testing.TB) Store { return openPG(t, PostgresOptions{}) }},
}

func openPG(t testing.TB, opt PostgresOptions) *Postgres {
	t.Helper()
	p, err := OpenPostgres(context.Background(), testrig.RequirePostgres(t), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func eachBackend(t *testing.T, fn func(t *testing.T, s Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open(t)) })
	}
}

func TestUpdateIsAtomic(t *testing.T) {
	eachBackend(t, func(t *testing.T, f Store) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := f.Update(ctx, func(tx Tx) error {
			tx.Bucket("a").Put("x", []byte("1"))
			tx.Bucket("b").Put("y", []byte("2"))
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("update: %v", err)
		}
		if err := f.View(ctx, func(tx Tx) error {
			if tx.Bucket("a").Get("x") != nil || tx.Bucket("b").Get("y") != nil {
				t.Error("a failed transaction left writes behind")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestViewRefusesWrites(t *testing.T) {
	eachBackend(t, func(t *testing.T, f Store) {
		ran := false
		err := f.View(context.Background(), func(tx Tx) error {
			ran = true
			if tx.Writable() {
				t.Error("view is writable")
			}
			if err := tx.Bucket("a").Put("k", nil); !errors.Is(err, ErrReadOnly) {
				t.Errorf("put in view: %v", err)
			}
			if _, err := tx.Bucket("a").NextSeq(); !errors.Is(err, ErrReadOnly) {
				t.Errorf("nextseq in view: %v", err)
			}
			if v := tx.Bucket("missing").Get("k"); v != nil {
				t.Errorf("missing bucket read %q", v)
			}
			return nil
		})
		if err != nil || !ran {
			t.Fatalf("view: ran %v, %v", ran, err)
		}
	})
}

func TestScan(t *testing.T) {
	eachBackend(t, func(t *testing.T, f Store) {
		ctx := context.Background()
		keys := []string{"a", "b/1", "b/2", "b/3", "b\xff", "c", "c/1"}
		f.Update(ctx, func(tx Tx) error {
			for _, k := range keys {
				tx.Bucket("s").Put(k, []byte("v"+k))
			}
			return nil
		})
		cases := []struct {
			opt  ScanOptions
			stop string
			want []string
		}{
			{opt: ScanOptions{}, want: keys},
			{opt: ScanOptions{Prefix: "b/"}, want: []string{"b/1", "b/2", "b/3"}},
			{opt: ScanOptions{Prefix: "b/", After: "b/1"}, want: []string{"b/2", "b/3"}},
			{opt: ScanOptions{Prefix: "b/", After: "a"}, want: []string{"b/1", "b/2", "b/3"}},
			{opt: ScanOptions{Prefix: "b/", Reverse: true}, want: []string{"b/3", "b/2", "b/1"}},
			{opt: ScanOptions{Prefix: "b/", Reverse: true, After: "b/3"}, want: []string{"b/2", "b/1"}},
			{opt: ScanOptions{Prefix: "b/", Reverse: true, After: "zz"}, want: []string{"b/3", "b/2", "b/1"}},
			{opt: ScanOptions{Reverse: true}, want: reversed(keys)},
			{opt: ScanOptions{Prefix: "c", Reverse: true}, want: []string{"c/1", "c"}},
			{opt: ScanOptions{Prefix: "x"}, want: nil},
			{opt: ScanOptions{}, stop: "b/2", want: []string{"a", "b/1", "b/2"}},
		}
		for i, c := range cases {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				var got []string
				err := f.View(ctx, func(tx Tx) error {
					return tx.Bucket("s").Scan(c.opt, func(k string, v []byte) error {
						if string(v) != "v"+k {
							t.Errorf("key %q value %q", k, v)
						}
						got = append(got, k)
						if k == c.stop {
							return ErrStop
						}
						return nil
					})
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("scan %+v = %q, want %q", c.opt, got, c.want)
				}
			})
		}
	})
}

func TestQueue(t *testing.T) {
	eachBackend(t, func(t *testing.T, f Store) {
		ctx := context.Background()
		q := NewQueue("hooks")
		now := time.Now()
		f.Update(ctx, func(tx Tx) error {
			q.Push(tx, []byte("first"), time.Time{})
			q.Push(tx, []byte("later"), now.Add(time.Hour))
			q.Push(tx, []byte("second"), time.Time{})
			return nil
		})
		claim := func(at time.Time) *QueueItem {
			var it *QueueItem
			if err := f.Update(ctx, func(tx Tx) (err error) { it, err = q.Claim(tx, at, time.Minute); return err }); err != nil {
				t.Fatal(err)
			}
			return it
		}
		a := claim(now.Add(time.Second))
		b := claim(now.Add(time.Second))
		if a == nil || b == nil || string(a.Payload) != "first" || string(b.Payload) != "second" || a.Attempts != 1 {
			t.Fatalf("claims %+v %+v", a, b)
		}
		if c := claim(now.Add(2 * time.Second)); c != nil {
			t.Fatalf("claimed %q while the others are leased and 'later' is not due", c.Payload)
		}
		// An unacknowledged lease expires: the item comes back, attempt 2.
		if c := claim(now.Add(2 * time.Minute)); c == nil || string(c.Payload) != "first" || c.Attempts != 2 {
			t.Fatalf("after lease: %+v", c)
		}
		f.Update(ctx, func(tx Tx) error {
			q.Ack(tx, a.Key)
			return q.Retry(tx, b.Key, now.Add(2*time.Hour))
		})
		var left []string
		f.View(ctx, func(tx Tx) error {
			return q.Scan(tx, func(it QueueItem) error { left = append(left, string(it.Payload)); return nil })
		})
		if !slices.Equal(left, []string{"later", "second"}) {
			t.Errorf("left %q", left)
		}
		if c := claim(now.Add(90 * time.Minute)); c == nil || string(c.Payload) != "later" {
			t.Errorf("due item: %+v", c)
		}
	})
}

// TestConcurrentGoroutines increments one counter from many goroutines.
func TestConcurrentGoroutines(t *testing.T) {
	eachBackend(t, func(t *testing.T, f Store) {
		const n, per = 8, 25
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				for range per {
					if err := increment(context.Background(), f); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if got := counter(t, f); got != n*per {
			t.Errorf("counter %d, want %d", got, n*per)
		}
	})
}

// TestReadYourWrites: inside one transaction a read sees the writes made
// before it (PostgreSQL queues writes until the next read or commit).
func TestReadYourWrites(t *testing.T) {
	eachBackend(t, func(t *testing.T, f Store) {
		ctx := context.Background()
		err := f.Update(ctx, func(tx Tx) error {
			b := tx.Bucket("ryw")
			b.Put("a", []byte("1"))
			if string(b.Get("a")) != "1" {
				t.Error("Get after Put")
			}
			b.Put("a", []byte("2"))
			b.Put("b", []byte("3"))
			var keys []string
			b.Scan(ScanOptions{}, func(k string, v []byte) error { keys = append(keys, k+"="+string(v)); return nil })
			if !slices.Equal(keys, []string{"a=2", "b=3"}) {
				t.Errorf("Scan after Put: %v", keys)
			}
			b.Delete("a")
			if b.Get("a") != nil {
				t.Error("Get after Delete")
			}
			n, err := b.NextSeq()
			if err != nil || n != 1 {
				t.Errorf("NextSeq %d %v", n, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		f.View(ctx, func(tx Tx) error {
			if tx.Bucket("ryw").Get("a") != nil || string(tx.Bucket("ryw").Get("b")) != "3" {
				t.Error("committed state wrong")
			}
			return nil
		})
	})
}
