package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mailmcp/mailmcp/internal/testrig"
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

// benchStores are the backends benchmarks run on: the bbolt file, and a
// PostgreSQL server of the benchmark's own with fsync on, as in production.
func benchStores(b *testing.B) map[string]Store {
	out := map[string]Store{"file": openTemp(b, Options{})}
	pg, err := testrig.StartPostgres(testrig.PostgresOptions{Durable: true})
	if err != nil {
		b.Logf("postgres: %v", err)
		return out
	}
	b.Cleanup(func() { pg.Close() })
	url, err := pg.NewDatabase(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	p, err := OpenPostgres(context.Background(), url, PostgresOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	out["postgres"] = p
	return out
}

// BenchmarkUpdate measures one small durable write transaction: for the
// file, the per-transaction open and close and the fsync; for PostgreSQL,
// a serializable transaction and its WAL flush over loopback.
func BenchmarkUpdate(b *testing.B) {
	for name, s := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				if err := increment(ctx, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkView measures one read transaction on a store holding 1000 keys.
func BenchmarkView(b *testing.B) {
	for name, s := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			s.Update(ctx, func(tx Tx) error {
				for i := range 1000 {
					tx.Bucket("k").Put(fmt.Sprintf("%05d", i), make([]byte, 512))
				}
				return nil
			})
			for b.Loop() {
				s.View(ctx, func(tx Tx) error { tx.Bucket("k").Get("00500"); return nil })
			}
		})
	}
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

// TestInProcessWaitHonoursContext: a transaction waiting for another of
// this process returns as soon as its context is cancelled, not when the
// holder finishes.
func TestInProcessWaitHonoursContext(t *testing.T) {
	f := openTemp(t, Options{})
	held, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- f.Update(context.Background(), func(Tx) error { close(held); <-release; return nil })
	}()
	<-held
	defer func() { close(release); <-holder }()
	for _, write := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			tx := f.View
			if write {
				tx = f.Update
			}
			done <- tx(ctx, func(Tx) error { return nil })
		}()
		time.AfterFunc(50*time.Millisecond, cancel)
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("write=%v: %v, want context.Canceled", write, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("write=%v: a cancelled transaction kept waiting for the holder", write)
		}
		cancel()
	}
}
