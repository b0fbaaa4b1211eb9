package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// toParam is the destination of move and copy.
func toParam() mcp.ToolOption {
	return mcp.WithString("to", mcp.Required(), mcp.MaxLength(imapconn.MaxFolderName),
		mcp.Description("Destination folder (from list_folders) or role: archive, trash, junk, inbox, sent, drafts."))
}

// transferHandler handles move and copy: op is (*imapconn.Pool).Move or
// (*imapconn.Pool).Copy, run on the ids towards the folder or role in to.
// Into Sent or Drafts, the ids are screened first (see screenPlacement).
func transferHandler(action string, op func(*imapconn.Pool, context.Context, []imapconn.MessageRef, string, imapconn.BulkOptions) (*imapconn.BulkResult, error)) func(context.Context, *Deps, *Args) *mcp.CallToolResult {
	return func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
		to := a.NoControl("to", a.String("to", ""))
		if to == "" {
			a.fail("to must name a folder or a role such as archive")
		}
		return handleBulk(ctx, d, a, action, to, func(ctx context.Context, p *imapconn.Pool, refs []imapconn.MessageRef, opt imapconn.BulkOptions) (*imapconn.BulkResult, error) {
			pl, err := screenPlacement(ctx, d, p, refs, to)
			switch {
			case err != nil:
				return nil, err
			case pl == nil:
				res, err := op(p, ctx, refs, to, opt)
				indexWrite(ctx, d, p, refs, res, action == "move", nil, nil)
				return res, err
			case len(pl.keep) == 0:
				return pl.merge(&imapconn.BulkResult{}), nil
			}
			res, err := op(p, ctx, pl.keep, to, opt)
			if err != nil {
				return nil, err
			}
			indexWrite(ctx, d, p, pl.keep, res, action == "move", nil, nil)
			return pl.merge(res), nil
		})
	}
}

// moveTool: moving again with the same ids changes nothing (they no longer
// exist in the source), hence idempotent; nothing is lost, hence not
// destructive.
func moveTool() *Tool {
	return &Tool{
		Name:        "move",
		Title:       "Move emails to a folder",
		Description: "Move email messages (up to 500 ids from search) to another folder. Gives each id's outcome and new id (old ids stop working). unknown means the connection dropped mid-command: search the destination before retrying.",
		Writes:      true, Idempotent: true, OpenWorld: true,
		Params: []mcp.ToolOption{idsParam("to move"), toParam()},
		Handle: transferHandler("move", (*imapconn.Pool).Move),
	}
}
