package filelock

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestTryLockExcludesAndReleases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	if Held(path) {
		t.Fatal("a missing file is held")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Held created the file: %v", err)
	}
	l, held, err := TryLock(path)
	if err != nil || held || l == nil {
		t.Fatalf("first TryLock: %v %v %v", l, held, err)
	}
	if l2, held, err := TryLock(path); err != nil || !held || l2 != nil {
		t.Fatalf("second TryLock while held: %v %v %v", l2, held, err)
	}
	if !Held(path) {
		t.Fatal("Held says free while locked")
	}
	l.Unlock()
	l.Unlock() // twice is harmless
	if Held(path) {
		t.Fatal("Held says held after Unlock")
	}
	l3, held, err := TryLock(path)
	if err != nil || held {
		t.Fatalf("TryLock after Unlock: %v %v", held, err)
	}
	l3.Unlock()
}

func TestWaitHonoursContextAndGetsTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	l, _, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Wait(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait on a held lock: %v, want the deadline", err)
	}
	go func() {
		time.Sleep(30 * time.Millisecond)
		l.Unlock()
	}()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	w, err := Wait(ctx2, path)
	if err != nil {
		t.Fatalf("Wait after the holder let go: %v", err)
	}
	w.Unlock()
}

const childEnv = "FILELOCK_TEST_HOLD"

// TestDeadHolderReleases: a holder killed with SIGKILL leaves no lock.
func TestDeadHolderReleases(t *testing.T) {
	if p := os.Getenv(childEnv); p != "" {
		if _, _, err := TryLock(p); err != nil {
			os.Exit(2)
		}
		os.Stdout.WriteString("held\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "x.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDeadHolderReleases$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := out.Read(buf); err != nil || string(buf[:4]) != "held" {
		t.Fatalf("child: %q %v", buf, err)
	}
	if !Held(path) {
		t.Fatal("the child's lock is not seen")
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if Held(path) {
		t.Fatal("a killed holder still holds the lock")
	}
}
