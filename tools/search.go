package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/mailconn"
)

func init() { define(searchTool) }

func searchTool() *Tool {
	str := func(name, desc string) mcp.ToolOption {
		return mcp.WithString(name, mcp.Description(desc), mcp.MaxLength(500))
	}
	return &Tool{
		Name:  "search",
		Title: "Search email",
		Description: "Search or list email messages in a folder of a mailbox, newest first: find mail by sender, recipient, subject, text, date range or read/unread state, " +
			"or omit criteria to list the latest messages in the inbox. Returns message envelopes (id, date, from, to, subject, flags, size, has_attachments), never bodies: " +
			"pass an id to fetch_message to read one. Page with next_cursor.",
		Idempotent: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithString("folder", mcp.Description("Folder to search (from list_folders). Default INBOX."), mcp.DefaultString("INBOX"), mcp.MaxLength(500)),
			str("from", "Sender address or name contains this text."),
			str("to", "To recipient contains this text."),
			str("subject", "Subject contains this text."),
			str("text", "Headers or body contain this text."),
			str("body", "Body contains this text."),
			mcp.WithString("since", mcp.Description("Only messages on or after this date (YYYY-MM-DD).")),
			mcp.WithString("before", mcp.Description("Only messages before this date (YYYY-MM-DD).")),
			mcp.WithBoolean("unseen", mcp.Description("true: only unread messages; false: only read ones.")),
			mcp.WithBoolean("flagged", mcp.Description("true: only flagged (starred) messages; false: only unflagged.")),
			mcp.WithInteger("limit", mcp.Description("Messages per page, 1-100. Default 20."), mcp.Min(1), mcp.Max(100), mcp.DefaultNumber(20)),
			mcp.WithString("cursor", mcp.Description("next_cursor from the previous page of the same search."), mcp.MaxLength(1000)),
		},
		Output: mcp.WithOutputSchema[mailconn.Page](),
		Handle: func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
			p, err := pool(d, a)
			folder := a.NoControl("folder", a.String("folder", "INBOX"))
			crit := mailconn.Criteria{
				From:    a.NoControl("from", a.String("from", "")),
				To:      a.NoControl("to", a.String("to", "")),
				Subject: a.NoControl("subject", a.String("subject", "")),
				Text:    a.NoControl("text", a.String("text", "")),
				Body:    a.NoControl("body", a.String("body", "")),
				Since:   a.Date("since"),
				Before:  a.Date("before"),
				Flagged: a.OptBool("flagged"),
			}
			if u := a.OptBool("unseen"); u != nil {
				seen := !*u
				crit.Seen = &seen
			}
			limit := a.Int("limit", 20, 1, 100)
			cursor := a.String("cursor", "")
			if err == nil {
				err = a.Err()
			}
			if err != nil {
				return errResult(err)
			}
			page, err := p.Search(ctx, folder, crit, limit, cursor)
			if err != nil {
				return errResult(err)
			}
			if page.Messages == nil {
				page.Messages = []mailconn.Envelope{}
			}
			return okResult(page, renderPage(page))
		},
	}
}

func renderPage(p *mailconn.Page) string {
	var b strings.Builder
	if len(p.Messages) == 0 {
		fmt.Fprintf(&b, "No messages match in %s.\n", p.Folder)
		return b.String()
	}
	fmt.Fprintf(&b, "%d of %d matching messages in %s, newest first.\n%s", len(p.Messages), p.Total, p.Folder, untrustedNote)
	for _, m := range p.Messages {
		from := ""
		if len(m.From) > 0 {
			from = m.From[0].Email
			if m.From[0].Name != "" {
				from = fmt.Sprintf("%s <%s>", m.From[0].Name, m.From[0].Email)
			}
		}
		fmt.Fprintf(&b, "- id=%s date=%s from=%q subject=%q flags=[%s]", m.ID, m.Date, from, m.Subject, strings.Join(m.Flags, " "))
		if m.HasAttachments {
			b.WriteString(" attachments")
		}
		b.WriteByte('\n')
	}
	if p.NextCursor != "" {
		fmt.Fprintf(&b, "More results: call search again with the same criteria and cursor=%s\n", p.NextCursor)
	}
	return b.String()
}
