package tools

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

func searchTool() *Tool {
	str := func(name, desc string) mcp.ToolOption {
		return mcp.WithString(name, mcp.Description(desc), mcp.MaxLength(500))
	}
	return &Tool{
		Name:  "search",
		Title: "Search email",
		Description: "Search or list email messages, newest first: in one folder (default INBOX) or in all folders at once (folder \"all\": every folder except Trash and Junk). " +
			"Find mail by sender, recipient, subject, text, date range, read/unread, flagged, answered, size, a header, attachments, or the conversation of a message (thread); " +
			"all given criteria must match. Omit criteria to list the latest messages. Returns message envelopes (id, date, from, to, subject, flags, size, has_attachments; " +
			"on Gmail also thread_id and labels), never bodies: pass an id to fetch_message to read one. Page with next_cursor. " +
			"has_attachment is approximate on the server side: candidates are found by their multipart/mixed Content-Type and each page is confirmed from the message structure, " +
			"so a page may hold fewer than limit messages and total_matches counts candidates.",
		Idempotent: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithString("folder", mcp.Description("Folder to search (from list_folders), or \"all\" for every folder except Trash and Junk. Default INBOX."), mcp.DefaultString("INBOX"), mcp.MaxLength(500)),
			str("from", "Sender address or name contains this text."),
			str("to", "To recipient contains this text."),
			str("cc", "Cc recipient contains this text."),
			str("subject", "Subject contains this text."),
			str("text", "Headers or body contain this text."),
			str("body", "Body contains this text."),
			mcp.WithString("since", mcp.Description("Only messages received on or after this date (YYYY-MM-DD).")),
			mcp.WithString("before", mcp.Description("Only messages received before this date (YYYY-MM-DD).")),
			mcp.WithBoolean("unseen", mcp.Description("true: only unread messages; false: only read ones.")),
			mcp.WithBoolean("flagged", mcp.Description("true: only flagged (starred) messages; false: only unflagged.")),
			mcp.WithBoolean("answered", mcp.Description("true: only messages that were replied to; false: only unanswered ones.")),
			mcp.WithBoolean("has_attachment", mcp.Description("true: only messages with attachments; false: only messages without (confirmed per page, see the tool description).")),
			mcp.WithInteger("larger", mcp.Description("Only messages larger than this many bytes."), mcp.Min(0)),
			mcp.WithInteger("smaller", mcp.Description("Only messages smaller than this many bytes."), mcp.Min(1)),
			mcp.WithString("header_name", mcp.Description("Name of a header to match, e.g. List-Id or X-Mailer (with header_value)."), mcp.MaxLength(100)),
			str("header_value", "The header named header_name contains this text (empty: the header exists)."),
			mcp.WithString("thread", mcp.Description("A message id from search: only messages of the same conversation (Gmail thread id; elsewhere the server's threading or the Message-ID/References headers)."), mcp.MaxLength(1000)),
			str("gmail_query", "Gmail search syntax, e.g. \"has:attachment older_than:1y label:work\" (Gmail accounts only; combined with the other criteria)."),
			mcp.WithInteger("limit", mcp.Description("Messages per page, 1-100. Default 20."), mcp.Min(1), mcp.Max(100), mcp.DefaultNumber(20)),
			mcp.WithString("cursor", mcp.Description("next_cursor from the previous page of the same search."), mcp.MaxLength(4000)),
		},
		Output: mcp.WithOutputSchema[imapconn.Page](),
		Handle: func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
			p, err := pool(d, a)
			folder := a.NoControl("folder", a.String("folder", "INBOX"))
			text := func(name string) string { return a.NoControl(name, a.String(name, "")) }
			crit := imapconn.Criteria{
				From: text("from"), To: text("to"), Cc: text("cc"), Subject: text("subject"),
				Text: text("text"), Body: text("body"),
				Since: a.Date("since"), Before: a.Date("before"),
				Flagged: a.OptBool("flagged"), Answered: a.OptBool("answered"), HasAttachment: a.OptBool("has_attachment"),
				Larger: int64(a.Int("larger", 0, 0, math.MaxInt32)), Smaller: int64(a.Int("smaller", 0, 1, math.MaxInt32)),
				Thread: text("thread"), GmailQuery: text("gmail_query"),
			}
			if u := a.OptBool("unseen"); u != nil {
				seen := !*u
				crit.Seen = &seen
			}
			if hn := text("header_name"); hn != "" {
				crit.Header = [][2]string{{hn, text("header_value")}}
			} else if a.Has("header_value") {
				a.fail("header_value needs header_name")
			}
			limit := a.Int("limit", 20, 1, 100)
			cursor := a.String("cursor", "")
			if err == nil {
				err = a.Err()
			}
			if err != nil {
				return errResult(err)
			}
			return pageResult(ctx, p, folder, crit, limit, cursor, func(pg *imapconn.Page) string {
				recordSeen(ctx, d, p.Account().ID, pageSubjects(pg)...)
				return renderPage(pg)
			})
		},
	}
}

// pageResult runs one page of a search (search, list_drafts) and returns
// it with its text rendering.
func pageResult(ctx context.Context, p *imapconn.Pool, folder string, crit imapconn.Criteria, limit int, cursor string, render func(*imapconn.Page) string) *mcp.CallToolResult {
	page, err := p.Search(ctx, folder, crit, limit, cursor)
	if err != nil {
		return errResult(err)
	}
	if page.Messages == nil {
		page.Messages = []imapconn.Envelope{}
	}
	return okResult(page, render(page))
}

func renderPage(p *imapconn.Page) string {
	var b strings.Builder
	if len(p.Messages) == 0 {
		fmt.Fprintf(&b, "No messages match in %s.\n", p.Folder)
		return b.String()
	}
	where := p.Folder
	if where == imapconn.FolderAll {
		where = "all folders (except Trash and Junk)"
	}
	fmt.Fprintf(&b, "%d of %d matching messages in %s, newest first.\n%s", len(p.Messages), p.Total, where, untrustedNote)
	for _, m := range p.Messages {
		from := ""
		if len(m.From) > 0 {
			from = m.From[0].Email
			if m.From[0].Name != "" {
				from = fmt.Sprintf("%s <%s>", m.From[0].Name, m.From[0].Email)
			}
		}
		fmt.Fprintf(&b, "- id=%s date=%s from=%q subject=%q flags=[%s]", m.ID, m.Date, from, m.Subject, strings.Join(m.Flags, " "))
		if p.Folder == imapconn.FolderAll {
			fmt.Fprintf(&b, " folder=%q", m.Folder)
		}
		if len(m.Labels) > 0 {
			fmt.Fprintf(&b, " labels=%q", m.Labels)
		}
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
