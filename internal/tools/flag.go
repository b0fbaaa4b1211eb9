package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

func flagListParam(name, what string) mcp.ToolOption {
	return mcp.WithArray(name, mcp.Description("Flags to "+what+": seen (read), flagged (starred), answered, draft, or a keyword such as $Important."),
		mcp.WithStringItems(mcp.MaxLength(imapconn.MaxKeywordLen)), mcp.MaxItems(20))
}

// flagTool: setting the same flags twice leaves the same state.
func flagTool() *Tool {
	return &Tool{
		Name:        "flag",
		Title:       "Mark emails read, unread, flagged",
		Description: "Mark email messages (up to 500 ids from search) read or unread, flagged (starred), answered or draft, or set custom keywords, by adding or removing flags. Gives each id's outcome. To delete, use delete.",
		Writes:      true, Idempotent: true, OpenWorld: true,
		Params: []mcp.ToolOption{idsParam("to change"), flagListParam("add", "add"), flagListParam("remove", "remove")},
		Handle: func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
			add, remove := a.Strings("add"), a.Strings("remove")
			if len(add) == 0 && len(remove) == 0 && a.Err() == nil {
				a.fail("give add and/or remove, e.g. add: [\"seen\"] to mark read")
			}
			for _, f := range append(append([]string{}, add...), remove...) {
				if _, err := imapconn.ParseFlag(f); err != nil {
					a.fail("%v", err)
				}
			}
			return handleBulk(ctx, d, a, "flag", "", func(ctx context.Context, p *imapconn.Pool, refs []imapconn.MessageRef, opt imapconn.BulkOptions) (*imapconn.BulkResult, error) {
				res, err := p.Flag(ctx, refs, add, remove, opt)
				indexWrite(ctx, d, p, refs, res, false, add, remove)
				return res, err
			})
		},
	}
}
