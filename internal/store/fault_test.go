package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// wantKind fails t unless err is of kind k with a hint, keeping target
// reachable through errors.Is when target is not nil.
func wantKind(t *testing.T, what string, err error, k fault.Kind, target error) {
	t.Helper()
	fe := fault.As(err)
	switch {
	case fe == nil:
		t.Errorf("%s: %v (%T) is not a *fault.Error (the agent reads it as internal)", what, err, err)
	case fe.Kind != k:
		t.Errorf("%s: kind %s, want %s: %v", what, fe.Kind, k, err)
	case fe.Hint == "":
		t.Errorf("%s: no hint: %v", what, err)
	case k.Retryable() != fault.IsRetryable(err):
		t.Errorf("%s: retryable %v", what, fault.IsRetryable(err))
	}
	if target != nil && !errors.Is(err, target) {
		t.Errorf("%s: errors.Is(%v) lost: %v", what, target, err)
	}
}

// TestBusyStoreIsUnavailable: a file held by another handle past the lock
// timeout is unavailable and retryable, and still ErrBusy.
func TestBusyStoreIsUnavailable(t *testing.T) {
	f := openTemp(t, Options{LockTimeout: 100 * time.Millisecond})
	db, err := bolt.Open(f.Path(), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = f.Update(context.Background(), func(Tx) error { return nil })
	wantKind(t, "update while held", err, fault.Unavailable, ErrBusy)
	if !fault.IsRetryable(err) || !strings.Contains(err.Error(), "try again") {
		t.Errorf("busy store: retryable %v, %q", fault.IsRetryable(err), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	err = f.View(ctx, func(Tx) error { return nil })
	if fault.KindOf(err) != fault.Cancelled || fault.As(err) == nil {
		t.Errorf("cancelled wait: kind %s: %v", fault.KindOf(err), err)
	}
}

// TestClosedStoreIsUnavailable: transactions after Close (shutdown) are
// unavailable, not internal.
func TestClosedStoreIsUnavailable(t *testing.T) {
	f := openTemp(t, Options{})
	f.Close()
	wantKind(t, "update after close", f.Update(context.Background(), func(Tx) error { return nil }), fault.Unavailable, ErrClosed)
	wantKind(t, "view after close", f.View(context.Background(), func(Tx) error { return nil }), fault.Unavailable, ErrClosed)
}

// TestFullDiskIsLocal: a state file on a full disk (/dev/full) and a
// state file that is not a database are local errors naming the file.
func TestFullDiskIsLocal(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	dir := t.TempDir()
	if err := os.Symlink("/dev/full", filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, Options{})
	wantKind(t, "open on a full disk", err, fault.Local, nil)
	if fe := fault.As(err); fe != nil && !strings.Contains(fe.Hint, filepath.Join(dir, FileName)) {
		t.Errorf("hint does not name the file: %v", err)
	}

	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{})
	wantKind(t, "open of a damaged file", err, fault.Local, nil)
}

// TestWriteInViewStaysInternal: a write in a read-only transaction is a
// bug in mailmcp and stays internal.
func TestWriteInViewStaysInternal(t *testing.T) {
	f := openTemp(t, Options{})
	err := f.View(context.Background(), func(tx Tx) error { return tx.Bucket("a").Put("k", nil) })
	if !errors.Is(err, ErrReadOnly) || fault.KindOf(err) != fault.Internal {
		t.Fatalf("write in view: kind %s: %v", fault.KindOf(err), err)
	}
}

// TestPostgresDownIsUnavailable: with the server stopped, transactions,
// locks and opens report unavailable and retryable; once it is back the
// same store works again.
func TestPostgresDownIsUnavailable(t *testing.T) {
	srv, url := testrig.RequirePostgresServer(t)
	p, err := OpenPostgres(context.Background(), url, PostgresOptions{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := increment(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			if err := srv.Start(); err != nil {
				t.Errorf("restart postgres: %v", err)
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wantKind(t, "update with the server down", increment(ctx, p), fault.Unavailable, nil)
	wantKind(t, "view with the server down", p.View(ctx, func(Tx) error { return nil }), fault.Unavailable, nil)
	_, err = p.Lock(ctx, "x")
	wantKind(t, "lock with the server down", err, fault.Unavailable, nil)
	_, err = OpenPostgres(ctx, url, PostgresOptions{})
	wantKind(t, "open with the server down", err, fault.Unavailable, nil)

	restarted = true
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := increment(context.Background(), p); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// TestCheckWritableFullIsLocal: a state directory on a full disk (a real
// tmpfs, filled) fails the probe as a local error naming the directory.
func TestCheckWritableFullIsLocal(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=64k,mode=0700"); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (%v)", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	if err := CheckWritable(dir); err != nil {
		t.Fatalf("empty tmpfs: %v", err)
	}
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = filler.Write(make([]byte, 1<<20)) // ENOSPC once the 64 KiB are used
	filler.Close()
	err = CheckWritable(dir)
	wantKind(t, "probe on a full disk", err, fault.Local, syscall.ENOSPC)
	if fe := fault.As(err); fe != nil && !strings.Contains(fe.Hint, dir) {
		t.Errorf("hint does not name the directory: %v", err)
	}
}
