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
		Name:        "delete",
		Title:       "Delete emails (to Trash)",
		Description: "Delete email messages (up to 500 ids from search) by moving them to Trash, recoverably; the result gives their new ids. permanent: true erases messages that are already in Trash.",
		Writes:      true, Destructive: true, Idempotent: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			idsParam("to delete"),
			mcp.WithBoolean("permanent", mcp.Description("Erase messages already in Trash instead of moving them."), mcp.DefaultBool(false)),
		},
		Handle: func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
			permanent := a.Bool("permanent", false)
			action := "delete (move to Trash)"
			if permanent {
				action = "delete permanently"
			}
			return handleBulk(ctx, d, a, action, "", func(ctx context.Context, p *imapconn.Pool, refs []imapconn.MessageRef, opt imapconn.BulkOptions) (*imapconn.BulkResult, error) {
				res, err := p.Delete(ctx, refs, permanent, opt)
				indexWrite(ctx, d, p, refs, res, true, nil, nil)
				return res, err
			})
		},
	}
}
