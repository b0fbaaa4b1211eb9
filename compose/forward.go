package compose

import (
	"bytes"
	"io"
	"strings"

	"github.com/mailmcp/mailmcp/parse"
)

// Forward builds a forward of orig, whose complete raw message is raw.
//
// Inline (asAttachment false): note, then a "Forwarded message" block with
// the original's From, Date, Subject, To and Cc and its text, and every
// attachment of the original attached again (extracted from raw).
// As attachment: note as the body and raw attached whole as message/rfc822.
// The subject gets one "Fwd:". Recipients and From are left for the caller.
func Forward(orig *parse.Message, raw []byte, asAttachment bool, note string) *Message {
	m := &Message{Subject: ForwardSubject(orig.Subject), Text: note}
	if id := strings.Trim(orig.MessageID, "<> "); id != "" {
		// Lets the recipient's client (and ours) relate the forward to its
		// source; not a reply, so no In-Reply-To.
		m.References = []string{id}
	}
	if asAttachment {
		name := parse.SanitizeFilename(strings.TrimSpace(orig.Subject))
		if name == "" {
			name = "message"
		}
		m.Attachments = []Attachment{{
			Filename:    name + ".eml",
			ContentType: "message/rfc822",
			Size:        int64(len(raw)),
			Open:        func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil },
		}}
		return m
	}
	var b strings.Builder
	if n := strings.TrimRight(note, "\r\n"); n != "" {
		b.WriteString(n + "\n\n")
	}
	b.WriteString("---------- Forwarded message ----------\n")
	line := func(k, v string) {
		if v != "" {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	line("From", joinAddrs(orig.From))
	line("Date", orig.DateRaw)
	line("Subject", orig.Subject)
	line("To", joinAddrs(orig.To))
	line("Cc", joinAddrs(orig.Cc))
	b.WriteString("\n" + strings.TrimRight(orig.Text, "\r\n") + "\n")
	m.Text = b.String()
	for _, a := range orig.Attachments {
		m.Attachments = append(m.Attachments, Attachment{
			Filename:    a.Filename,
			ContentType: a.MediaType,
			Inline:      a.Inline && a.ContentID != "",
			ContentID:   a.ContentID,
			Size:        a.Size,
			Open: func() (io.ReadCloser, error) {
				var buf bytes.Buffer
				if _, err := parse.ExtractPart(bytes.NewReader(raw), a.PartID, &buf, DefaultMaxBytes); err != nil {
					return nil, err
				}
				return io.NopCloser(&buf), nil
			},
		})
	}
	return m
}

func joinAddrs(l []parse.Address) string {
	s := make([]string, len(l))
	for i, a := range l {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
