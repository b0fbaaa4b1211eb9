package index

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/filelock"
)

// smallDisk returns a directory on a real file system of size (a tmpfs
// mounted for the test), or skips when this process may not mount.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+size+",mode=0700"); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (%v)", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

func wantLocal(t *testing.T, what string, err error, path string) {
	t.Helper()
	fe := fault.As(err)
	switch {
	case fe == nil:
		t.Fatalf("%s: %v (%T) is not a *fault.Error (the agent reads it as internal)", what, err, err)
	case fe.Kind != fault.Local:
		t.Fatalf("%s: kind %s, want local_error: %v", what, fe.Kind, err)
	case !strings.Contains(fe.Hint, path):
		t.Fatalf("%s: hint %q does not name %s", what, fe.Hint, path)
	}
}

// TestFullDiskIsLocal: indexing onto a disk that fills is a local error
// naming the index file, and still ErrFull.
func TestFullDiskIsLocal(t *testing.T) {
	path := filepath.Join(smallDisk(t, "256k"), "ix.db")
	ix, err := Open(context.Background(), path, nil)
	if err != nil {
		wantLocal(t, "open on a small disk", err, path)
		return
	}
	defer ix.Close()
	ctx := context.Background()
	if _, err := ix.SetFolder(ctx, "INBOX", 7); err != nil {
		wantLocal(t, "set folder on a small disk", err, path)
		return
	}
	body := strings.Repeat("lorem ipsum dolor sit amet consectetur ", 200)
	for uid := uint32(1); uid < 2000; uid++ {
		err = ix.Put(ctx, []*Message{testMessage(t, "INBOX", 7, uid, "full disk", body)})
		if err != nil {
			break
		}
	}
	if err == nil {
		t.Fatal("a 256 KiB disk never filled")
	}
	wantLocal(t, "put on a full disk", err, path)
	if !errors.Is(err, ErrFull) {
		t.Errorf("ErrFull lost: %v", err)
	}
}

// TestDamagedIndexIsLocal: a reader (another process holds the writer's
// lock) that finds the file damaged gets a local error naming it, still
// ErrCorrupt.
func TestDamagedIndexIsLocal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ix.db")
	w := openTest(t, path)
	fill(t, w, 3)
	w.Close()
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 2000)), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	lk, _, err := filelock.TryLock(path + ".lock") // the writer, elsewhere
	if err != nil || lk == nil {
		t.Fatalf("take the writer's lock: %v", err)
	}
	defer lk.Unlock()
	_, err = Open(context.Background(), path, nil)
	if err == nil {
		t.Fatal("a damaged index opened")
	}
	wantLocal(t, "open of a damaged index", err, path)
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("ErrCorrupt lost: %v", err)
	}
}
