package main

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestCallGateNoCallAfterDrain races calls against drain: once drain has
// returned, no call may be running or start running. The old gate checked
// draining and then called wg.Add, so a call that had passed the check
// could Add after Wait had already seen zero and run after the drain.
// More OS threads than cores make a thread preempted inside that window
// likely enough to see within the time budget.
func TestCallGateNoCallAfterDrain(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(16))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var late, rounds atomic.Int64
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && late.Load() == 0 {
		rounds.Add(1)
		g := &callGate{}
		var drained atomic.Bool
		h := g.middleware(func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			if drained.Load() {
				late.Add(1)
			}
			return mcp.NewToolResultText("ok"), nil
		})
		var wg sync.WaitGroup
		for j := 0; j < 8; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < 50; k++ {
					h(context.Background(), mcp.CallToolRequest{})
				}
			}()
		}
		g.drain(time.Second, log)
		drained.Store(true)
		wg.Wait()
	}
	if n := late.Load(); n > 0 {
		t.Fatalf("%d calls ran after drain returned (%d rounds)", n, rounds.Load())
	}
	t.Logf("%d rounds", rounds.Load())
}
