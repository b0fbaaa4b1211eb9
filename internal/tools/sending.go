package tools

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/compose"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/outbox"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/parse"
)

// sendWait bounds how long a send tool waits for the first attempt; after
// it the result says "submitting" and outbox_status has the outcome.
const sendWait = 60 * time.Second

// sendOutput is the result of every tool that sends.
type sendOutput struct {
	// Status: sent, partially_sent, queued, submitting, failed, in_doubt, cancelled.
	Status    string `json:"status"`
	OutboxID  string `json:"outbox_id"`
	Account   string `json:"account"`
	MessageID string `json:"message_id,omitempty"`
	Subject   string `json:"subject,omitempty"`
	// Duplicate: the idempotency key matched an earlier send; nothing new was sent.
	Duplicate      bool            `json:"duplicate"`
	Accepted       []string        `json:"accepted,omitempty"`
	Refused        []recipientInfo `json:"refused,omitempty"`
	Pending        []string        `json:"pending,omitempty"`
	ServerResponse string          `json:"server_response,omitempty"`
	LastError      string          `json:"last_error,omitempty"`
	Attempts       int             `json:"attempts"`
	NextAttempt    string          `json:"next_attempt,omitempty"`
	SentCopy       string          `json:"sent_copy,omitempty"`
	SentCopyError  string          `json:"sent_copy_error,omitempty"`
	Bounces        []recipientInfo `json:"bounces,omitempty"`
	Created        string          `json:"created,omitempty"`
	// Set when the send policy held the message back (status pending,
	// declined or draft_saved).
	policyOutcome
}

// recipientInfo is one recipient's refusal or bounce.
type recipientInfo struct {
	Address    string `json:"address"`
	Code       int    `json:"code,omitempty"`
	Enhanced   string `json:"enhanced,omitempty"`
	Message    string `json:"message,omitempty"`
	Action     string `json:"action,omitempty"`
	Diagnostic string `json:"diagnostic,omitempty"`
}

func idempotencyParam() mcp.ToolOption {
	return mcp.WithString("idempotency_key", mcp.MaxLength(200), mcp.Description(
		"A unique string (e.g. a UUID): a retry with the same key never sends twice. Strongly recommended."))
}

func attachmentsParam() mcp.ToolOption {
	return mcp.WithArray("attachments", mcp.MaxItems(50), mcp.Description(
		"Paths in the account's attachment directory, or {message_id, part} of existing mail."),
		mcp.Items(map[string]any{"anyOf": []any{
			map[string]any{"type": "string", "minLength": 1, "maxLength": 1024},
			map[string]any{"type": "object", "additionalProperties": false, "required": []any{"message_id", "part"},
				"properties": map[string]any{"message_id": map[string]any{"type": "string"}, "part": map[string]any{"type": "string"}}},
		}}))
}

// senderAccount resolves the account argument to its description.
func senderAccount(d *Deps, a *Args) (AccountInfo, *imapconn.Pool, error) {
	p, err := pool(d, a)
	if err != nil {
		return AccountInfo{}, nil, err
	}
	if info, ok := findAccount(d, p.Account().ID); ok {
		return info, p, nil
	}
	return AccountInfo{ID: p.Account().ID, Email: p.Account().Email}, p, nil
}

// fromMessage starts a send tool that acts on an existing message (reply,
// forward, send_draft): sending must be available, and the account is the
// message's own unless the call names one.
func fromMessage(d *Deps, a *Args) (id string, info AccountInfo, p *imapconn.Pool, res *mcp.CallToolResult) {
	if r := sendingUnavailable(d); r != nil {
		return "", AccountInfo{}, nil, r
	}
	id = a.String("id", "")
	accountFor(d, a, id)
	info, p, err := senderAccount(d, a)
	if err != nil {
		return "", AccountInfo{}, nil, errResult(err)
	}
	return id, info, p, nil
}

// sendingUnavailable is the error when no outbox could be opened.
func sendingUnavailable(d *Deps) *mcp.CallToolResult {
	if d.Outbox == nil {
		return errResult(fault.New(fault.Unavailable, "send", "sending is not available because the outbox (in the state directory) could not be opened; the server log says why"))
	}
	return nil
}

