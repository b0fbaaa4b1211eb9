package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// progress sends MCP progress notifications for one call when the client
// asked for them (a progressToken in _meta); otherwise it does nothing.
type progress struct {
	ctx   context.Context
	srv   *server.MCPServer
	token mcp.ProgressToken
	total float64
}

// newProgress prepares progress reporting for a call with total steps
// (0 when unknown).
func newProgress(ctx context.Context, a *Args, total int) *progress {
	p := &progress{ctx: ctx, srv: server.ServerFromContext(ctx), total: float64(total)}
	if meta := a.Request().Params.Meta; meta != nil {
		p.token = meta.ProgressToken
	}
	return p
}

// Enabled reports whether the client will receive the notifications.
func (p *progress) Enabled() bool { return p.srv != nil && p.token != nil }

// Report sends done/total with a short message. Failures to notify are
// ignored: progress is advisory and must never fail the call.
func (p *progress) Report(done int, message string) {
	if !p.Enabled() {
		return
	}
	params := map[string]any{"progressToken": p.token, "progress": float64(done)}
	if p.total > 0 {
		params["total"] = p.total
	}
	if message != "" {
		params["message"] = message
	}
	_ = p.srv.SendNotificationToClient(p.ctx, "notifications/progress", params)
}
