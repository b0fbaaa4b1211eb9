package imapconn

import (
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/parse"
)

// Address is a parsed mailbox.
type Address struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// Envelope is the compact description of a message that lists return.
type Envelope struct {
	ID             string    `json:"id"`
	Folder         string    `json:"folder"`
	UID            uint32    `json:"uid"`
	Date           string    `json:"date,omitempty"`
	From           []Address `json:"from,omitempty"`
	To             []Address `json:"to,omitempty"`
	Cc             []Address `json:"cc,omitempty"`
	Subject        string    `json:"subject"`
	Flags          []string  `json:"flags"`
	Size           int64     `json:"size"`
	HasAttachments bool      `json:"has_attachments"`
	MessageID      string    `json:"message_id,omitempty"`
	// Gmail (X-GM-EXT-1) only: conversation id, message id and labels.
	ThreadID   string   `json:"thread_id,omitempty"`
	GmailMsgID string   `json:"gmail_msgid,omitempty"`
	Labels     []string `json:"labels,omitempty"`
	// Snippet is the best matching passage (search sort "relevance").
	Snippet string `json:"snippet,omitempty"`
}

// envelopeFetch is what every listing asks for: no body bytes.
var envelopeFetch = &imap.FetchOptions{
	UID: true, Envelope: true, Flags: true, RFC822Size: true, BodyStructure: &imap.FetchItemBodyStructure{Extended: true}, InternalDate: true,
}

func toEnvelope(acct, folder string, uidValidity uint32, m *imapclient.FetchMessageBuffer) Envelope {
	e := Envelope{
		ID:     MessageRef{Account: acct, Folder: folder, UIDValidity: uidValidity, UID: m.UID}.ID(),
		Folder: folder, UID: uint32(m.UID), Size: m.RFC822Size, Flags: flagNames(m.Flags),
	}
	date := m.InternalDate
	if env := m.Envelope; env != nil {
		e.Subject = CleanText(env.Subject)
		e.From, e.To, e.Cc = addrs(env.From), addrs(env.To), addrs(env.Cc)
		e.MessageID = env.MessageID
		if !env.Date.IsZero() {
			date = env.Date
		}
	}
	if !date.IsZero() {
		e.Date = date.Format(time.RFC3339)
	}
	if m.BodyStructure != nil {
		e.HasAttachments = hasAttachments(m.BodyStructure)
	}
	return e
}

func addrs(in []imap.Address) []Address {
	var out []Address
	for _, a := range in {
		if a.IsGroupStart() || a.IsGroupEnd() {
			continue
		}
		out = append(out, Address{Name: CleanText(a.Name), Email: CleanText(a.Addr())})
	}
	return out
}

// flagNames renders flags without backslashes: seen, answered, flagged, …
// \Recent is left out: it is session state, not a flag anyone set (RFC
// 3501 2.3.2, gone in RFC 9051), and servers that still report it (Cyrus)
// would show every new message as "recent" to one session only.
func flagNames(flags []imap.Flag) []string {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		if strings.EqualFold(string(f), `\Recent`) {
			continue
		}
		out = append(out, strings.ToLower(strings.TrimPrefix(string(f), "\\")))
	}
	return out
}

// hasAttachments: any part marked attachment, or a named non-text leaf.
func hasAttachments(bs imap.BodyStructure) bool {
	found := false
	bs.Walk(func(path []int, part imap.BodyStructure) bool {
		sp, ok := part.(*imap.BodyStructureSinglePart)
		if !ok {
			return true
		}
		if d := sp.Disposition(); d != nil && strings.EqualFold(d.Value, "attachment") {
			found = true
		} else if sp.Filename() != "" && !strings.EqualFold(sp.Type, "text") {
			found = true
		}
		return !found
	})
	return found
}

// CleanText makes header text safe to show a model on one line: encoded
// words go-imap could not decode are decoded tolerantly, invisible,
// bidi-control and control characters are removed (parse.SanitizeText), and
// whitespace is folded.
func CleanText(s string) string {
	if strings.Contains(s, "=?") {
		s = parse.DecodeHeader(s)
	}
	return strings.Join(strings.Fields(parse.SanitizeText(s)), " ")
}
