package compose

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// Build validates m against lim and writes it. It returns *Error for any
// input problem; other errors come from reading attachments.
func Build(m *Message, lim Limits) (*Built, error) {
	lim = lim.withDefaults()
	v, err := validate(m, lim)
	if err != nil {
		return nil, err
	}
	h, err := topHeader(v)
	if err != nil {
		return nil, err
	}
	body, err := bodyTree(v)
	if err != nil {
		return nil, err
	}
	buf := &capBuffer{max: lim.MaxBytes}
	buf.Grow(int(min(v.estimate+v.estimate/32+2<<10, lim.MaxBytes)))
	if err := writeEntity(buf, nil, mergeHeader(h.Header, body.header), body); err != nil {
		if buf.over {
			return nil, tooLarge(lim.MaxBytes)
		}
		return nil, err
	}
	id, _ := h.MessageID()
	return &Built{
		Raw:           buf.Bytes(),
		MessageID:     id,
		From:          v.From.Email,
		Recipients:    v.recipients,
		NeedsSMTPUTF8: v.smtputf8,
		Date:          v.Date,
	}, nil
}

func tooLarge(max int64) *Error {
	return errf(CodeTooLarge, "", "the message would be larger than the limit of %s; send fewer or smaller attachments (or share a link)", humanBytes(max))
}

// valid is a Message after validation and normalisation.
type valid struct {
	*Message
	recipients []string
	smtputf8   bool
	estimate   int64 // expected size of the built message, when known
}

func validate(m *Message, lim Limits) (*valid, error) {
	c := *m // never modify the caller's message
	v := &valid{Message: &c}
	var err error
	if c.From.Email == "" {
		return nil, errf(CodeInvalidAddress, "from", "a sender address is required")
	}
	if c.From, err = NormalizeAddress(c.From); err != nil {
		return nil, named("from", err)
	}
	lists := []struct {
		name string
		l    *[]Address
	}{{"to", &c.To}, {"cc", &c.Cc}, {"bcc", &c.Bcc}, {"reply_to", &c.ReplyTo}}
	for _, l := range lists {
		out := make([]Address, 0, len(*l.l))
		for _, a := range *l.l {
			na, err := NormalizeAddress(a)
			if err != nil {
				return nil, named(l.name, err)
			}
			out = append(out, na)
		}
		*l.l = out
	}
	seen := map[string]bool{}
	for _, l := range [][]Address{c.To, c.Cc, c.Bcc} {
		for _, a := range l {
			k := strings.ToLower(a.Email)
			if !seen[k] {
				seen[k] = true
				v.recipients = append(v.recipients, a.Email)
				v.smtputf8 = v.smtputf8 || a.NeedsSMTPUTF8()
			}
		}
	}
	v.smtputf8 = v.smtputf8 || c.From.NeedsSMTPUTF8()
	if len(v.recipients) == 0 && !c.Draft {
		return nil, errf(CodeNoRecipients, "to", "at least one recipient (to, cc or bcc) is required")
	}
	if len(v.recipients) > lim.MaxRecipients {
		return nil, errf(CodeTooManyRecipients, "to", "%d recipients (to, cc and bcc together) exceed the limit of %d for this account; send to fewer people or to a mailing list",
			len(v.recipients), lim.MaxRecipients)
	}
	if err := checkHeaderValue("subject", c.Subject); err != nil {
		return nil, err
	}
	c.Text = strings.ToValidUTF8(c.Text, "\uFFFD")
	c.Subject = strings.ToValidUTF8(c.Subject, "\uFFFD")
	if c.InReplyTo != "" {
		if c.InReplyTo, err = cleanMsgID("in_reply_to", c.InReplyTo); err != nil {
			return nil, err
		}
	}
	refs := make([]string, 0, len(c.References))
	for _, r := range c.References {
		id, err := cleanMsgID("references", r)
		if err != nil {
			return nil, err
		}
		refs = append(refs, id)
	}
	c.References = refs
	if c.MessageID != "" {
		if c.MessageID, err = cleanMsgID("message_id", c.MessageID); err != nil {
			return nil, err
		}
	}
	for _, kv := range c.Headers {
		if err := checkHeaderValue("headers", kv[0]+kv[1]); err != nil {
			return nil, err
		}
		if reserved[strings.ToLower(kv[0])] || !validFieldName(kv[0]) {
			return nil, errf(CodeInvalid, "headers", "header field %q cannot be set", clip(kv[0]))
		}
	}
	var est int64 = int64(len(c.Text)) * 3
	for i := range c.Attachments {
		a := &c.Attachments[i]
		f := fmt.Sprintf("attachments[%d]", i)
		if err := checkHeaderValue(f, a.Filename+a.ContentType+a.ContentID); err != nil {
			return nil, err
		}
		if len(a.Filename) > 255 {
			return nil, errf(CodeAttachment, f, "file name is longer than 255 bytes")
		}
		if a.Open == nil {
			return nil, errf(CodeAttachment, f, "has no content")
		}
		if a.ContentType == "" {
			a.ContentType = TypeByFilename(a.Filename)
		}
		if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
			return nil, errf(CodeAttachment, f, "content type %q is invalid", clip(a.ContentType))
		}
		est += a.Size * 4 / 3
	}
	if est > lim.MaxBytes {
		return nil, tooLarge(lim.MaxBytes)
	}
	v.estimate = est
	if c.Date.IsZero() {
		c.Date = time.Now()
	}
	c.Date = c.Date.Truncate(time.Second)
	return v, nil
}

