package tools

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/compose"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

func saveDraftTool() *Tool {
	return &Tool{
		Name:        "save_draft",
		Title:       "Save an email draft",
		Description: "Save an email draft in the Drafts folder without sending it; every field is optional. in_reply_to (a message id) makes it a threaded reply, filling in recipients and the Re: subject. draft_id replaces that draft. Returns the new draft id (it changes with every save).",
		Writes:      true, Destructive: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithArray("to", mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Recipients, e.g. [\"Ann <ann@example.com>\", \"bob@example.org\"].")),
			mcp.WithArray("cc", mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Copy recipients.")),
			mcp.WithArray("bcc", mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Blind-copy recipients.")),
			mcp.WithString("subject", mcp.MaxLength(998), mcp.Description("Subject line.")),
			mcp.WithString("body", mcp.Description("Message text.")),
			mcp.WithBoolean("markdown", mcp.Description("body is Markdown: also send it as HTML.")),
			mcp.WithArray("reply_to", mcp.WithStringItems(mcp.MaxLength(998)), mcp.Description("Where replies should go, if not to the sender.")),
			mcp.WithString("in_reply_to", mcp.MaxLength(2048), mcp.Description("Id of the email this draft answers (threads the reply).")),
			mcp.WithString("draft_id", mcp.MaxLength(2048), mcp.Description("Id of a draft (from save_draft or list_drafts) to replace.")),
			attachmentsParam(),
		},
		Handle: saveDraft,
	}
}

// saveDraftOutput describes a saved draft.
type saveDraftOutput struct {
	DraftID   string   `json:"draft_id"`
	Account   string   `json:"account"`
	Folder    string   `json:"folder"`
	MessageID string   `json:"message_id"`
	Subject   string   `json:"subject"`
	To        []string `json:"to"`
	// Replaced is the draft_id that was replaced ("" when none).
	Replaced string `json:"replaced,omitempty"`
	// Warning explains a replacement that could not remove the old draft.
	Warning string `json:"warning,omitempty"`
}

func saveDraft(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
	oldID := a.String("draft_id", "")
	replyID := a.String("in_reply_to", "")
	if oldID != "" {
		accountFor(d, a, oldID)
	} else if replyID != "" {
		accountFor(d, a, replyID)
	}
	info, p, err := senderAccount(d, a)
	if err != nil {
		return errResult(err)
	}
	to, cc, bcc, rt := a.Strings("to"), a.Strings("cc"), a.Strings("bcc"), a.Strings("reply_to")
	subject, body, md := a.String("subject", ""), a.String("body", ""), a.Bool("markdown", false)
	if err := a.Err(); err != nil {
		return errResult(err)
	}
	folder, err := p.FolderForRole(ctx, imapconn.RoleDrafts)
	if err != nil {
		return errResult(err)
	}
	var old imapconn.MessageRef
	if oldID != "" {
		if old, err = existingDraft(ctx, p, folder, oldID); err != nil {
			return errResult(err)
		}
	}
	m := &compose.Message{From: compose.Address{Name: info.Name, Email: info.Email}, Subject: subject, Text: body, Markdown: md, Draft: true}
	if err := setRecipients(m, to, cc, bcc, rt); err != nil {
		return draftError(err)
	}
	if replyID != "" {
		orig, _, err := fetchOriginal(ctx, p, info, replyID)
		if err != nil {
			return draftError(err)
		}
		r := compose.Reply(orig, []string{info.Email}, false, body, false)
		m.InReplyTo, m.References = r.InReplyTo, r.References
		if len(m.To) == 0 && len(m.Cc) == 0 && len(m.Bcc) == 0 {
			m.To = r.To
		}
		if strings.TrimSpace(m.Subject) == "" {
			m.Subject = r.Subject
		}
	}
	if m.Attachments, err = attachments(ctx, d, info, a); err != nil {
		return draftError(err)
	}
	built, err := compose.Build(m, limits(info))
	if err != nil {
		return draftError(err)
	}
	// Recorded before the append: a draft that exists is always known.
	recordSaved(ctx, d, info.ID, built.MessageID, built.Raw)
	ref, err := p.Append(ctx, folder, draftFlags, built.Date, built.Raw)
	if err != nil {
		return errResult(err)
	}
	out := saveDraftOutput{DraftID: ref.ID(), Account: info.ID, Folder: folder, MessageID: built.MessageID, Subject: m.Subject, To: []string{}}
	for _, ad := range m.To {
		out.To = append(out.To, ad.String())
	}
	if ref.UID == 0 {
		// Without APPENDUID (no UIDPLUS, e.g. maddy) the new draft is found
		// by its Message-ID, which compose made unique.
		found, ok, err := p.FindMessageID(ctx, folder, built.MessageID)
		switch {
		case err == nil && ok:
			out.DraftID = found.ID()
		default:
			out.DraftID = ""
			out.Warning = "the draft was saved but the server did not report its id (no UIDPLUS) and a search by its Message-ID did not find it; call list_drafts to find it"
		}
	}
	if oldID != "" {
		out.Replaced = oldID
		expunged, err := p.ExpungeUID(ctx, old)
		switch {
		case err != nil:
			out.Warning = joinWarn(out.Warning, "the new version was saved but the old draft could not be removed: "+err.Error())
		case !expunged:
			out.Warning = joinWarn(out.Warning, "the old version is flagged deleted but still in "+folder+
				": the server lacks UIDPLUS and other messages there are flagged deleted too, so mailmcp did not expunge (that would remove them all); list_drafts no longer shows it, and a mail client's expunge or compact removes it")
		}
	}
	return okResult(out, describeDraft(out))
}

// draftFlags mark an appended draft (RFC 9051 2.3.2).
var draftFlags = []imap.Flag{imap.FlagDraft, imap.FlagSeen}

// existingDraft resolves draft_id and makes sure it names a message that
// exists in the Drafts folder: save_draft never removes anything else.
func existingDraft(ctx context.Context, p *imapconn.Pool, folder, id string) (imapconn.MessageRef, error) {
	ref, err := imapconn.ParseID(id)
	if err != nil {
		return ref, err
	}
	if ref.Account != p.Account().ID {
		return ref, &fault.Error{Kind: fault.Invalid, Op: "save draft", Err: fmt.Errorf("draft %s belongs to account %s", id, ref.Account),
			Hint: "Pass account " + ref.Account + " or omit account"}
	}
	if ref.Folder != folder {
		return ref, &fault.Error{Kind: fault.Invalid, Op: "save draft", Err: fmt.Errorf("draft_id names a message in %q, not in the Drafts folder %q", ref.Folder, folder),
			Hint: "Pass an id from list_drafts, or omit draft_id to save a new draft"}
	}
	err = p.FetchRaw(ctx, ref, false, func(imapconn.MessageMeta, io.Reader) error { return nil })
	if fault.KindOf(err) == fault.NotFound {
		return ref, &fault.Error{Kind: fault.NotFound, Op: "save draft", Err: errors.New("the draft to replace no longer exists (sent, deleted or replaced already)"),
			Hint: "Call list_drafts for current draft ids, or omit draft_id to save a new draft"}
	}
	return ref, err
}

// draftError words compose errors for drafts (nothing is sent anyway).
func draftError(err error) *mcp.CallToolResult {
	return invalidMessage(err, "The draft was not saved")
}

func joinWarn(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func describeDraft(o saveDraftOutput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Draft saved in %s (not sent).", o.Folder)
	if o.DraftID != "" {
		fmt.Fprintf(&b, " Draft id %s.", o.DraftID)
	}
	fmt.Fprintf(&b, " Message-ID <%s>.", o.MessageID)
	if o.Replaced != "" {
		b.WriteString(" It replaces the previous version.")
	}
	if o.Warning != "" {
		b.WriteString(" Warning: " + o.Warning + ".")
	}
	if o.DraftID != "" {
		b.WriteString(" Send it with send_draft, or update it with save_draft and this draft_id.")
	} else {
		// Without UIDPLUS there is no id to promise (issue 16).
		b.WriteString(" Call list_drafts for its draft id before sending or updating it.")
	}
	return b.String()
}
