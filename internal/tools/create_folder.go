package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

type folderOut struct {
	Account string          `json:"account"`
	Folder  imapconn.Folder `json:"folder"`
	// From is the old name (rename_folder).
	From string `json:"from,omitempty"`
}

// createFolderTool: a second identical call only reports that the folder
// exists.
func createFolderTool() *Tool {
	return &Tool{
		Name:        "create_folder",
		Title:       "Create an email folder",
		Description: "Create an email folder, at the top level or inside parent; / separates levels on every server (Projects/Alpha makes Alpha inside Projects). The folder is subscribed; fails if it exists.",
		Writes:      true, Idempotent: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithString("name", mcp.Required(), mcp.MaxLength(imapconn.MaxFolderName), mcp.Description("Name of the new folder, e.g. Receipts.")),
			mcp.WithString("parent", mcp.MaxLength(imapconn.MaxFolderName), mcp.Description("Existing folder (name from list_folders, or a role such as archive) to create it in. Default: top level.")),
		},
		Handle: func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
			name := a.NoControl("name", a.String("name", ""))
			parent := a.NoControl("parent", a.String("parent", ""))
			if err := a.Err(); err != nil {
				return errResult(err)
			}
			p, err := writablePool(d, a)
			if err != nil {
				return errResult(err)
			}
			f, err := p.CreateFolder(ctx, name, parent)
			if err != nil {
				return errResult(err)
			}
			return okResult(folderOut{Account: p.Account().ID, Folder: f}, fmt.Sprintf("Created folder %q in %s.", f.Name, p.Account().ID))
		},
	}
}
