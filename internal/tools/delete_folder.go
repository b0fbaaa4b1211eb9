package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

type deleteFolderOut struct {
	Account string                 `json:"account"`
	Deleted imapconn.DeletedFolder `json:"deleted"`
}

// deleteFolderTool: destructive with force (messages go with the folder);
// a repeated call finds nothing to delete.
func deleteFolderTool() *Tool {
	return &Tool{
		Name:        "delete_folder",
		Title:       "Delete an email folder",
		Description: "Delete an email folder. One that still holds messages is refused unless force is true, which erases them too. INBOX, special folders and folders with subfolders are always refused.",
		Writes:      true, Destructive: true, Idempotent: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithString("name", mcp.Required(), mcp.MaxLength(imapconn.MaxFolderName), mcp.Description("Full folder name, as list_folders shows it.")),
			mcp.WithBoolean("force", mcp.Description("Also erase the messages in the folder."), mcp.DefaultBool(false)),
		},
		Handle: func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
			name := a.NoControl("name", a.String("name", ""))
			force := a.Bool("force", false)
			if err := a.Err(); err != nil {
				return errResult(err)
			}
			p, err := writablePool(d, a)
			if err != nil {
				return errResult(err)
			}
			del, err := p.DeleteFolder(ctx, name, force)
			if err != nil {
				return errResult(err)
			}
			text := fmt.Sprintf("Deleted folder %q.", del.Name)
			if del.Messages > 0 {
				text = fmt.Sprintf("Deleted folder %q and the %d message(s) in it.", del.Name, del.Messages)
			}
			return okResult(deleteFolderOut{Account: p.Account().ID, Deleted: del}, text)
		},
	}
}
