package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

func listDraftsTool() *Tool {
	return &Tool{
		Name:        "list_drafts",
		Title:       "List email drafts",
		Description: "List the email drafts in the account's Drafts folder, most recently saved first. Send one with send_draft, update it with save_draft (draft_id), read it with fetch_message. Page with next_cursor.",
		Idempotent:  true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithInteger("limit", mcp.Description("Drafts per page."), mcp.Min(1), mcp.Max(100), mcp.DefaultNumber(20)),
			mcp.WithString("cursor", mcp.Description("next_cursor from the previous page."), mcp.MaxLength(4000)),
		},
		Output: mcp.WithOutputSchema[imapconn.Page](),
		Handle: listDrafts,
	}
}

func listDrafts(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
	p, err := pool(d, a)
	limit := a.Int("limit", 20, 1, 100)
	cursor := a.String("cursor", "")
	if err == nil {
		err = a.Err()
	}
	if err != nil {
		return errResult(err)
	}
	folder, err := p.FolderForRole(ctx, imapconn.RoleDrafts)
	if err != nil {
		return errResult(err)
	}
	// Never a draft flagged \Deleted: a replaced or sent one that a server
	// without UIDPLUS could not expunge yet.
	return pageResult(ctx, p, folder, imapconn.Criteria{Undeleted: true}, limit, cursor, renderDrafts)
}

func renderDrafts(p *imapconn.Page) string {
	var b strings.Builder
	if len(p.Messages) == 0 {
		fmt.Fprintf(&b, "No drafts in %s.\n", p.Folder)
		return b.String()
	}
	fmt.Fprintf(&b, "%d of %d drafts in %s, most recent first.\n%s", len(p.Messages), p.Total, p.Folder, untrustedNote)
	for _, m := range p.Messages {
		to := make([]string, len(m.To))
		for i, ad := range m.To {
			to[i] = ad.Email
		}
		fmt.Fprintf(&b, "- id=%s date=%s to=%q subject=%q", m.ID, m.Date, strings.Join(to, ", "), m.Subject)
		if m.HasAttachments {
			b.WriteString(" attachments")
		}
		b.WriteByte('\n')
	}
	if p.NextCursor != "" {
		fmt.Fprintf(&b, "More drafts: call list_drafts again with cursor=%s\n", p.NextCursor)
	}
	return b.String()
}