// limits are an account's bounds for outgoing mail; what the account
// leaves unset takes compose's defaults, as compose.Build would.
func limits(info AccountInfo) compose.Limits {
	l := compose.Limits{MaxRecipients: info.MaxRecipients, MaxBytes: info.MaxMessageBytes}
	if l.MaxRecipients <= 0 {
		l.MaxRecipients = compose.DefaultMaxRecipients
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = compose.DefaultMaxBytes
	}
	return l
}

// composeError turns a compose error into a precise tool error.
func composeError(err error) *mcp.CallToolResult {
	return invalidMessage(err, "Nothing was sent or queued")
}

// invalidMessage words a compose error as invalid_argument with its code,
// followed by outcome (what did not happen); other errors go to errResult.
func invalidMessage(err error, outcome string) *mcp.CallToolResult {
	var ce *compose.Error
	if errors.As(err, &ce) {
		return errResult(fault.Errorf(fault.Invalid, "compose", "%s (%s). %s", strings.TrimPrefix(ce.Error(), "compose: "), ce.Code, outcome))
	}
	return errResult(err)
}

// earlierSend returns the result of an earlier send with the same
// idempotency key (or the error looking it up), or nil when there is none.
// A key reused for a different message (other recipients, subject or
// content) is a conflict naming the difference, and nothing is sent: a silent "already
// sent" would hide that the new message never went out.
func earlierSend(ctx context.Context, d *Deps, req outbox.Request) *mcp.CallToolResult {
	if req.IdempotencyKey == "" {
		return nil
	}
	it, err := d.Outbox.Lookup(ctx, req.Account, req.IdempotencyKey)
	switch {
	case err != nil:
		return errResult(err)
	case it == nil:
		return nil
	}
	if diff := keyReuseDiff(it, req); diff != "" {
		return errResult(fault.Errorf(fault.Conflict, "send", "this idempotency key was used for a different message on %s (%s); nothing was sent",
			it.Created.Format(time.RFC3339), diff).WithHint("use a new idempotency_key for a new message"))
	}
	return sendResult(it, true)
}

// earlierSendByKey is earlierSend for a call whose content is not known
// before the earlier send's effects (send_draft: the sent draft is gone).
func earlierSendByKey(ctx context.Context, d *Deps, account, key string) *mcp.CallToolResult {
	if key == "" {
		return nil
	}
	it, err := d.Outbox.Lookup(ctx, account, key)
	switch {
	case err != nil:
		return errResult(err)
	case it == nil:
		return nil
	}
	return sendResult(it, true)
}

