package main

import (
	"context"
	"log/slog"
	"time"
)

// Shutdown budgets, one per stage that takes a context. Each stage gets
// its own, so a stage that uses all of its time (an outbox waiting on a
// slow SMTP server) cannot leave the next (logging out of the IMAP
// servers) with an expired context.
const (
	outboxStopBudget = 3 * time.Second
	poolCloseBudget  = 2 * time.Second
)

// stage is one step of an ordered shutdown. A zero budget means the step
// takes no deadline (its context is never cancelled by runStages).
type stage struct {
	name   string
	budget time.Duration
	run    func(context.Context)
}

// runStages runs the stages in order, each with a fresh context bounded by
// its own budget, and logs a stage that overran it.
func runStages(log *slog.Logger, stages ...stage) {
	for _, s := range stages {
		ctx, cancel := context.Background(), context.CancelFunc(func() {})
		if s.budget > 0 {
			ctx, cancel = context.WithTimeout(ctx, s.budget)
		}
		s.run(ctx)
		if ctx.Err() != nil {
			log.Warn("shutdown stage used its whole budget", "stage", s.name, "budget", s.budget)
		}
		cancel()
	}
}
