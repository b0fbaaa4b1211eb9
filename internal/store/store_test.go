package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openTemp(t testing.TB, opt Options) *File {
	t.Helper()
	f, err := Open(t.TempDir(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestFileModeAndReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	f, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := f.Update(ctx, func(tx Tx) error { return tx.Bucket("a").Put("k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(f.Path())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("state.db mode %v, want 0600", st.Mode().Perm())
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v, want 0700", st.Mode().Perm())
	}
	f.Close()
	if err := f.View(ctx, func(Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("view after close: %v, want ErrClosed", err)
	}
	g, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	g.View(ctx, func(tx Tx) error { got = tx.Bucket("a").Get("k"); return nil })
	if string(got) != "v" {
		t.Errorf("after reopen got %q, want v", got)
	}
}

func TestUpdateIsAtomic(t *testing.T) {
	f := openTemp(t, Options{})
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
}

func TestViewRefusesWrites(t *testing.T) {
	f := openTemp(t, Options{})
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
}

func TestScan(t *testing.T) {
	f := openTemp(t, Options{})
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
}

func TestQueue(t *testing.T) {
	f := openTemp(t, Options{})
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
}

// TestBusy holds the file the way a stuck process would and checks the
// transaction gives up with ErrBusy naming the file, and works once the
// lock is released.
func TestBusy(t *testing.T) {
	f := openTemp(t, Options{LockTimeout: 300 * time.Millisecond})
	db, err := bolt.Open(f.Path(), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = f.Update(context.Background(), func(Tx) error { return nil })
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), f.Path()) {
		db.Close()
		t.Fatalf("update while held: %v, want ErrBusy naming %s", err, f.Path())
	}
	// The caller's deadline also bounds the wait.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	err = f.View(ctx, func(Tx) error { return nil })
	cancel()
	if !errors.Is(err, ErrBusy) {
		t.Errorf("view with deadline: %v", err)
	}
	db.Close()
	if err := f.Update(context.Background(), func(tx Tx) error { return tx.Bucket("a").Put("k", nil) }); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

// TestConcurrentGoroutines increments one counter from many goroutines.
func TestConcurrentGoroutines(t *testing.T) {
	f := openTemp(t, Options{})
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
}

func increment(ctx context.Context, s Store) error {
	return s.Update(ctx, func(tx Tx) error {
		b := tx.Bucket("counter")
		var n int
		fmt.Sscan(string(b.Get("n")), &n)
		return b.Put("n", []byte(fmt.Sprint(n+1)))
	})
}

func counter(t *testing.T, s Store) int {
	var n int
	if err := s.View(context.Background(), func(tx Tx) error {
		fmt.Sscan(string(tx.Bucket("counter").Get("n")), &n)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// BenchmarkUpdate measures one small write transaction, including the
// per-transaction open and close of the file and the fsync.
func BenchmarkUpdate(b *testing.B) {
	f := openTemp(b, Options{})
	ctx := context.Background()
	for b.Loop() {
		if err := increment(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkView measures one read transaction on a store holding 1000 keys.
func BenchmarkView(b *testing.B) {
	f := openTemp(b, Options{})
	ctx := context.Background()
	f.Update(ctx, func(tx Tx) error {
		for i := range 1000 {
			tx.Bucket("k").Put(fmt.Sprintf("%05d", i), make([]byte, 512))
		}
		return nil
	})
	for b.Loop() {
		f.View(ctx, func(tx Tx) error { tx.Bucket("k").Get("00500"); return nil })
	}
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}
