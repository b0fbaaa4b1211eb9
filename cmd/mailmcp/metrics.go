package main

import (
	"context"
	"errors"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/metrics"
)

// toolMetrics is tool-handler middleware recording each call's outcome and
// latency.
func toolMetrics(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		res, err := next(ctx, req)
		metrics.ObserveToolCall(req.Params.Name, callOutcome(ctx, res, err), time.Since(start))
		return res, err
	}
}

func callOutcome(ctx context.Context, res *mcp.CallToolResult, err error) string {
	switch {
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return metrics.OutcomeCancelled
	case err != nil:
		return metrics.OutcomeError
	case res != nil && res.IsError:
		return metrics.OutcomeToolError
	}
	return metrics.OutcomeOK
}

// publishPoolStats lets /metrics read m's pool statistics at scrape time.
func publishPoolStats(m *imapconn.Manager) {
	metrics.SetPoolSource(func() map[string]metrics.PoolStats {
		out := map[string]metrics.PoolStats{}
		for _, id := range m.IDs() {
			p, err := m.Pool(id)
			if err != nil {
				continue
			}
			s := p.Stats()
			out[id] = metrics.PoolStats{Open: s.Open, Idle: s.Idle, Dials: s.Dials, Reuses: s.Reuses, Retries: s.Retries, Discards: s.Discards, Waits: s.Waits}
		}
		return out
	})
}
