package tools

import (
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// copyTool: every call makes new copies, so it is not idempotent.
func copyTool() *Tool {
	return &Tool{
		Name:  "copy",
		Title: "Copy emails to a folder",
		Description: "Copy email messages into another folder (by name or by role: archive, trash, junk, inbox, sent, drafts), keeping the originals. " +
			"Takes up to 500 ids from search, copied in batches with progress notifications; the result gives each id's outcome and the new id " +
			"of its copy when the server reports it. Calling it twice makes two copies.",
		Writes: true, OpenWorld: true,
		Params: []mcp.ToolOption{idsParam("to copy"), toParam()},
		Output: mcp.WithOutputSchema[bulkOut](),
		Handle: transferHandler("copy", (*imapconn.Pool).Copy),
	}
}
