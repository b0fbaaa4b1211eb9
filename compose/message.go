package compose

import (
	"io"
	"time"
)

// Message is an outgoing message before it is built.
type Message struct {
	From        Address
	To, Cc, Bcc []Address
	ReplyTo     []Address
	Subject     string
	// Text is the plain-text body (any line endings; sent as CRLF).
	Text string
	// Markdown renders Text as Markdown into a sanitised text/html
	// alternative (raw HTML in the source is dropped, unsafe links removed).
	Markdown bool
	// InReplyTo and References are message ids with or without angle brackets.
	InReplyTo   string
	References  []string
	Attachments []Attachment
	// Date defaults to now.
	Date time.Time
	// MessageID (without angle brackets) is generated on the From domain
	// when empty.
	MessageID string
	// Draft relaxes the rules for a message saved to Drafts: recipients may
	// be missing, and Bcc is kept in the header so the draft can be sent
	// later. Never submit the bytes of a Draft build.
	Draft bool
	// Headers are extra header fields (e.g. "Auto-Submitted"); values are
	// checked for CR/LF and encoded per RFC 2047 when not ASCII. Fields the
	// builder sets itself cannot be overridden here.
	Headers [][2]string
}

// Attachment is one file attached to a Message.
type Attachment struct {
	// Filename is sent RFC 2231-encoded when it is not ASCII.
	Filename string
	// ContentType such as "application/pdf"; "" guesses from the file name.
	// "message/rfc822" attaches a whole message (forward as attachment).
	ContentType string
	// Inline parts with a ContentID can be referenced from the HTML body
	// as cid:ContentID; inline is only a display hint otherwise.
	Inline    bool
	ContentID string
	// Open returns the content; it is called once, while building.
	Open func() (io.ReadCloser, error)
	// Size is the content size in bytes when known (0: unknown), used to
	// refuse an oversize message before reading anything.
	Size int64
}

// Limits bound a message; zero fields take the defaults.
type Limits struct {
	MaxRecipients int   // To+Cc+Bcc after de-duplication; default 50
	MaxBytes      int64 // the built message; default 25 MiB
}

// Default limits, the same as the configuration's defaults.
const (
	DefaultMaxRecipients       = 50
	DefaultMaxBytes      int64 = 25 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxRecipients <= 0 {
		l.MaxRecipients = DefaultMaxRecipients
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	return l
}

// Built is a message ready to submit or append.
type Built struct {
	// Raw is the whole message with CRLF line endings.
	Raw []byte
	// MessageID without angle brackets.
	MessageID string
	// From is the envelope sender (the From addr-spec).
	From string
	// Recipients are the envelope recipients: To, Cc and Bcc addr-specs,
	// de-duplicated case-insensitively, in that order.
	Recipients []string
	// NeedsSMTPUTF8 is set when an envelope address has a non-ASCII local
	// part (RFC 6531): submit with SMTPUTF8 or not at all.
	NeedsSMTPUTF8 bool
	// Date is the Date header's time.
	Date time.Time
}
