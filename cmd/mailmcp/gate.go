package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// callGate tracks in-flight tool calls and refuses new ones once draining.
// The draining check and the registration of a call happen under one lock,
// and drain sets draining under it too: so every call either registered
// before drain began (and drain waits for it) or sees draining and is
// refused. A separate atomic check followed by wg.Add let a call pass the
// check, lose the CPU, and register after Wait had already seen zero.
type callGate struct {
	mu       sync.Mutex
	draining bool
	wg       sync.WaitGroup
}

// enter registers a call, or reports false once draining.
func (g *callGate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.draining {
		return false
	}
	g.wg.Add(1)
	return true
}

func (g *callGate) middleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if !g.enter() {
			return mcp.NewToolResultError("mailmcp is shutting down and takes no new calls; retry in a moment"), nil
		}
		defer g.wg.Done()
		return next(ctx, req)
	}
}

// drain stops new calls and waits up to d for running ones.
func (g *callGate) drain(d time.Duration, log *slog.Logger) {
	g.mu.Lock()
	g.draining = true
	g.mu.Unlock()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		log.Warn("in-flight tool calls did not finish in time; cancelling them", "after", d)
	}
}
