package parse

// Address is one parsed mailbox.
type Address struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// String formats the address as `Name <email>` (or just the email).
func (a Address) String() string {
	switch {
	case a.Name == "":
		return a.Email
	case a.Email == "":
		return a.Name
	default:
		return a.Name + " <" + a.Email + ">"
	}
}

// Header is one decoded header field.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Problem is something malformed that parsing tolerated.
type Problem struct {
	// Part is the IMAP section number of the part concerned ("" for the top-level header).
	Part string `json:"part,omitempty"`
	// Kind is a stable code: header, encoded_word, charset, boundary, base64,
	// quoted_printable, encoding, truncated, depth, limit, date, address,
	// alternative (a text/plain alternative that says what the HTML does not).
	Kind   string `json:"kind"`
	Detail string `json:"detail,omitempty"`
}

// Attachment describes a non-body part. Its content is never held in memory
// by Parse; fetch it with ExtractPart (or BODY[PartID] over IMAP).
type Attachment struct {
	// PartID is the IMAP section number (RFC 3501 §6.4.5), e.g. "2" or "2.1".
	PartID    string `json:"part_id"`
	Filename  string `json:"filename,omitempty"`
	MediaType string `json:"media_type"`
	// Size is the decoded size in bytes.
	Size      int64  `json:"size"`
	Inline    bool   `json:"inline,omitempty"`
	ContentID string `json:"content_id,omitempty"`
	// Note explains special containers (TNEF, signatures, forwarded messages).
	Note string `json:"note,omitempty"`
}

// CalendarSummary summarises a text/calendar invitation (RFC 5545, iTIP RFC 5546).
type CalendarSummary struct {
	PartID    string   `json:"part_id,omitempty"`
	Method    string   `json:"method,omitempty"`
	Summary   string   `json:"summary,omitempty"`
	Organizer *Address `json:"organizer,omitempty"`
	Start     string   `json:"start,omitempty"`
	End       string   `json:"end,omitempty"`
	Location  string   `json:"location,omitempty"`
	Status    string   `json:"status,omitempty"`
	UID       string   `json:"uid,omitempty"`
	Attendees int      `json:"attendees,omitempty"`
}

// DSNSummary summarises a delivery status notification (RFC 3464).
type DSNSummary struct {
	PartID             string         `json:"part_id,omitempty"`
	ReportingMTA       string         `json:"reporting_mta,omitempty"`
	OriginalEnvelopeID string         `json:"original_envelope_id,omitempty"`
	OriginalMessageID  string         `json:"original_message_id,omitempty"`
	ArrivalDate        string         `json:"arrival_date,omitempty"`
	Recipients         []DSNRecipient `json:"recipients,omitempty"`
}

// DSNRecipient is one per-recipient block of a DSN.
type DSNRecipient struct {
	FinalRecipient    string `json:"final_recipient,omitempty"`
	OriginalRecipient string `json:"original_recipient,omitempty"`
	Action            string `json:"action,omitempty"`
	Status            string `json:"status,omitempty"`
	Diagnostic        string `json:"diagnostic,omitempty"`
	RemoteMTA         string `json:"remote_mta,omitempty"`
}

// MDNSummary summarises a message disposition notification / read receipt (RFC 8098).
type MDNSummary struct {
	PartID            string `json:"part_id,omitempty"`
	ReportingUA       string `json:"reporting_ua,omitempty"`
	OriginalRecipient string `json:"original_recipient,omitempty"`
	FinalRecipient    string `json:"final_recipient,omitempty"`
	OriginalMessageID string `json:"original_message_id,omitempty"`
	// Disposition is the full disposition field, e.g. "manual-action/MDN-sent-manually; displayed".
	Disposition string `json:"disposition,omitempty"`
	// Type is the disposition type: displayed, deleted, dispatched, processed.
	Type string `json:"type,omitempty"`
}

