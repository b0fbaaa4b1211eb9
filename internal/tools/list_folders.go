package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

type listFoldersOut struct {
	Account string            `json:"account"`
	Folders []imapconn.Folder `json:"folders"`
	// Quota is the mailbox's storage use (absent when the server does not
	// report one).
	Quota []imapconn.Quota `json:"quota,omitempty"`
}

func listFoldersTool() *Tool {
	return &Tool{
		Name:        "list_folders",
		Title:       "List email folders",
		Description: "List the folders of an email account (INBOX, Sent, Drafts, Archive, Trash, Junk and the user's own) with role, total and unread counts, and the storage quota where reported. Use the names as folder in search.",
		Idempotent:  true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithBoolean("counts", mcp.Description("Include total and unread counts (slower on servers without LIST-STATUS)."), mcp.DefaultBool(true)),
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
				folders = []imapconn.Folder{}
			}
			out := listFoldersOut{Account: p.Account().ID, Folders: folders}
			// Quota is extra information: a server that fails GETQUOTAROOT
			// still gets its folder list.
			if q, err := p.Quota(ctx); err == nil {
				out.Quota = q
			} else {
				d.Log.Debug("quota unavailable", "account", out.Account, "err", err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%d folders in %s:\n", len(folders), out.Account)
			for _, q := range out.Quota {
				if q.StorageUsed != nil && q.StorageLimit != nil {
					fmt.Fprintf(&b, "Storage: %s of %s used", humanBytes(*q.StorageUsed), humanBytes(*q.StorageLimit))
					if *q.StorageLimit > 0 {
						fmt.Fprintf(&b, " (%.0f%%)", 100*float64(*q.StorageUsed)/float64(*q.StorageLimit))
					}
					b.WriteString(".\n")
				}
				if q.Messages != nil && q.MessageLimit != nil {
					fmt.Fprintf(&b, "Messages: %d of %d allowed.\n", *q.Messages, *q.MessageLimit)
				}
			}
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

// humanBytes renders a byte count as KiB, MiB or GiB.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
