package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// renameFolderTool: repeating the call fails (the old name is gone) and
// changes nothing.
func renameFolderTool() *Tool {
	return &Tool{
		Name:        "rename_folder",
		Title:       "Rename an email folder",
		Description: "Rename or move an email folder; its subfolders follow. to is the full new name, / between levels (Projects/Done). INBOX and special folders are refused. Ids from the old folder stop working: search again.",
		Writes:      true, Idempotent: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithString("from", mcp.Required(), mcp.MaxLength(imapconn.MaxFolderName), mcp.Description("Current full folder name, as list_folders shows it.")),
			mcp.WithString("to", mcp.Required(), mcp.MaxLength(imapconn.MaxFolderName), mcp.Description("New full folder name.")),
		},
		Handle: func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
			from := a.NoControl("from", a.String("from", ""))
			to := a.NoControl("to", a.String("to", ""))
			if err := a.Err(); err != nil {
				return errResult(err)
			}
			p, err := writablePool(d, a)
			if err != nil {
				return errResult(err)
			}
			f, err := p.RenameFolder(ctx, from, to)
			if err != nil {
				return errResult(err)
			}
			return okResult(folderOut{Account: p.Account().ID, Folder: f, From: from}, fmt.Sprintf("Renamed folder %q to %q.", from, f.Name))
		},
	}
}