// SecurityPart identifies an S/MIME or OpenPGP part. Nothing is verified or decrypted.
type SecurityPart struct {
	PartID    string `json:"part_id,omitempty"`
	Scheme    string `json:"scheme"` // smime | pgp
	Kind      string `json:"kind"`   // signature | encrypted | signed_data | keys | inline_signed | inline_encrypted
	MediaType string `json:"media_type,omitempty"`
}

// AuthResult is one Authentication-Results header (RFC 8601), in header order.
type AuthResult struct {
	// AuthServID is the host that produced the verdicts; only trust headers
	// whose AuthServID belongs to your own provider.
	AuthServID string       `json:"authserv_id"`
	SPF        string       `json:"spf,omitempty"`
	DKIM       string       `json:"dkim,omitempty"`
	DMARC      string       `json:"dmarc,omitempty"`
	Methods    []AuthMethod `json:"methods,omitempty"`
	// Field is the header's position among the message's header fields
	// (0 = topmost), so a reader can tell a header the receiving server
	// prepended from one further down that the sender wrote.
	Field int `json:"-"`
}

// AuthMethod is one resinfo of an Authentication-Results header.
type AuthMethod struct {
	Method string `json:"method"`
	Result string `json:"result"`
	// Props are the ptype.property=value pairs, e.g. "header.d=example.com".
	Props []string `json:"props,omitempty"`
}

// Message is the parsed, decoded form of one message.
type Message struct {
	// PartID is set on nested (message/rfc822) messages: their IMAP section number.
	PartID          string    `json:"part_id,omitempty"`
	Subject         string    `json:"subject,omitempty"`
	From            []Address `json:"from,omitempty"`
	Sender          []Address `json:"sender,omitempty"`
	To              []Address `json:"to,omitempty"`
	Cc              []Address `json:"cc,omitempty"`
	Bcc             []Address `json:"bcc,omitempty"`
	ReplyTo         []Address `json:"reply_to,omitempty"`
	Date            string    `json:"date,omitempty"` // RFC 3339, original zone kept
	DateRaw         string    `json:"date_raw,omitempty"`
	MessageID       string    `json:"message_id,omitempty"`
	InReplyTo       string    `json:"in_reply_to,omitempty"`
	References      []string  `json:"references,omitempty"`
	ListID          string    `json:"list_id,omitempty"`
	ListUnsubscribe string    `json:"list_unsubscribe,omitempty"`
	// Headers holds the extra headers requested in ParseOptions.Headers.
	Headers []Header `json:"headers,omitempty"`

	// Text is the faithful body: the text/plain alternative when it carries
	// the content, otherwise the HTML converted to Markdown; inline text
	// parts of multipart/mixed are joined in order. Always valid UTF-8.
	Text string `json:"text,omitempty"`
	// PlainText is the body built preferring text/plain alternatives, set
	// only when it differs from Text (used by FormatText).
	PlainText string `json:"plain_text,omitempty"`
	// BodySource says where Text came from: "text/plain", "text/html" or "mixed".
	BodySource string `json:"body_source,omitempty"`

	Attachments    []Attachment     `json:"attachments,omitempty"`
	Nested         []*Message       `json:"nested,omitempty"`
	Calendar       *CalendarSummary `json:"calendar,omitempty"`
	DeliveryStatus *DSNSummary      `json:"delivery_status,omitempty"`
	Receipt        *MDNSummary      `json:"receipt,omitempty"`
	Security       []SecurityPart   `json:"security,omitempty"`
	Auth           []AuthResult     `json:"auth,omitempty"`
	Problems       []Problem        `json:"problems,omitempty"`

	// all is every header field, decoded, in order (bounded).
	all []Header
}

// AllHeaders returns every header field, decoded, in order (bounded as
// parsing bounds them). The slice is shared: do not modify it.
func (m *Message) AllHeaders() []Header { return m.all }

// HeaderValues returns the decoded values of every header field named name
// (case-insensitive), in order.
func (m *Message) HeaderValues(name string) []string {
	var out []string
	for _, h := range m.all {
		if equalFold(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	return out
}