// keyReuseDiff names how req differs from the earlier item it shares a key
// with: recipients (as a set, case-insensitive) and subject. "" when alike.
func keyReuseDiff(it *outbox.Item, req outbox.Request) string {
	var diffs []string
	norm := func(as []string) []string {
		out := make([]string, len(as))
		for i, a := range as {
			out[i] = strings.ToLower(strings.TrimSpace(a))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	var before []string
	for _, r := range it.Recipients {
		before = append(before, r.Address)
	}
	if b, n := norm(before), norm(req.Recipients); !slices.Equal(b, n) {
		diffs = append(diffs, fmt.Sprintf("recipients were %s, now %s", strings.Join(b, ", "), strings.Join(n, ", ")))
	}
	if it.Subject != req.Subject {
		diffs = append(diffs, fmt.Sprintf("subject was %q, now %q", it.Subject, req.Subject))
	}
	if len(diffs) == 0 && it.Digest != "" && req.Digest != "" && it.Digest != req.Digest {
		diffs = append(diffs, "the body, an attachment or another header differs")
	}
	return strings.Join(diffs, "; ")
}

// handOff is the single place where a built message goes towards the
// outbox: the account's send policy decides first (refuse, save as draft,
// ask the user, or go), then the caps are counted and the outbox journals
// and submits it. forward marks messages that carry existing mail out of
// the mailbox (forwards, attachments taken from messages).
//
// untrusted, when set, says why the content is not the agent's own (a
// draft mailmcp did not save): the user must confirm it in every mode.
func handOff(ctx context.Context, d *Deps, info AccountInfo, b *compose.Built, subject, key string, follow []outbox.FollowUp, forward bool, untrusted string) *mcp.CallToolResult {
	req := outbox.Request{
		Account: info.ID, IdempotencyKey: key, MessageID: b.MessageID, Subject: subject,
		From: b.From, Recipients: b.Recipients, SMTPUTF8: b.NeedsSMTPUTF8, Raw: b.Raw, FollowUps: follow,
	}
	digest, err := policy.ContentDigest(b.Raw)
	if err != nil {
		return errResult(err)
	}
	req.Digest = digest
	if earlier := earlierSend(ctx, d, req); earlier != nil {
		return earlier
	}
	if res := policyGate(ctx, d, info, currentTool(ctx), req, forward, untrusted); res != nil {
		return res
	}
	return submit(ctx, d, info, req)
}

// submit counts the message against the caps and hands it to the outbox,
// waiting up to sendWait for the first attempt.
func submit(ctx context.Context, d *Deps, info AccountInfo, req outbox.Request) *mcp.CallToolResult {
	if res := sendingUnavailable(d); res != nil {
		return res
	}
	if earlier := earlierSend(ctx, d, req); earlier != nil {
		return earlier
	}
	release, res := reserveCaps(ctx, d, info, req)
	if res != nil {
		return res
	}
	wctx, cancel := context.WithTimeout(ctx, sendWait)
	defer cancel()
	it, created, err := d.Outbox.Send(wctx, req)
	if err != nil {
		release()
		d.Log.Error("outbox", "err", err)
		return errResult(fault.Errorf(fault.Unavailable, "send", "the message could not be journaled in the outbox, so nothing was sent: %w", err).WithHint("Try again in a moment"))
	}
	if !created {
		release()
	}
	return sendResult(it, !created)
}

// statusOf names an item's state for the agent.
func statusOf(it *outbox.Item) string {
	if it.State == outbox.StateSent && (it.Partial() || bouncedAny(it)) {
		return "partially_sent"
	}
	return string(it.State)
}

// bouncedAny reports whether a later delivery report says the message
// could not be delivered to at least one recipient.
func bouncedAny(it *outbox.Item) bool {
	for _, r := range it.Recipients {
		if r.Bounce != nil && strings.EqualFold(r.Bounce.Action, "failed") {
			return true
		}
	}
	return false
}

// itemOutput describes an outbox item.
func itemOutput(it *outbox.Item) sendOutput {
	out := sendOutput{
		Status: statusOf(it), OutboxID: it.ID, Account: it.Account, MessageID: it.MessageID, Subject: it.Subject,
		ServerResponse: it.Response, LastError: it.LastError, Attempts: it.Attempts,
		SentCopy: it.SentCopy.Status, SentCopyError: it.SentCopy.Error, Created: it.Created.Format(time.RFC3339),
	}
	if it.State == outbox.StateQueued && !it.NextAttempt.IsZero() {
		out.NextAttempt = it.NextAttempt.Format(time.RFC3339)
	}
	for _, r := range it.Recipients {
		switch r.Status {
		case outbox.RcptAccepted:
			out.Accepted = append(out.Accepted, r.Address)
		case outbox.RcptRefused:
			out.Refused = append(out.Refused, recipientInfo{Address: r.Address, Code: r.Code, Enhanced: r.Enhanced, Message: r.Message})
		default:
			out.Pending = append(out.Pending, r.Address)
		}
		if b := r.Bounce; b != nil {
			out.Bounces = append(out.Bounces, recipientInfo{Address: r.Address, Action: b.Action, Enhanced: b.Status, Diagnostic: b.Diagnostic})
		}
	}
	return out
}

// sendResult is the tool result for an item after a send call.
func sendResult(it *outbox.Item, duplicate bool) *mcp.CallToolResult {
	out := itemOutput(it)
	out.Duplicate = duplicate
	var b strings.Builder
	if duplicate {
		b.WriteString("This idempotency key was used before; nothing new was sent. The earlier send: ")
	}
	b.WriteString(describeItem(&out))
	return okResult(out, b.String())
}

// describeItem says exactly what happened to a send.
func describeItem(o *sendOutput) string {
	var b strings.Builder
	switch o.Status {
	case "sent":
		fmt.Fprintf(&b, "Sent: the server accepted the message for %s.", strings.Join(o.Accepted, ", "))
	case "partially_sent":
		fmt.Fprintf(&b, "Partially sent: accepted for %s; refused for %s.", strings.Join(o.Accepted, ", "), refusedList(o.Refused))
	case "queued":
		fmt.Fprintf(&b, "Queued, not sent yet: %s. mailmcp retries automatically", o.LastError)
		if o.NextAttempt != "" {
			fmt.Fprintf(&b, " (next attempt %s)", o.NextAttempt)
		}
		b.WriteString("; check with outbox_status or stop it with cancel_send.")
		if len(o.Accepted) > 0 {
			fmt.Fprintf(&b, " Already accepted for %s.", strings.Join(o.Accepted, ", "))
		}
	case "submitting":
		b.WriteString("Being submitted right now; call outbox_status in a moment for the outcome.")
	case "failed":
		fmt.Fprintf(&b, "Failed, not sent: %s", o.LastError)
		if len(o.Refused) > 0 && !strings.Contains(o.LastError, o.Refused[0].Message) {
			fmt.Fprintf(&b, " (refused: %s)", refusedList(o.Refused))
		}
		b.WriteString(".")
	case "in_doubt":
		fmt.Fprintf(&b, "In doubt: %s.", o.LastError)
	case "cancelled":
		b.WriteString("Cancelled; it was not sent.")
	}
	fmt.Fprintf(&b, " Outbox id %s.", o.OutboxID)
	if o.MessageID != "" {
		fmt.Fprintf(&b, " Message-ID <%s>.", o.MessageID)
	}
	switch o.SentCopy {
	case outbox.CopySaved:
		b.WriteString(" A copy was saved to Sent.")
	case outbox.CopyServer:
		b.WriteString(" The provider files the Sent copy itself.")
	case outbox.CopyPending:
		if o.SentCopyError != "" {
			b.WriteString(" Saving the Sent copy failed for now (the message itself was sent); it is retried: " + o.SentCopyError)
		}
	case outbox.CopyFailed:
		b.WriteString(" The message was sent, but saving a copy to Sent failed: " + o.SentCopyError)
	}
	for _, bo := range o.Bounces {
		fmt.Fprintf(&b, " Later report for %s: %s %s %s.", bo.Address, bo.Action, bo.Enhanced, bo.Diagnostic)
	}
	return b.String()
}

func refusedList(l []recipientInfo) string {
	parts := make([]string, len(l))
	for i, r := range l {
		parts[i] = fmt.Sprintf("%s (%d %s %s)", r.Address, r.Code, r.Enhanced, r.Message)
		if r.Code == 0 {
			parts[i] = fmt.Sprintf("%s (%s)", r.Address, r.Message)
		}
	}
	return strings.Join(parts, ", ")
}

// setRecipients parses the to, cc, bcc and reply_to arguments into m.
func setRecipients(m *compose.Message, to, cc, bcc, replyTo []string) error {
	for _, f := range []struct {
		name string
		in   []string
		dst  *[]compose.Address
	}{{"to", to, &m.To}, {"cc", cc, &m.Cc}, {"bcc", bcc, &m.Bcc}, {"reply_to", replyTo, &m.ReplyTo}} {
		var err error
		if *f.dst, err = compose.ParseAddresses(f.name, f.in); err != nil {
			return err
		}
	}
	return nil
}

// attachments resolves the attachments argument: files inside the account's
// attachment directory, or parts of existing messages.
func attachments(ctx context.Context, d *Deps, info AccountInfo, a *Args) ([]compose.Attachment, error) {
	v, ok := a.m["attachments"]
	if !ok || v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, &compose.Error{Code: compose.CodeInvalid, Field: "attachments", Msg: "must be a list"}
	}
	var out []compose.Attachment
	for i, x := range list {
		field := fmt.Sprintf("attachments[%d]", i)
		switch x := x.(type) {
		case string:
			att, err := compose.OpenInDir(info.AttachmentDir, x)
			if err != nil {
				return nil, err
			}
			out = append(out, *att)
		case map[string]any:
			id, _ := x["message_id"].(string)
			part, _ := x["part"].(string)
			att, err := messagePart(ctx, d, info, id, part, field)
			if err != nil {
				return nil, err
			}
			out = append(out, *att)
		default:
			return nil, &compose.Error{Code: compose.CodeInvalid, Field: field, Msg: "must be a file path or {message_id, part}"}
		}
	}
	return out, nil
}

// messagePart reads one part of an existing message as an attachment.
func messagePart(ctx context.Context, d *Deps, info AccountInfo, id, part, field string) (*compose.Attachment, error) {
	ref, p, err := messagePool(d, id)
	if err != nil {
		return nil, err
	}
	max := limits(info).MaxBytes
	var buf bytes.Buffer
	pc, err := p.FetchPart(ctx, ref, part, max, &buf)
	if err != nil {
		var tl *imapconn.ErrPartTooLarge
		if errors.As(err, &tl) {
			return nil, &compose.Error{Code: compose.CodeTooLarge, Field: field, Msg: fmt.Sprintf("part %s is larger than the message size limit", part)}
		}
		return nil, err
	}
	name := pc.Info.Filename
	if name == "" {
		name = "part-" + part
	}
	data := buf.Bytes()
	return &compose.Attachment{Filename: name, ContentType: pc.Info.MediaType, Size: int64(len(data)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}, nil
}

// fetchOriginal reads and parses a message (for reply and forward),
// bounded by the account's message size.
func fetchOriginal(ctx context.Context, p *imapconn.Pool, info AccountInfo, id string) (*parse.Message, []byte, error) {
	ref, err := ownMessage(p, id)
	if err != nil {
		return nil, nil, err
	}
	max := limits(info).MaxBytes
	raw, err := readRaw(ctx, p, ref, max+1)
	if err != nil {
		return nil, nil, err
	}
	if int64(len(raw)) > max {
		return nil, nil, &compose.Error{Code: compose.CodeTooLarge, Field: "id", Msg: "the original message is larger than this account's message size limit"}
	}
	m, err := parse.Parse(bytes.NewReader(raw), parse.ParseOptions{})
	if err != nil {
		return nil, nil, fmt.Errorf("parse the original: %w", err)
	}
	return m, raw, nil
}

// ownMessage parses a message id and checks that it belongs to the
// account the call works on (an explicit account argument can differ).
func ownMessage(p *imapconn.Pool, id string) (imapconn.MessageRef, error) {
	ref, err := imapconn.ParseID(id)
	if err != nil {
		return ref, err
	}
	if ref.Account != p.Account().ID {
		return ref, &fault.Error{Kind: fault.Invalid, Op: "fetch", Err: fmt.Errorf("message %s belongs to account %s", id, ref.Account),
			Hint: "Pass account " + ref.Account + " or omit account"}
	}
	return ref, nil
}

// readRaw reads a whole message (without marking it read), at most max
// bytes of it.
func readRaw(ctx context.Context, p *imapconn.Pool, ref imapconn.MessageRef, max int64) ([]byte, error) {
	var raw []byte
	err := p.FetchRaw(ctx, ref, false, func(_ imapconn.MessageMeta, r io.Reader) (err error) {
		raw, err = io.ReadAll(io.LimitReader(r, max))
		return err
	})
	return raw, err
}

// accountFor picks the account of a message id when account is omitted.
func accountFor(d *Deps, a *Args, id string) {
	if a.Has("account") {
		return
	}
	if ref, err := imapconn.ParseID(id); err == nil {
		a.m["account"] = ref.Account
	}
}
