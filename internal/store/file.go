package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"golang.org/x/sync/semaphore"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// FileName is the store's file in the state directory.
const FileName = "state.db"

// DefaultLockTimeout bounds how long a transaction waits for another
// process to release the file.
const DefaultLockTimeout = 10 * time.Second

// Options tune Open.
type Options struct {
	// LockTimeout bounds the wait for the file lock (DefaultLockTimeout).
	LockTimeout time.Duration
}

// File is the local Store: a bbolt file opened per transaction so that many
// processes can share it (see the package documentation).
type File struct {
	path string
	opt  Options

	// tx is this process's read-write lock over transactions: a View
	// takes one unit, an Update (and Close) all of them. Unlike a
	// sync.RWMutex its wait honours the context, and it is FIFO, so a
	// waiting Update is not starved by a stream of Views.
	tx     *semaphore.Weighted
	closed atomic.Bool // set while Close holds tx entirely
}

// allTx is the weight of an exclusive hold of File.tx; it bounds this
// process's concurrent Views.
const allTx = 1 << 10

var _ Store = (*File)(nil)

// Open prepares the store in dir (created 0700 if missing) and checks that
// the file can be opened. It holds no lock afterwards.
func Open(dir string, opt Options) (*File, error) {
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = DefaultLockTimeout
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fault.FromFS("store", "the state directory "+dir, fmt.Errorf("store: create state directory: %w", err))
	}
	f := &File{path: filepath.Join(dir, FileName), opt: opt, tx: semaphore.NewWeighted(allTx)}
	if err := f.Update(context.Background(), func(Tx) error { return nil }); err != nil {
		return nil, err
	}
	return f, nil
}

// Path is the database file.
func (f *File) Path() string { return f.path }

// Update implements Store.
func (f *File) Update(ctx context.Context, fn func(Tx) error) error {
	return classify(f.what(), f.run(ctx, true, fn))
}

// View implements Store.
func (f *File) View(ctx context.Context, fn func(Tx) error) error {
	return classify(f.what(), f.run(ctx, false, fn))
}

// what names the file in hints.
func (f *File) what() string { return "the state file " + f.path }

// Close implements Store; later transactions fail with ErrClosed.
// It waits for the transactions in progress.
func (f *File) Close() error {
	_ = f.tx.Acquire(context.Background(), allTx) // cannot fail without a deadline
	f.closed.Store(true)
	f.tx.Release(allTx)
	return nil
}

func (f *File) run(ctx context.Context, write bool, fn func(Tx) error) error {
	n := int64(1)
	if write {
		n = allTx
	}
	if err := f.tx.Acquire(ctx, n); err != nil {
		return fmt.Errorf("store: waiting for another transaction: %w", err)
	}
	defer f.tx.Release(n)
	if f.closed.Load() {
		return ErrClosed
	}
	db, err := f.open(ctx, write)
	if err != nil {
		return err
	}
	var txErr error
	if write {
		txErr = db.Update(func(btx *bolt.Tx) error { return fn(&boltTx{tx: btx}) })
	} else {
		txErr = db.View(func(btx *bolt.Tx) error { return fn(&boltTx{tx: btx}) })
	}
	cerr := db.Close()
	if txErr != nil {
		return txErr
	}
	if cerr != nil {
		return fmt.Errorf("store: close %s: %w", f.path, cerr)
	}
	return nil
}

// lockPoll bounds the pause between two attempts at the file lock.
const lockPoll = 50 * time.Millisecond

// open opens the database and takes the file lock: exclusive for a write,
// shared for a read (bbolt's read-only mode), so readers in different
// processes overlap and a writer waits for them. It waits at most the lock
// timeout or until ctx's deadline (then ErrBusy), and returns at once when
// ctx is cancelled: bbolt's own wait sleeps without a context, so each
// attempt here is a single non-blocking one.
func (f *File) open(ctx context.Context, write bool) (*bolt.DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	wait := f.opt.LockTimeout
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d < wait {
			wait = max(d, time.Millisecond)
		}
	}
	busy := func() error {
		return fmt.Errorf("store: %s is locked by another mailmcp process and was not released within %s: %w", f.path, wait.Round(time.Millisecond), ErrBusy)
	}
	giveUp := time.Now().Add(wait)
	readOnly := !write
	pause := time.Millisecond
	for {
		// A Timeout shorter than bbolt's retry interval means one try.
		db, err := bolt.Open(f.path, 0o600, &bolt.Options{Timeout: time.Nanosecond, ReadOnly: readOnly})
		switch {
		case err == nil:
			return db, nil
		case readOnly && errors.Is(err, os.ErrNotExist):
			readOnly = false // the file went away: a writable handle creates it
			continue
		case !errors.Is(err, berrors.ErrTimeout):
			return nil, fmt.Errorf("store: open %s: %w", f.path, err)
		}
		left := time.Until(giveUp)
		if left <= 0 {
			return nil, busy()
		}
		t := time.NewTimer(min(pause, left))
		select {
		case <-ctx.Done():
			t.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, busy()
			}
			return nil, fmt.Errorf("store: waiting for the lock on %s: %w", f.path, ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, lockPoll)
	}
}
