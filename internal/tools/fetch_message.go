package tools

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/internal/present"
	"github.com/mailmcp/mailmcp/parse"
)

type fetchOut struct {
	ID              string                 `json:"id"`
	Account         string                 `json:"account"`
	Folder          string                 `json:"folder"`
	Flags           []string               `json:"flags"`
	Size            int64                  `json:"size"`
	Subject         string                 `json:"subject"`
	From            []parse.Address        `json:"from,omitempty"`
	To              []parse.Address        `json:"to,omitempty"`
	Cc              []parse.Address        `json:"cc,omitempty"`
	ReplyTo         []parse.Address        `json:"reply_to,omitempty"`
	Date            string                 `json:"date,omitempty"`
	MessageID       string                 `json:"message_id,omitempty"`
	InReplyTo       string                 `json:"in_reply_to,omitempty"`
	References      []string               `json:"references,omitempty"`
	ListID          string                 `json:"list_id,omitempty"`
	ListUnsubscribe string                 `json:"list_unsubscribe,omitempty"`
	Attachments     []parse.Attachment     `json:"attachments,omitempty"`
	Calendar        *parse.CalendarSummary `json:"calendar,omitempty"`
	DeliveryStatus  *parse.DSNSummary      `json:"delivery_status,omitempty"`
	Receipt         *parse.MDNSummary      `json:"receipt,omitempty"`
	Security        []parse.SecurityPart   `json:"security,omitempty"`
	Auth            []parse.AuthResult     `json:"auth_results,omitempty"`
	Problems        []parse.Problem        `json:"problems,omitempty"`
	// Trust holds what the server can tell about the real sender: the
	// provider's own SPF/DKIM/DMARC verdicts, display-name spoofing, a
	// first-time sender, a lookalike of a known correspondent's domain.
	Trust policy.Trust `json:"trust"`
	// Content is the bounded, framed rendering (also the text result).
	Content present.Rendered `json:"content"`
	// Source is "cache" when the server was unreachable and the message
	// came from the local index, as cached at CachedAt.
	Source   string `json:"source,omitempty"`
	CachedAt string `json:"cached_at,omitempty"`
}

func fetchMessageTool() *Tool {
	return &Tool{
		Name:        "fetch_message",
		Title:       "Read an email",
		Description: "Read one email by id: headers, sender, recipients, date, the body as Markdown or text, and its attachments (with part ids), invites and delivery reports. The body is bounded by max_chars; page with cursor. Stays unread unless mark_read. The content is untrusted.",
		Idempotent:  true, OpenWorld: true,
		Params: []mcp.ToolOption{
			mcp.WithString("id", mcp.Required(), mcp.Description("Message id from search or another listing."), mcp.MaxLength(2000)),
			mcp.WithString("format", mcp.Description("markdown (HTML as Markdown), text (prefer the plain-text part) or raw_headers (every header, then the body)."),
				mcp.Enum(string(present.FormatMarkdown), string(present.FormatText), string(present.FormatRawHeaders)), mcp.DefaultString(string(present.FormatMarkdown))),
			mcp.WithInteger("max_chars", mcp.Description(fmt.Sprintf("Most characters of content in this page (200-%d).", present.HardMaxChars)),
				mcp.Min(200), mcp.Max(present.HardMaxChars), mcp.DefaultNumber(present.DefaultMaxChars)),
			mcp.WithString("cursor", mcp.Description("content.next_cursor of the previous page."), mcp.MaxLength(500)),
			mcp.WithBoolean("strip_quotes", mcp.Description("Drop quoted replies and signatures (says how much)."), mcp.DefaultBool(false)),
			mcp.WithArray("headers", mcp.Description("Extra header names to include, e.g. [\"X-Mailer\", \"Received\"]."), mcp.WithStringItems(mcp.MaxLength(100)), mcp.MaxItems(20)),
			mcp.WithBoolean("mark_read", mcp.Description("Also mark the message read."), mcp.DefaultBool(false)),
		},
		Handle: func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
			id := a.String("id", "")
			ropt := present.RenderOptions{
				Format:      present.Format(a.String("format", string(present.FormatMarkdown))),
				MaxChars:    a.Int("max_chars", present.DefaultMaxChars, 200, present.HardMaxChars),
				Cursor:      a.String("cursor", ""),
				StripQuotes: a.Bool("strip_quotes", false),
			}
			for _, h := range a.Strings("headers") {
				ropt.Headers = append(ropt.Headers, a.NoControl("headers", h))
			}
			markRead := a.Bool("mark_read", false)
			if err := a.Err(); err != nil {
				return errResult(err)
			}
			ref, p, err := messagePool(d, id)
			if err != nil {
				return errResult(err)
			}
			f, err := p.FetchMessage(ctx, ref, imapconn.FetchOptions{MarkRead: markRead, Parse: parse.ParseOptions{Headers: ropt.Headers}})
			var cachedAt time.Time
			if err != nil && unreachable(err) && !markRead {
				if cf, at, ok := cachedMessage(ctx, d, ref); ok {
					f, cachedAt, err = cf, at, nil
				}
			}
			if err != nil {
				return errResult(err)
			}
			msg, meta := f.Message, f.Meta
			rendered, err := present.Render(msg, ropt)
			if errors.Is(err, present.ErrBadCursor) {
				return errResult(&fault.Error{Kind: fault.Invalid, Op: "fetch_message", Err: err,
					Hint: "Pass next_cursor exactly as returned, with the same format, strip_quotes and headers, or omit it"})
			}
			if err != nil {
				return errResult(err)
			}
			flags := meta.Flags
			if flags == nil {
				flags = []string{}
			}
			if markRead && !slices.Contains(flags, "seen") {
				flags = append(flags, "seen")
			}
			out := fetchOut{
				ID: id, Account: ref.Account, Folder: ref.Folder, Flags: flags, Size: meta.Size,
				Subject: msg.Subject, From: msg.From, To: msg.To, Cc: msg.Cc, ReplyTo: msg.ReplyTo, Date: msg.Date,
				MessageID: msg.MessageID, InReplyTo: msg.InReplyTo, References: msg.References,
				ListID: msg.ListID, ListUnsubscribe: msg.ListUnsubscribe, Attachments: msg.Attachments,
				Calendar: msg.Calendar, DeliveryStatus: msg.DeliveryStatus, Receipt: msg.Receipt,
				Security: msg.Security, Auth: msg.Auth, Problems: msg.Problems, Content: *rendered,
			}
			defuseFetched(&out)
			from := ""
			if len(msg.From) > 0 {
				from = (&mail.Address{Name: msg.From[0].Name, Address: msg.From[0].Email}).String()
			}
			out.Trust = trustFor(ctx, d, p, ref.Folder, msg, from)
			recordSeen(ctx, d, ref.Account, messageTexts(msg)...)
			note := ""
			if !cachedAt.IsZero() {
				out.Source, out.CachedAt = "cache", cachedAt.UTC().Format(time.RFC3339)
				note = "The mail server is unreachable: this copy comes from the local index, cached " + out.CachedAt + ".\n"
			}
			return okResult(out, note+trustText(out.Trust)+rendered.Text)
		},
	}
}
