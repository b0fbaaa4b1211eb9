package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/compose"
)

func sendEmailTool() *Tool {
	return &Tool{
		Name:  "send_email",
		Title: "Send an email",
		Description: "Send a new email message from an account: to, cc, bcc, subject, plain-text body (optionally Markdown, sent with an HTML version), reply-to and attachments. " +
			"The result says exactly what happened: sent (accepted by the server), partially_sent, queued (a temporary problem; retried automatically, with an outbox id), or failed (with the server's reason). " +
			"Pass an idempotency_key so a retried call never sends twice. To answer a message use reply; to pass one on use forward." + policyNote,
		Writes: true, Sends: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithArray("to", mcp.Required(), mcp.MinItems(1), mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Recipients, e.g. [\"Ann <ann@example.com>\", \"bob@example.org\"].")),
			mcp.WithArray("cc", mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Copy recipients.")),
			mcp.WithArray("bcc", mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Blind-copy recipients (never written into the message).")),
			mcp.WithString("subject", mcp.Required(), mcp.MaxLength(998), mcp.Description("Subject line (no line breaks).")),
			mcp.WithString("body", mcp.Required(), mcp.Description("The message text (plain text).")),
			mcp.WithBoolean("markdown", mcp.Description("Treat body as Markdown and add an HTML version (default false).")),
			mcp.WithArray("reply_to", mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Addresses replies should go to, when not the sender.")),
			attachmentsParam(),
			idempotencyParam(),
		},
		Output: mcp.WithOutputSchema[sendOutput](),
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
