package outbox

import "time"

// State of an item.
type State string

const (
	StateQueued     State = "queued"     // waiting for its first or next attempt
	StateSubmitting State = "submitting" // an attempt is running
	StateSent       State = "sent"       // accepted for at least one recipient, none pending
	StateFailed     State = "failed"     // refused, given up, or bounced for every recipient; nothing more will be tried
	StateCancelled  State = "cancelled"  // cancelled before it was sent
	StateInDoubt    State = "in_doubt"   // an attempt died after the final dot; see the package doc
)

// Terminal reports whether nothing more will happen to the submission.
func (s State) Terminal() bool {
	return s == StateSent || s == StateFailed || s == StateCancelled || s == StateInDoubt
}

// Phase of a running attempt.
type Phase string

const (
	PhaseNone       Phase = ""
	PhaseConnecting Phase = "before_commit" // no final dot sent yet: safe to retry
	PhaseCommitted  Phase = "committed"     // final dot may be on the wire
)

// Recipient outcome states.
const (
	RcptPending  = "pending"
	RcptAccepted = "accepted"
	RcptRefused  = "refused"
)

// Recipient is one envelope recipient and what became of it.
type Recipient struct {
	Address string `json:"address"`
	Status  string `json:"status"` // pending, accepted, refused
	// Code, Enhanced and Message are the server's reply to RCPT TO (or to
	// DATA) for this recipient.
	Code      int    `json:"code,omitempty"`
	Enhanced  string `json:"enhanced,omitempty"`
	Message   string `json:"message,omitempty"`
	Permanent bool   `json:"permanent,omitempty"`
	// Bounce is set when a delivery-status report came back later.
	Bounce *Bounce `json:"bounce,omitempty"`
}

// Bounce is a later delivery-status report (RFC 3464) for one recipient.
type Bounce struct {
	Action     string    `json:"action"` // failed, delayed, delivered, relayed, expanded
	Status     string    `json:"status,omitempty"`
	Diagnostic string    `json:"diagnostic,omitempty"`
	ReportID   string    `json:"report_id,omitempty"` // message id of the report in the mailbox
	At         time.Time `json:"at"`
}

// Sent-copy states.
const (
	CopyPending = "pending" // not yet saved (retried by the worker)
	CopySaved   = "saved"
	CopyFailed  = "failed"          // gave up; the send itself is unaffected
	CopyServer  = "saved_by_server" // the provider files sent mail itself
	CopyNone    = ""                // not sent yet
)

// SentCopy is the outcome of filing the message in the Sent folder.
type SentCopy struct {
	Status   string `json:"status,omitempty"`
	Error    string `json:"error,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
}

// FollowUp kinds.
const (
	FollowAnswered    = "flag_answered" // set \Answered on the message replied to
	FollowDeleteDraft = "delete_draft"  // remove the draft that was sent
)

// FollowUp is an action run once the message has been accepted.
type FollowUp struct {
	Kind  string `json:"kind"`
	Ref   string `json:"ref"` // message id (m1.…)
	Done  bool   `json:"done,omitempty"`
	Error string `json:"error,omitempty"`
}

// Item is one journaled send.
type Item struct {
	ID             string `json:"id"`
	Account        string `json:"account"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	MessageID      string `json:"message_id"`
	Subject        string `json:"subject,omitempty"`
	// Digest is the request's content digest ("" for items journaled
	// before digests were kept).
	Digest   string `json:"digest,omitempty"`
	From     string `json:"from"`
	SMTPUTF8 bool   `json:"smtputf8,omitempty"`
	// RawFile is the message file's name in the outbox directory; Size its length.
	RawFile string `json:"raw_file"`
	Size    int64  `json:"size"`

	State       State       `json:"state"`
	Phase       Phase       `json:"phase,omitempty"`
	Owner       string      `json:"owner,omitempty"`
	Attempts    int         `json:"attempts"`
	LastError   string      `json:"last_error,omitempty"`
	Response    string      `json:"response,omitempty"` // the server's reply to the final dot
	Recipients  []Recipient `json:"recipients"`
	SentCopy    SentCopy    `json:"sent_copy"`
	FollowUps   []FollowUp  `json:"follow_ups,omitempty"`
	Created     time.Time   `json:"created"`
	Updated     time.Time   `json:"updated"`
	NextAttempt time.Time   `json:"next_attempt,omitzero"`
	SentAt      time.Time   `json:"sent_at,omitzero"`
}

// Pending returns the recipients not yet accepted or refused.
func (it *Item) Pending() []string {
	var out []string
	for _, r := range it.Recipients {
		if r.Status == RcptPending {
			out = append(out, r.Address)
		}
	}
	return out
}

// Counts returns how many recipients were accepted and refused.
func (it *Item) Counts() (accepted, refused int) {
	for _, r := range it.Recipients {
		switch r.Status {
		case RcptAccepted:
			accepted++
		case RcptRefused:
			refused++
		}
	}
	return
}

// Partial reports a send accepted for some recipients and refused for others.
func (it *Item) Partial() bool {
	a, r := it.Counts()
	return a > 0 && r > 0
}

// postWork reports whether follow-up work remains after acceptance. An
// item that failed later (every recipient bounced) was still submitted, so
// its Sent copy and follow-ups are completed too.
func (it *Item) postWork() bool {
	if it.SentAt.IsZero() || !it.State.Terminal() {
		return false
	}
	if it.SentCopy.Status == CopyPending {
		return true
	}
	for _, f := range it.FollowUps {
		if !f.Done && f.Error == "" {
			return true
		}
	}
	return false
}
