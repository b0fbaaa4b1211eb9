package watch

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// Kind is what happened.
type Kind string

// Event kinds.
const (
	KindMessage  Kind = "message"  // a new message arrived
	KindFlags    Kind = "flags"    // a message's flags changed
	KindExpunged Kind = "expunged" // a message was removed
	KindReset    Kind = "reset"    // UIDVALIDITY changed: every old id is void
)

// Event is one change in a watched folder (see the package doc for JSON).
type Event struct {
	ID          uint64 `json:"id"`
	Kind        Kind   `json:"kind"`
	Account     string `json:"account"`
	Folder      string `json:"folder"`
	UIDValidity uint32 `json:"uid_validity"`
	UID         uint32 `json:"uid,omitempty"`
	// MessageID is the id fetch_message and the other tools take.
	MessageID string `json:"message_id,omitempty"`
	// Time is when the event was appended to the feed.
	Time time.Time `json:"time"`
	// Observed is when the watcher saw the server report the change (the
	// untagged response arriving, or the start of a catch-up).
	Observed time.Time          `json:"observed_at"`
	Envelope *imapconn.Envelope `json:"envelope,omitempty"`
	Snippet  string             `json:"snippet,omitempty"`
	Body     string             `json:"body,omitempty"`
	Flags    []string           `json:"flags,omitempty"`
	// PrevUIDValidity is the UIDVALIDITY before a reset.
	PrevUIDValidity uint32 `json:"previous_uid_validity,omitempty"`

	modseq uint64 // flag events: the change's MODSEQ, for de-duplication
}

// Key names the event in the store: fixed width so keys sort by id.
func eventKey(id uint64) string { return fmt.Sprintf("%020d", id) }

// Seen reports whether a message event's flags include \Seen.
func (e *Event) Seen() bool {
	for _, f := range e.Flags {
		if f == "seen" {
			return true
		}
	}
	return false
}

// From is the first sender's address of a message event ("" otherwise).
func (e *Event) From() (name, addr string) {
	if e.Envelope == nil || len(e.Envelope.From) == 0 {
		return "", ""
	}
	return e.Envelope.From[0].Name, e.Envelope.From[0].Email
}

// Subject of a message event.
func (e *Event) Subject() string {
	if e.Envelope == nil {
		return ""
	}
	return e.Envelope.Subject
}

// ClipBody cuts Body to at most n characters, marking a cut with "…".
func (e *Event) ClipBody(n int) {
	if utf8.RuneCountInString(e.Body) <= n {
		return
	}
	i := 0
	for j := range e.Body {
		if i == n {
			e.Body = e.Body[:j] + "…"
			return
		}
		i++
	}
}

// Filter selects events.
type Filter struct {
	Accounts []string // empty: all
	Folders  []string // empty: all
	Kinds    []Kind   // empty: all
	// From: the sender's address or name contains this (case-insensitive);
	// events without a sender (flags, expunged) never match.
	From string
	// Unseen: only message events whose flags lack \Seen.
	Unseen bool
}
