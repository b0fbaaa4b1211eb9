package tools

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/mailmcp/mailmcp/compose"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/parse"
)

// A draft is sent as it stands only when mailmcp saved it: save_draft (and
// the drafts_only policy) record every draft's Message-ID and content
// digest in the state store. Anything else in Drafts — a draft written in
// another client, or received mail copied or moved there, with whatever
// From, Sender and headers its author chose — is untrusted content: it is
// rebuilt from its parts as a new message from the account and always
// needs the user's confirmation.

// untrustedDraft is the reason given to the user for a rebuilt draft.
const untrustedDraft = "this draft was not saved by mailmcp (it was written elsewhere, or copied or moved into Drafts, possibly from received mail): " +
	"it was rebuilt as a new plain-text message from this account, with a new Date and Message-ID, and needs your confirmation whatever the send policy"

// recordSaved notes a draft mailmcp just saved, so send_draft may send it
// as it stands. A failure only costs a confirmation later; it is logged.
func recordSaved(ctx context.Context, d *Deps, account, messageID string, raw []byte) {
	if d.Ledger == nil {
		return
	}
	digest, err := policy.ContentDigest(raw)
	if err == nil {
		err = d.Ledger.RecordSaved(ctx, account, messageID, digest)
	}
	if err != nil {
		d.Log.Warn("record saved draft", "account", account, "err", err)
	}
}

// draftOrigin returns "" for a draft mailmcp saved exactly as it is now,
// else the reason the draft is untrusted.
func draftOrigin(ctx context.Context, d *Deps, info AccountInfo, raw []byte) (string, error) {
	if d.Ledger == nil {
		return untrustedDraft, nil
	}
	m, err := parse.Parse(bytes.NewReader(raw), parse.ParseOptions{})
	if err != nil || m.MessageID == "" {
		return untrustedDraft, nil
	}
	digest, err := policy.ContentDigest(raw)
	if err != nil {
		return untrustedDraft, nil
	}
	ok, err := d.Ledger.SavedDraft(ctx, info.ID, m.MessageID, digest)
	if err != nil || !ok {
		return untrustedDraft, err
	}
	return "", nil
}

// rebuildDraft makes a new message from an untrusted draft's parts: its
// recipients, subject, threading, text and attachments, with the account's
// From and a new Date and Message-ID. Every other header (Sender, a forged
// From, Received, anything) and any HTML are left behind.
func rebuildDraft(raw []byte, info AccountInfo) (*compose.Built, string, error) {
	m, err := parse.Parse(bytes.NewReader(raw), parse.ParseOptions{})
	if err != nil {
		return nil, "", &compose.Error{Code: compose.CodeInvalid, Field: "id", Msg: "the draft cannot be read: " + err.Error()}
	}
	c := &compose.Message{From: compose.Address{Name: info.Name, Email: info.Email}, Subject: m.Subject, Text: m.Text,
		InReplyTo: m.InReplyTo, References: m.References}
	for _, f := range []struct {
		name string
		in   []parse.Address
		dst  *[]compose.Address
	}{{"to", m.To, &c.To}, {"cc", m.Cc, &c.Cc}, {"bcc", m.Bcc, &c.Bcc}, {"reply_to", m.ReplyTo, &c.ReplyTo}} {
		for _, a := range f.in {
			na, err := compose.NormalizeAddress(compose.Address{Name: a.Name, Email: a.Email})
			if err != nil {
				var ce *compose.Error
				if errors.As(err, &ce) {
					ce.Field, ce.Msg = f.name, "the draft's "+f.name+" field: "+ce.Msg
				}
				return nil, "", err
			}
			*f.dst = append(*f.dst, na)
		}
	}
	for _, at := range m.Attachments {
		var buf bytes.Buffer
		if _, err := parse.ExtractPart(bytes.NewReader(raw), at.PartID, &buf, limits(info).MaxBytes); err != nil {
			return nil, "", &compose.Error{Code: compose.CodeInvalid, Field: "id", Msg: "attachment " + at.PartID + " of the draft cannot be read: " + err.Error()}
		}
		name := at.Filename
		if name == "" {
			name = "part-" + strings.ReplaceAll(at.PartID, ".", "-")
		}
		data := buf.Bytes()
		c.Attachments = append(c.Attachments, compose.Attachment{Filename: name, ContentType: at.MediaType, Size: int64(len(data)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }})
	}
	if len(c.To)+len(c.Cc)+len(c.Bcc) == 0 {
		return nil, "", &compose.Error{Code: compose.CodeNoRecipients, Field: "to", Msg: "the draft has no recipients; save it again with at least one"}
	}
	b, err := compose.Build(c, limits(info))
	if err != nil {
		return nil, "", err
	}
	return b, c.Subject, nil
}
