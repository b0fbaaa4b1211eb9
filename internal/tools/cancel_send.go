package tools

import (
	"context"
	"errors"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/outbox"
)

func cancelSendTool() *Tool {
	return &Tool{
		Name:        "cancel_send",
		Title:       "Cancel a queued email",
		Description: "Cancel an outgoing email that is queued for a retry (status queued), by its outbox_id. Mail the server already accepted cannot be recalled.",
		Writes:      true, Destructive: true, Idempotent: true, OpenWorld: false,
		Params: []mcp.ToolOption{
			mcp.WithString("outbox_id", mcp.Required(), mcp.MaxLength(64), mcp.Description("The outbox id from a send result or outbox_status.")),
		},
		Handle: cancelSend,
	}
}

func cancelSend(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
	if r := sendingUnavailable(d); r != nil {
		return r
	}
	id := a.String("outbox_id", "")
	if err := a.Err(); err != nil {
		return errResult(err)
	}
	it, err := d.Outbox.Cancel(ctx, id)
	var se *outbox.StateError
	switch {
	case errors.Is(err, outbox.ErrNotFound):
		return errResult(fault.New(fault.NotFound, "cancel_send", "no outbox item "+id).WithHint("Call outbox_status to see the ids"))
	case errors.As(err, &se):
		if se.State == outbox.StateCancelled {
			it, _ = d.Outbox.Get(ctx, id)
			if it != nil {
				return sendResult(it, false)
			}
		}
		return errResult(fault.Errorf(fault.Invalid, "cancel_send", "%w", se))
	case err != nil:
		return errResult(err)
	}
	return sendResult(it, false)
}
