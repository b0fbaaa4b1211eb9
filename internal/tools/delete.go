package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// deleteTool: repeating it changes nothing more (the ids are gone from
// their folder); permanent removal is destructive.
func deleteTool() *Tool {
	return &Tool{
		Name:  "delete",
		Title: "Delete emails (to Trash)",
		Description: "Delete email messages by moving them to the Trash folder (recoverable; the result gives their new ids in Trash). " +
			"permanent: true removes messages for good, and only works on ids that are already in Trash; other ids are refused one by one. " +
			"Takes up to 500 ids from search, processed in batches with progress notifications.",
		Writes: true, Destructive: true, Idempotent: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			idsParam("to delete"),
			mcp.WithBoolean("permanent", mcp.Description("Remove for good instead of moving to Trash; only for messages already in Trash. Default false."), mcp.DefaultBool(false)),
		},
		Output: mcp.WithOutputSchema[bulkOut](),
		Handle: func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
			permanent := a.Bool("permanent", false)
			action := "delete (move to Trash)"
			if permanent {
				action = "delete permanently"
			}
			return handleBulk(ctx, d, a, action, "", func(ctx context.Context, p *imapconn.Pool, refs []imapconn.MessageRef, opt imapconn.BulkOptions) (*imapconn.BulkResult, error) {
				return p.Delete(ctx, refs, permanent, opt)
			})
		},
	}
}
