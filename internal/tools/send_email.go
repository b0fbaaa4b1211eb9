package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/compose"
)

func sendEmailTool() *Tool {
	return &Tool{
		Name:        "send_email",
		Title:       "Send an email",
		Description: "Send a new email: to, cc, bcc, subject, plain-text or Markdown body, reply_to, attachments. status: sent, partially_sent, queued (retried automatically), failed (with the server's reason), or by the send policy draft_saved or pending (show the user the preview; call confirm_send only if they agree). Pass idempotency_key so a retry never sends twice. To answer, use reply; to pass on, forward.",
		Writes:      true, Sends: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithArray("to", mcp.Required(), mcp.MinItems(1), mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Recipients, e.g. [\"Ann <ann@example.com>\", \"bob@example.org\"].")),
			mcp.WithArray("cc", mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Copy recipients.")),
			mcp.WithArray("bcc", mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Blind-copy recipients.")),
			mcp.WithString("subject", mcp.Required(), mcp.MaxLength(998), mcp.Description("Subject line.")),
			mcp.WithString("body", mcp.Required(), mcp.Description("Message text.")),
			mcp.WithBoolean("markdown", mcp.Description("body is Markdown: also send it as HTML.")),
			mcp.WithArray("reply_to", mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Where replies should go, if not to the sender.")),
			attachmentsParam(),
			idempotencyParam(),
		},
		Handle: sendEmail,
	}
}

func sendEmail(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
	if r := sendingUnavailable(d); r != nil {
		return r
	}
	info, _, err := senderAccount(d, a)
	if err != nil {
		return errResult(err)
	}
	to, cc, bcc, rt := a.Strings("to"), a.Strings("cc"), a.Strings("bcc"), a.Strings("reply_to")
	subject, body, md := a.String("subject", ""), a.String("body", ""), a.Bool("markdown", false)
	key := a.String("idempotency_key", "")
	if err := a.Err(); err != nil {
		return errResult(err)
	}
	m := &compose.Message{From: compose.Address{Name: info.Name, Email: info.Email}, Subject: subject, Text: body, Markdown: md}
	if err := setRecipients(m, to, cc, bcc, rt); err != nil {
		return composeError(err)
	}
	if m.Attachments, err = attachments(ctx, d, info, a); err != nil {
		return composeError(err)
	}
	built, err := compose.Build(m, limits(info))
	if err != nil {
		return composeError(err)
	}
	return handOff(ctx, d, info, built, subject, key, nil, attachesMessageParts(a), "")
}
