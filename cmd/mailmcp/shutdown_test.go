package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"
)

// TestShutdownStagesOwnBudgets: a stage that uses its whole budget (the
// outbox stuck on a slow server) leaves the next stage (closing the pools)
// a live context with its own full budget. With one context shared by
// both, the pool close started with a context already expired.
func TestShutdownStagesOwnBudgets(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var order []string
	var poolErr error
	var poolLeft time.Duration
	runStages(log,
		stage{"outbox", 50 * time.Millisecond, func(ctx context.Context) {
			order = append(order, "outbox")
			<-ctx.Done()
		}},
		stage{"state", 0, func(ctx context.Context) {
			order = append(order, "state")
			if _, ok := ctx.Deadline(); ok {
				t.Error("a stage with no budget got a deadline")
			}
		}},
		stage{"pool", time.Second, func(ctx context.Context) {
			order = append(order, "pool")
			poolErr = ctx.Err()
			d, _ := ctx.Deadline()
			poolLeft = time.Until(d)
		}},
	)
	if poolErr != nil || poolLeft < 500*time.Millisecond {
		t.Errorf("pool stage started with err %v and %v left of its 1s budget", poolErr, poolLeft)
	}
	if len(order) != 3 || order[0] != "outbox" || order[1] != "state" || order[2] != "pool" {
		t.Errorf("stages ran as %v", order)
	}
}
