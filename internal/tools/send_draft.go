package tools

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/compose"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/outbox"
)

func sendDraftTool() *Tool {
	return &Tool{
		Name:        "send_draft",
		Title:       "Send a saved draft",
		Description: "Send a draft email by id (from save_draft or list_drafts), then remove it from Drafts. A draft mailmcp saved goes as saved; any other is rebuilt as plain text and always needs the user's confirmation. Repeating the call never sends twice. Outcomes and send policy as for send_email.",
		Writes:      true, Sends: true, Destructive: true, Idempotent: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithString("id", mcp.Required(), mcp.MaxLength(2048), mcp.Description("Id of the draft.")),
			idempotencyParam(),
		},
		Handle: sendDraft,
	}
}

func sendDraft(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
	id, info, p, res := fromMessage(d, a)
	if res != nil {
		return res
	}
	key := a.String("idempotency_key", "")
	if err := a.Err(); err != nil {
		return errResult(err)
	}
	if key == "" {
		// The draft's id names one stored message (UIDVALIDITY and UID),
		// so a retried call finds the first one's item even after the
		// draft was removed.
		key = "draft:" + id
	}
	ref, err := ownMessage(p, id)
	if err != nil {
		return errResult(err)
	}
	if drafts, err := p.FolderForRole(ctx, imapconn.RoleDrafts); err == nil && ref.Folder != drafts {
		return errResult(fault.Errorf(fault.Invalid, "send_draft", "%s names a message in %q, not a draft in %q; nothing was sent", id, ref.Folder, drafts).
			WithHint("send_draft sends drafts only: pass an id from save_draft or list_drafts, or use reply or forward for received mail"))
	}
	raw, err := readRaw(ctx, p, ref, limits(info).MaxBytes+1<<20)
	if fault.KindOf(err) == fault.NotFound {
		// Sent and removed by an earlier call with this key? Its content
		// is gone, so only the key can match.
		if r := earlierSendByKey(ctx, d, info.ID, key); r != nil {
			return r
		}
	}
	if err != nil {
		return errResult(err)
	}
	untrusted, err := draftOrigin(ctx, d, info, raw)
	if err != nil {
		return errResult(err)
	}
	var built *compose.Built
	var subject string
	if untrusted == "" {
		built, subject, err = draftMessage(raw, info)
	} else {
		built, subject, err = rebuildDraft(raw, info)
	}
	if err != nil {
		return composeError(err)
	}
	return handOff(ctx, d, info, built, subject, key, []outbox.FollowUp{{Kind: outbox.FollowDeleteDraft, Ref: id}}, false, untrusted)
}

// draftMessage turns a draft mailmcp saved into the message to submit: the
// recipients come from To, Cc and Bcc, the Bcc field is removed, the Date
// is set to now, and the body is sent byte for byte.
func draftMessage(raw []byte, info AccountInfo) (*compose.Built, string, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return nil, "", &compose.Error{Code: compose.CodeInvalid, Field: "id", Msg: "the draft's header cannot be read: " + err.Error()}
	}
	body, _ := io.ReadAll(br)
	var rcpts []string
	seen := map[string]bool{}
	smtputf8 := false
	for _, f := range []string{"To", "Cc", "Bcc"} {
		for _, v := range h.Values(f) {
			l, err := compose.ParseAddressList(v)
			if err != nil {
				return nil, "", &compose.Error{Code: compose.CodeInvalidAddress, Field: strings.ToLower(f), Msg: "the draft's " + f + " field: " + err.Error()}
			}
			for _, ad := range l {
				k := strings.ToLower(ad.Email)
				if !seen[k] {
					seen[k] = true
					rcpts = append(rcpts, ad.Email)
					smtputf8 = smtputf8 || ad.NeedsSMTPUTF8()
				}
			}
		}
	}
	lim := limits(info)
	switch {
	case len(rcpts) == 0:
		return nil, "", &compose.Error{Code: compose.CodeNoRecipients, Field: "to", Msg: "the draft has no recipients; save it again with at least one"}
	case len(rcpts) > lim.MaxRecipients:
		return nil, "", &compose.Error{Code: compose.CodeTooManyRecipients, Field: "to", Msg: fmt.Sprintf("the draft has %d recipients, more than this account's limit of %d", len(rcpts), lim.MaxRecipients)}
	}
	h.Del("Bcc")
	h.Set("Date", time.Now().Format(time.RFC1123Z))
	mid := strings.Trim(h.Get("Message-Id"), "<> ")
	if mid == "" {
		return nil, "", &compose.Error{Code: compose.CodeInvalid, Field: "id", Msg: "the draft has no Message-ID; save it again with save_draft"}
	}
	var out bytes.Buffer
	if err := textproto.WriteHeader(&out, h); err != nil {
		return nil, "", err
	}
	out.Write(body)
	if int64(out.Len()) > lim.MaxBytes {
		return nil, "", &compose.Error{Code: compose.CodeTooLarge, Field: "id", Msg: fmt.Sprintf("the draft is %d bytes, over this account's limit of %d", out.Len(), lim.MaxBytes)}
	}
	subject := h.Get("Subject")
	return &compose.Built{Raw: out.Bytes(), MessageID: mid, From: info.Email, Recipients: rcpts, NeedsSMTPUTF8: smtputf8}, subject, nil
}
