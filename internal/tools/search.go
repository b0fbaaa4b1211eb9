package tools

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/present"
)

func searchTool() *Tool {
	str := func(name, desc string) mcp.ToolOption {
		return mcp.WithString(name, mcp.Description(desc), mcp.MaxLength(500))
	}
	return &Tool{
		Name:        "search",
		Title:       "Search email",
		Description: "Search or list email messages, newest first (in the order they arrived in the folder, not by their Date header), in one folder (default INBOX) or every folder but Trash and Junk (folder \"all\"). All given criteria must match; none lists the latest. Returns envelopes (id, date, from, to, subject, flags, size; on Gmail thread_id, labels), never bodies: read one with fetch_message. Page with next_cursor; with has_attachment a page may hold fewer than limit.",
		Idempotent:  true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithString("folder", mcp.Description("Folder (from list_folders), or \"all\" for every folder but Trash and Junk."), mcp.DefaultString("INBOX"), mcp.MaxLength(500)),
			str("from", "Sender address or name contains this text."),
			str("to", "To recipient contains this text."),
			str("cc", "Cc recipient contains this text."),
			str("subject", "Subject contains this text."),
			str("text", "Headers or body contain this text."),
			str("body", "Body contains this text."),
			mcp.WithString("since", mcp.Description("Received on or after this date (YYYY-MM-DD).")),
			mcp.WithString("before", mcp.Description("Received before this date (YYYY-MM-DD).")),
			mcp.WithBoolean("unseen", mcp.Description("true: only unread; false: only read.")),
			mcp.WithBoolean("flagged", mcp.Description("true: only flagged (starred); false: only unflagged.")),
			mcp.WithBoolean("answered", mcp.Description("true: only answered messages; false: only unanswered.")),
			mcp.WithBoolean("has_attachment", mcp.Description("true: only messages with attachments; false: only without.")),
			mcp.WithInteger("larger", mcp.Description("Larger than this many bytes."), mcp.Min(0)),
			mcp.WithInteger("smaller", mcp.Description("Smaller than this many bytes."), mcp.Min(1)),
			mcp.WithString("header_name", mcp.Description("A header to match, e.g. List-Id (with header_value)."), mcp.MaxLength(100)),
			str("header_value", "header_name contains this text (empty: the header exists)."),
			mcp.WithString("thread", mcp.Description("A message id: only messages of its conversation."), mcp.MaxLength(1000)),
			str("gmail_query", "Gmail search syntax, e.g. \"older_than:1y label:work\" (Gmail only)."),
			mcp.WithString("sort", mcp.Description("relevance: best first, with snippets (local index only)."), mcp.Enum("newest", "relevance")),
			mcp.WithInteger("limit", mcp.Description("Messages per page."), mcp.Min(1), mcp.Max(100), mcp.DefaultNumber(20)),
			mcp.WithString("cursor", mcp.Description("next_cursor of the previous page."), mcp.MaxLength(4000)),
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
			relevance := a.String("sort", "newest") == "relevance"
			if err == nil {
				err = a.Err()
			}
			if err != nil {
				return errResult(err)
			}
			return searchResult(ctx, d, p, folder, crit, limit, cursor, relevance)
		},
	}
}

// searchResult answers from the local index when it can, else from the
// server; when the server is unreachable, a partly built index answers.
func searchResult(ctx context.Context, d *Deps, p *imapconn.Pool, folder string, crit imapconn.Criteria, limit int, cursor string, relevance bool) *mcp.CallToolResult {
	acct := p.Account().ID
	note := ""
	page, ok, err := searchIndex(ctx, d, acct, folder, crit, limit, cursor, relevance, false)
	if err != nil {
		return errResult(err)
	}
	if !ok {
		page, err = p.Search(ctx, folder, crit, limit, cursor)
		if err != nil && unreachable(err) {
			if ipage, iok, ierr := searchIndex(ctx, d, acct, folder, crit, limit, cursor, relevance, true); iok && ierr == nil {
				page, err = ipage, nil
				note = "The mail server is unreachable: these results come from the local index, synced as_of.\n"
			}
		}
		if err != nil {
			return errResult(err)
		}
		if relevance && page.Source == "" {
			note = "sort relevance needs the account's local index (index = true) and a text criterion of 3+ characters: newest first instead.\n"
		}
	}
	if page.Messages == nil {
		page.Messages = []imapconn.Envelope{}
	}
	recordSeen(ctx, d, acct, pageSubjects(page)...)
	defusePage(page)
	return okResult(page, note+present.Defuse(renderPage(page))) // addresses too
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
	defusePage(page)
	return okResult(page, present.Defuse(render(page))) // addresses too
}

func renderPage(p *imapconn.Page) string {
	var b strings.Builder
	if len(p.Messages) == 0 {
		fmt.Fprintf(&b, "No messages match in %s.\n%s", p.Folder, describeIndexSource(p))
		return b.String()
	}
	where := p.Folder
	if where == imapconn.FolderAll {
		where = "all folders (except Trash and Junk)"
	}
	order := "newest first (by arrival in the folder, not by Date header)"
	if len(p.Messages) > 0 && p.Messages[0].Snippet != "" {
		order = "best match first"
	}
	total := strconv.Itoa(p.Total)
	if p.TotalAtLeast {
		total = "at least " + total // the index stopped counting there
	}
	fmt.Fprintf(&b, "%d of %s matching messages in %s, %s.\n%s%s", len(p.Messages), total, where, order, describeIndexSource(p), untrustedNote)
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
		if m.Snippet != "" {
			fmt.Fprintf(&b, " snippet=%q", m.Snippet)
		}
		b.WriteByte('\n')
	}
	if p.NextCursor != "" {
		fmt.Fprintf(&b, "More results: call search again with the same criteria and cursor=%s\n", p.NextCursor)
	}
	return b.String()
}
