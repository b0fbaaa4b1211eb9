package outbox

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/store"
)

const (
	crashChildEnv = "MAILMCP_OUTBOX_CRASH_CHILD"
	crashDirEnv   = "MAILMCP_OUTBOX_CRASH_DIR"
	crashSMTPEnv  = "MAILMCP_OUTBOX_CRASH_SMTP"
)

// TestCrashAfterDot runs the outbox in a child process (this test binary
// re-executed) and SIGKILLs it while the SMTP server holds its reply to the
// final dot, then accepts the message. Reopening the same state directory
// must not send it again: the item is in_doubt, delivered exactly once.
func TestCrashAfterDot(t *testing.T) {
	if os.Getenv(crashChildEnv) == "1" {
		crashChild(t)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	s := startSMTP(t)
	held, release := make(chan struct{}), make(chan struct{})
	s.set(func() { s.held, s.release = held, release })
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashAfterDot$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashDirEnv+"="+dir, crashSMTPEnv+"="+s.Addr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child never reached the end of DATA")
	}
	cmd.Process.Kill()
	cmd.Wait()
	close(release) // the server now accepts what it received
	deadline := time.Now().Add(5 * time.Second)
	for len(s.deliveries()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	s.set(func() { s.held, s.release = nil, nil })

	r := newRig(t, dir, s.Addr, true, nil)
	r.Box.Start()
	items, err := r.Box.List(context.Background(), ListOptions{})
	if err != nil || len(items) != 1 {
		t.Fatalf("items %v %v", items, err)
	}
	it := r.waitState(items[0].ID, StateInDoubt)
	t.Logf("after restart: %s: %s", it.State, it.LastError)
	// Retrying with the same key reports the item, sends nothing.
	again, created, err := r.Box.Send(context.Background(), request("crash", "x@x.test"))
	if err != nil || created || again.ID != it.ID {
		t.Fatalf("retry: created %v %v", created, err)
	}
	time.Sleep(300 * time.Millisecond) // a few worker sweeps
	if d := s.deliveries(); len(d) != 1 {
		t.Fatalf("%d deliveries, want exactly 1", len(d))
	}
}

// crashChild sends one message and waits to be killed.
func crashChild(t *testing.T) {
	r := newRig(t, os.Getenv(crashDirEnv), os.Getenv(crashSMTPEnv), true, nil)
	r.Box.Send(context.Background(), request("crash", "x@x.test"))
	time.Sleep(time.Minute)
}

// TestAbandonedBeforeCommitIsRequeued: an attempt whose process died
// before the commit point (owner lock gone, phase before_commit) is queued
// again and delivered once.
func TestAbandonedBeforeCommitIsRequeued(t *testing.T) {
	s := startSMTP(t)
	dir := t.TempDir()
	r := newRig(t, dir, s.Addr, true, nil)
	ctx := context.Background()
	it, _, err := r.Box.Enqueue(ctx, request("pre", "x@x.test"))
	if err != nil {
		t.Fatal(err)
	}
	// Simulate a process that claimed the item and died before commit: the
	// owner token names no live process.
	claimed := r.Box.claim(it.ID)
	if claimed == nil {
		t.Fatal("claim")
	}
	// Unchecked, a failed update would leave the item to this live process,
	// and the test would pass through the other path of sweep.
	if err := r.Box.cfg.Store.Update(ctx, func(tx store.Tx) error {
		cur, err := getItem(tx, it.ID)
		if err != nil {
			return err
		}
		cur.Owner = "p1-dead"
		return putItem(tx, cur)
	}); err != nil {
		t.Fatal(err)
	}
	r.Box.Start()
	got := r.waitState(it.ID, StateSent)
	if len(s.deliveries()) != 1 || got.Attempts != 2 {
		t.Errorf("deliveries %d attempts %d", len(s.deliveries()), got.Attempts)
	}
}
