package tools

import (
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// copyTool: every call makes new copies, so it is not idempotent.
func copyTool() *Tool {
	return &Tool{
		Name:        "copy",
		Title:       "Copy emails to a folder",
		Description: "Copy email messages (up to 500 ids from search) into another folder, keeping the originals. Gives each id's outcome and the copy's new id; calling twice makes two copies.",
		Writes:      true, OpenWorld: true,
		Params: []mcp.ToolOption{idsParam("to copy"), toParam()},
		Handle: transferHandler("copy", (*imapconn.Pool).Copy),
	}
}
