package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/mailconn"
)

type listFoldersOut struct {
	Account string            `json:"account"`
	Folders []mailconn.Folder `json:"folders"`
}

func init() { define(listFoldersTool) }

func listFoldersTool() *Tool {
	return &Tool{
		Name:  "list_folders",
		Title: "List email folders",
		Description: "List the folders (mailboxes, labels) of an email account: INBOX, Sent, Drafts, Archive, Trash, Junk and the user's own, " +
			"with each folder's role and its total and unread (unseen) message counts. Use the names it returns as `folder` in search.",
		Idempotent: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithBoolean("counts", mcp.Description("Include total and unread counts (one extra round trip per folder on servers without LIST-STATUS). Default true."), mcp.DefaultBool(true)),
		},
		Output: mcp.WithOutputSchema[listFoldersOut](),
		Handle: func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
			p, err := pool(d, a)
			counts := a.Bool("counts", true)
			if err == nil {
				err = a.Err()
			}
			if err != nil {
				return errResult(err)
			}
			folders, err := p.ListFolders(ctx, counts)
			if err != nil {
				return errResult(err)
			}
			if folders == nil {
				folders = []mailconn.Folder{}
			}
			out := listFoldersOut{Account: p.Account().ID, Folders: folders}
			var b strings.Builder
			fmt.Fprintf(&b, "%d folders in %s:\n", len(folders), out.Account)
			for _, f := range folders {
				b.WriteString("- " + f.Name)
				if f.Role != "" {
					fmt.Fprintf(&b, " [%s]", f.Role)
				}
				if f.Total != nil {
					fmt.Fprintf(&b, " total=%d", *f.Total)
				}
				if f.Unseen != nil {
					fmt.Fprintf(&b, " unread=%d", *f.Unseen)
				}
				b.WriteByte('\n')
			}
			return okResult(out, b.String())
		},
	}
}
