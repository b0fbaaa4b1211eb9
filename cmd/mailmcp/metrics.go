package main

import (
	"context"
	"errors"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

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