// named puts the argument's name into an address error.
func named(name string, err error) error {
	if e, ok := err.(*Error); ok && (e.Field == "" || e.Field == "address") {
		e.Field = name
	}
	return err
}

// reserved header fields are set by Build only.
var reserved = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "reply-to": true, "subject": true, "date": true,
	"message-id": true, "in-reply-to": true, "references": true, "mime-version": true,
	"content-type": true, "content-transfer-encoding": true, "content-disposition": true, "sender": true,
}

func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 127 || s[i] == ':' {
			return false
		}
	}
	return true
}

// cleanMsgID strips angle brackets and refuses what cannot be a msg-id.
func cleanMsgID(f, s string) (string, error) {
	if err := checkHeaderValue(f, s); err != nil {
		return "", err
	}
	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "<"), ">")
	if id == "" || strings.ContainsAny(id, "<> \t") || !isASCII(id) {
		return "", errf(CodeInvalid, f, "%q is not a message id (want something like <abc@example.org>)", clip(s))
	}
	return id, nil
}

// topHeader is the RFC 5322 header of the message, without content fields.
func topHeader(v *valid) (mail.Header, error) {
	var h mail.Header
	h.Set("MIME-Version", "1.0")
	h.SetDate(v.Date)
	h.SetAddressList("From", mailAddrs([]Address{v.From}))
	h.SetAddressList("To", mailAddrs(v.To))
	h.SetAddressList("Cc", mailAddrs(v.Cc))
	if v.Draft {
		h.SetAddressList("Bcc", mailAddrs(v.Bcc)) // kept only in drafts, never sent
	}
	h.SetAddressList("Reply-To", mailAddrs(v.ReplyTo))
	h.SetSubject(v.Subject)
	if v.MessageID != "" {
		h.SetMessageID(v.MessageID)
	} else {
		domain := v.From.Email[strings.LastIndexByte(v.From.Email, '@')+1:]
		if err := h.GenerateMessageIDWithHostname(domain); err != nil {
			return h, fmt.Errorf("compose: generate message id: %w", err)
		}
	}
	if v.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{v.InReplyTo})
	}
	h.SetMsgIDList("References", v.References)
	for _, kv := range v.Headers {
		h.SetText(kv[0], kv[1])
	}
	return h, nil
}

func mailAddrs(l []Address) []*mail.Address {
	out := make([]*mail.Address, len(l))
	for i, a := range l {
		out[i] = &mail.Address{Name: a.Name, Address: a.Email}
	}
	return out
}

// TypeByFilename guesses a media type from a file name's extension.
func TypeByFilename(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ext == ".eml" {
		return "message/rfc822"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// capBuffer is a bytes.Buffer that fails once more than max bytes are written.
type capBuffer struct {
	bytes.Buffer
	max  int64
	over bool
}

func (b *capBuffer) Write(p []byte) (int, error) {
	if int64(b.Len()+len(p)) > b.max {
		b.over = true
		return 0, errOversize
	}
	return b.Buffer.Write(p)
}

var errOversize = fmt.Errorf("compose: message too large")

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// headerOrder is the order fields are written in; others follow.
var headerOrder = []string{"Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Subject", "Message-Id",
	"In-Reply-To", "References", "Mime-Version", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-Id"}

// mergeHeader combines header field sets into one, in headerOrder.
// (go-message writes fields in the reverse order they were added.)
func mergeHeader(hs ...message.Header) message.Header {
	var kv [][2]string
	rank := func(k string) int {
		for i, o := range headerOrder {
			if strings.EqualFold(o, k) {
				return i
			}
		}
		return len(headerOrder)
	}
	for _, h := range hs {
		f := h.Fields()
		for f.Next() {
			kv = append(kv, [2]string{f.Key(), f.Value()})
		}
	}
	sort.SliceStable(kv, func(i, j int) bool { return rank(kv[i][0]) < rank(kv[j][0]) })
	var out message.Header
	for i := len(kv) - 1; i >= 0; i-- {
		out.Add(kv[i][0], kv[i][1])
	}
	return out
}

var _ io.Writer = (*capBuffer)(nil)
