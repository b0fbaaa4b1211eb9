package store

import (
	"context"
	"fmt"
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
