package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/compose"
	"github.com/mailmcp/mailmcp/internal/outbox"
)

func replyTool() *Tool {
	return &Tool{
		Name:        "reply",
		Title:       "Reply to an email",
		Description: "Reply to an email by id: to its Reply-To or From (reply_all adds its To and Cc, minus you), with Re: and threading headers, optionally quoting it; the original is marked answered once sent. Outcomes and send policy as for send_email.",
		Writes:      true, Sends: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithString("id", mcp.Required(), mcp.MaxLength(2048), mcp.Description("Id of the message to reply to.")),
			mcp.WithString("body", mcp.Required(), mcp.Description("Reply text.")),
			mcp.WithBoolean("reply_all", mcp.Description("Also reply to the original's To and Cc recipients (default false).")),
			mcp.WithBoolean("quote", mcp.Description("Quote the original text below the reply (default true).")),
			mcp.WithBoolean("markdown", mcp.Description("body is Markdown: also send it as HTML.")),
			attachmentsParam(),
			idempotencyParam(),
		},
		Handle: reply,
	}
}

func reply(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
	id, info, p, res := fromMessage(d, a)
	if res != nil {
		return res
	}
	body, all, quote, md := a.String("body", ""), a.Bool("reply_all", false), a.Bool("quote", true), a.Bool("markdown", false)
	key := a.String("idempotency_key", "")
	if err := a.Err(); err != nil {
		return errResult(err)
	}
	orig, _, err := fetchOriginal(ctx, p, info, id)
	if err != nil {
		return composeError(err)
	}
	m := compose.Reply(orig, []string{info.Email}, all, body, quote)
	m.From, m.Markdown = compose.Address{Name: info.Name, Email: info.Email}, md
	if m.Attachments, err = attachments(ctx, d, info, a); err != nil {
		return composeError(err)
	}
	built, err := compose.Build(m, limits(info))
	if err != nil {
		return composeError(err)
	}
	return handOff(ctx, d, info, built, m.Subject, key, []outbox.FollowUp{{Kind: outbox.FollowAnswered, Ref: id}}, false, "")
}
