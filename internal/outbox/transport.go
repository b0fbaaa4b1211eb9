package outbox

import "context"

// Envelope is the SMTP envelope of one attempt.
type Envelope struct {
	From string
	To   []string
	// EnvID is the DSN envelope id (RFC 3461 §4.4): the outbox item id.
	EnvID    string
	SMTPUTF8 bool
}

// Refusal is one recipient refused at RCPT TO.
type Refusal struct {
	Address   string
	Code      int
	Enhanced  string
	Message   string
	Permanent bool
}

// Submission is the server's answer to one attempt that reached DATA.
type Submission struct {
	Accepted []string
	Refused  []Refusal
	// Response is the reply to the final dot.
	Response string
}

// Failure classifies an error from Submit.
type Failure int

const (
	// Transient: try again later (network, 4xx).
	Transient Failure = iota
	// Permanent: will never work (5xx); the error text is the server's.
	Permanent
	// NoReply: the connection dropped or timed out without an SMTP reply.
	// Before the final dot it is transient; after it the outcome is unknown.
	NoReply
)

// Transport is what the outbox needs from the mail engine.
type Transport interface {
	// Submit sends raw to env.To. It must call commit immediately before
	// writing the final "." of DATA and abort without sending it when
	// commit returns an error. When every recipient is refused it returns
	// a Submission with no Accepted (and no error).
	Submit(ctx context.Context, account string, env Envelope, raw []byte, commit func() error) (*Submission, error)
	// Classify says whether a Submit error is worth retrying.
	Classify(err error) Failure
	// SavesSent reports whether the account's provider files sent mail itself.
	SavesSent(account string) bool
	// SaveSent appends raw to the account's Sent folder unless a message
	// with messageID is already there (so a retry never files it twice).
	SaveSent(ctx context.Context, account, messageID string, raw []byte) error
	// FollowUp runs an after-send action (flag the original answered,
	// delete the sent draft).
	FollowUp(ctx context.Context, account string, f FollowUp) error
}
