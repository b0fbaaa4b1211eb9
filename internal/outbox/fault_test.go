package outbox

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/store"
)

// fullDir returns a directory on a real file system of 64 KiB (a tmpfs
// mounted for the test), or skips when this process may not mount.
func fullDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=64k,mode=0700"); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (%v)", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

func newTestBox(t *testing.T, st store.Store, dir string) *Outbox {
	t.Helper()
	box, err := New(Config{Store: st, Dir: dir, Transport: nopTransport{}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { box.Close(context.Background()) })
	return box
}

func wantKind(t *testing.T, what string, err error, k fault.Kind) *fault.Error {
	t.Helper()
	fe := fault.As(err)
	switch {
	case fe == nil:
		t.Fatalf("%s: %v (%T) is not a *fault.Error (the agent reads it as internal)", what, err, err)
	case fe.Kind != k:
		t.Fatalf("%s: kind %s, want %s: %v", what, fe.Kind, k, err)
	case fe.Hint == "":
		t.Fatalf("%s: no hint: %v", what, err)
	}
	return fe
}

// TestFullOutboxIsLocal: a message that does not fit on the outbox's disk
// is a local error naming the directory, and nothing is queued.
func TestFullOutboxIsLocal(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := filepath.Join(fullDir(t), "outbox")
	box := newTestBox(t, st, dir)
	req := request("full-1", "x@x.test")
	req.Raw = append(req.Raw, bytes.Repeat([]byte("0123456789abcdef\r\n"), 8<<10)...) // 144 KiB
	_, _, err = box.Enqueue(context.Background(), req)
	fe := wantKind(t, "enqueue on a full disk", err, fault.Local)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(fe.Hint, dir) {
		t.Errorf("enqueue on a full disk: %v (hint %q), want ENOSPC and the directory named", err, fe.Hint)
	}
	if items, err := box.List(context.Background(), ListOptions{}); err != nil || len(items) != 0 {
		t.Errorf("after a failed enqueue: %d items, %v", len(items), err)
	}
}

// TestOutboxErrorKinds: an unknown id is not_found, a journaled message
// whose bytes are gone is a local error, and a closed store (shutdown) is
// unavailable and retryable; the sentinel errors stay reachable.
func TestOutboxErrorKinds(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	box := newTestBox(t, st, dir)
	ctx := context.Background()
	_, err = box.Get(ctx, "nope")
	wantKind(t, "get of an unknown id", err, fault.NotFound)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("ErrNotFound lost: %v", err)
	}
	_, err = box.Cancel(ctx, "nope")
	wantKind(t, "cancel of an unknown id", err, fault.NotFound)

	_, err = fileBodies{dir}.Read("gone.eml")
	wantKind(t, "a missing message file", err, fault.Local)
	_, err = StoreBodies(st).Read("gone.eml")
	wantKind(t, "a missing message in the store", err, fault.Local)

	st.Close()
	_, _, err = box.Enqueue(ctx, request("closed-1", "x@x.test"))
	wantKind(t, "enqueue on a closed store", err, fault.Unavailable)
	if !fault.IsRetryable(err) || !errors.Is(err, store.ErrClosed) {
		t.Errorf("enqueue on a closed store: retryable %v, %v", fault.IsRetryable(err), err)
	}
}
