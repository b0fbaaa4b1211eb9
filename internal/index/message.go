package index

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mailmcp/mailmcp/parse"
)

// MaxTextBytes bounds the text kept per message (per text part, as the
// parser bounds it); longer mail is indexed and shown offline up to here.
const MaxTextBytes = 256 << 10

// Message is one indexed message: what the server said about it and the
// parsed message fetch_message renders.
type Message struct {
	Folder      string
	UIDValidity uint32
	UID         uint32
	Arrived     time.Time // INTERNALDATE
	Flags       []string  // as search shows them: seen, answered, flagged, …
	Size        int64
	Parsed      *parse.Message
	CachedAt    time.Time
}

// Flag bits stored for the flags search can filter on.
const (
	bitSeen = 1 << iota
	bitAnswered
	bitFlagged
	bitDeleted
)

func flagBits(flags []string) int {
	n := 0
	for _, f := range flags {
		switch f {
		case "seen":
			n |= bitSeen
		case "answered":
			n |= bitAnswered
		case "flagged":
			n |= bitFlagged
		case "deleted":
			n |= bitDeleted
		}
	}
	return n
}

// row is a Message as stored.
type row struct {
	date, flags, messageID      string
	hasAtt                      bool
	env                         []byte
	subject, from, to, cc, body string
	attachments                 string
}

func toRow(m *Message) (*row, error) {
	p := m.Parsed
	r := &row{flags: strings.Join(m.Flags, " "), messageID: p.MessageID, hasAtt: hasAttachments(p)}
	r.date = p.Date
	if r.date == "" && !m.Arrived.IsZero() {
		r.date = m.Arrived.Format(time.RFC3339)
	}
	r.subject, r.body = p.Subject, p.Text
	r.from = strings.Join(p.HeaderValues("From"), ", ")
	r.to = strings.Join(p.HeaderValues("To"), ", ")
	r.cc = strings.Join(p.HeaderValues("Cc"), ", ")
	var names []string
	for _, a := range p.Attachments {
		if a.Filename != "" {
			names = append(names, a.Filename)
		}
	}
	r.attachments = strings.Join(names, "\n")
	// The text and subject live in the full-text table; the rest of the
	// parse result is kept as JSON to render it offline exactly as online.
	cp := *p
	cp.Text, cp.Subject, cp.MessageID = "", "", "" // kept in their own columns
	if cp.Date == r.date {
		cp.Date = ""
	}
	env, err := json.Marshal(&cp)
	if err != nil {
		return nil, fmt.Errorf("index: encode message: %w", err)
	}
	r.env = env
	return r, nil
}

// fromRow rebuilds the parse result fetch_message renders.
func fromRow(env []byte, subject, body, messageID, date string) (*parse.Message, error) {
	var m parse.Message
	if err := json.Unmarshal(env, &m); err != nil {
		return nil, fmt.Errorf("index: decode message: %w", err)
	}
	m.Subject, m.Text, m.MessageID = subject, body, messageID
	if m.Date == "" && m.DateRaw != "" {
		m.Date = date
	}
	return &m, nil
}

// hasAttachments: a real (non-inline) attachment, or any named part.
func hasAttachments(p *parse.Message) bool {
	for _, a := range p.Attachments {
		if !a.Inline || a.Filename != "" {
			return true
		}
	}
	return false
}
