package tools

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/compose"
)

func forwardTool() *Tool {
	return &Tool{
		Name:        "forward",
		Title:       "Forward an email",
		Description: "Forward an email by id to new recipients, inline (your note, then the original with its attachments) or as_attachment (the original as an .eml file). Outcomes and send policy as for send_email.",
		Writes:      true, Sends: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithString("id", mcp.Required(), mcp.MaxLength(2048), mcp.Description("Id of the message to forward.")),
			mcp.WithArray("to", mcp.Required(), mcp.MinItems(1), mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Recipients.")),
			mcp.WithArray("cc", mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Copy recipients.")),
			mcp.WithArray("bcc", mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Blind-copy recipients.")),
			mcp.WithString("note", mcp.Description("Your text above the forwarded message.")),
			mcp.WithBoolean("as_attachment", mcp.Description("Attach the original as a message/rfc822 file instead of inlining it (default false).")),
			attachmentsParam(),
			idempotencyParam(),
		},
		Handle: forward,
	}
}

func forward(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
	id, info, p, res := fromMessage(d, a)
	if res != nil {
		return res
	}
	to, cc, bcc := a.Strings("to"), a.Strings("cc"), a.Strings("bcc")
	note, asAtt, key := a.String("note", ""), a.Bool("as_attachment", false), a.String("idempotency_key", "")
	if err := a.Err(); err != nil {
		return errResult(err)
	}
	orig, raw, err := fetchOriginal(ctx, p, info, id)
	if err != nil {
		return composeError(err)
	}
	m := compose.Forward(orig, raw, asAtt, note)
	m.From = compose.Address{Name: info.Name, Email: info.Email}
	if err := setRecipients(m, to, cc, bcc, nil); err != nil {
		return composeError(err)
	}
	extra, err := attachments(ctx, d, info, a)
	if err != nil {
		return composeError(err)
	}
	m.Attachments = append(m.Attachments, extra...)
	built, err := compose.Build(m, limits(info))
	if err != nil {
		return composeError(err)
	}
	return handOff(ctx, d, info, built, m.Subject, key, nil, true, "")
}
