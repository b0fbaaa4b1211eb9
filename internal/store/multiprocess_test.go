package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

const (
	childEnv    = "MAILMCP_STORE_TEST_CHILD"
	childDirEnv = "MAILMCP_STORE_TEST_DIR"
	childNEnv   = "MAILMCP_STORE_TEST_N"
	childHold   = "MAILMCP_STORE_TEST_HOLD" // "view" or "update"
)

// TestMultiProcess runs several processes (the test binary re-executed) that
// each increment one counter in a shared state directory, as many stdio
// mailmcp processes started by one agent host do. Every increment must
// survive: the file lock serialises their transactions and none times out.
func TestMultiProcess(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		childIncrement()
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	f, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const procs, per = 4, 100
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		c := exec.Command(os.Args[0], "-test.run=^TestMultiProcess$", "-test.count=1")
		c.Env = append(os.Environ(), childEnv+"=1", childDirEnv+"="+dir, childNEnv+"="+strconv.Itoa(per))
		c.Stderr = os.Stderr
		cmds[i] = c
	}
	outs := make([]chan []byte, procs)
	for i, c := range cmds {
		outs[i] = make(chan []byte, 1)
		go func() { b, _ := c.Output(); outs[i] <- b }()
	}
	// This process takes part too.
	for range per {
		if err := increment(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	for i := range cmds {
		if out := string(<-outs[i]); out != "ok\n" {
			t.Errorf("child %d: %q", i, out)
		}
	}
	if got := counter(t, f); got != (procs+1)*per {
		t.Errorf("counter %d, want %d", got, (procs+1)*per)
	}
}

func childIncrement() {
	n, _ := strconv.Atoi(os.Getenv(childNEnv))
	f, err := Open(os.Getenv(childDirEnv), Options{LockTimeout: 30 * time.Second})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(0)
	}
	for range n {
		if err := increment(context.Background(), f); err != nil {
			fmt.Println("increment:", err)
			os.Exit(0)
		}
	}
	fmt.Println("ok")
	os.Exit(0)
}

// holdInChild starts a process that opens the store in dir, runs a View or
// an Update (how) and holds it until the test ends.
func holdInChild(t *testing.T, dir, how string) {
	t.Helper()
	c := exec.Command(os.Args[0], "-test.run=^TestMultiProcessLocks$", "-test.count=1")
	c.Env = append(os.Environ(), childHold+"="+how, childDirEnv+"="+dir)
	c.Stderr = os.Stderr
	in, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); _ = c.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "holding\n" {
		t.Fatalf("child: %q, %v", line, err)
	}
}

// childHoldTx runs the child's transaction until its stdin closes.
func childHoldTx(how string) {
	f, err := Open(os.Getenv(childDirEnv), Options{LockTimeout: 30 * time.Second})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(0)
	}
	tx := f.View
	if how == "update" {
		tx = f.Update
	}
	err = tx(context.Background(), func(Tx) error {
		fmt.Println("holding")
		_, _ = io.Copy(io.Discard, os.Stdin)
		return nil
	})
	if err != nil {
		fmt.Println("tx:", err)
	}
	os.Exit(0)
}

// TestMultiProcessLocks: readers in different processes share the file
// (View takes a shared lock) while a writer waits for them (Update takes
// an exclusive one), and a transaction waiting for another process's lock
// returns promptly when its context is cancelled.
func TestMultiProcessLocks(t *testing.T) {
	if how := os.Getenv(childHold); how != "" {
		childHoldTx(how)
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	t.Run("views overlap", func(t *testing.T) {
		dir := t.TempDir()
		f, err := Open(dir, Options{LockTimeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		holdInChild(t, dir, "view")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := f.View(ctx, func(Tx) error { return nil }); err != nil {
			t.Fatalf("view while another process views: %v", err)
		}
		// A writer must wait for the reader.
		wctx, wcancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer wcancel()
		if err := f.Update(wctx, func(Tx) error { return nil }); !errors.Is(err, ErrBusy) {
			t.Fatalf("update while another process views: %v, want ErrBusy", err)
		}
	})
	t.Run("cancel while locked", func(t *testing.T) {
		dir := t.TempDir()
		f, err := Open(dir, Options{LockTimeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		holdInChild(t, dir, "update")
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
			time.AfterFunc(100*time.Millisecond, cancel)
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("write=%v: %v, want context.Canceled", write, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("write=%v: a cancelled transaction kept waiting for another process's lock", write)
			}
			cancel()
		}
	})
}
