package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
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

	mu     sync.Mutex // serialises this process's transactions
	closed bool
}

var _ Store = (*File)(nil)

// Open prepares the store in dir (created 0700 if missing) and checks that
// the file can be opened. It holds no lock afterwards.
func Open(dir string, opt Options) (*File, error) {
	if opt.LockTimeout <= 0 {
		opt.LockTimeout = DefaultLockTimeout
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create state directory: %w", err)
	}
	f := &File{path: filepath.Join(dir, FileName), opt: opt}
	if err := f.Update(context.Background(), func(Tx) error { return nil }); err != nil {
		return nil, err
	}
	return f, nil
}

// Path is the database file.
func (f *File) Path() string { return f.path }

// Update implements Store.
func (f *File) Update(ctx context.Context, fn func(Tx) error) error {
	return f.run(ctx, true, fn)
}

// View implements Store.
func (f *File) View(ctx context.Context, fn func(Tx) error) error {
	return f.run(ctx, false, fn)
}

// Close implements Store; later transactions fail with ErrClosed.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *File) run(ctx context.Context, write bool, fn func(Tx) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return ErrClosed
	}
	db, err := f.open(ctx)
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

// open takes the file lock, waiting at most the lock timeout or until ctx's
// deadline. A writable handle is always used: bbolt's read-only mode shares
// the lock but refuses to create the file, and transactions here are short.
func (f *File) open(ctx context.Context) (*bolt.DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	wait := f.opt.LockTimeout
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d < wait {
			wait = max(d, time.Millisecond)
		}
	}
	db, err := bolt.Open(f.path, 0o600, &bolt.Options{Timeout: wait})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("store: %s is locked by another mailmcp process and was not released within %s: %w", f.path, wait.Round(time.Millisecond), ErrBusy)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", f.path, err)
	}
	return db, nil
}
