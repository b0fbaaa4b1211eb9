package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/submit"
)

// MailTransport is the Transport over mailmcp's engine: SMTP submission
// with submit.Submit and IMAP through the account pools.
type MailTransport struct {
	Mail *imapconn.Manager
	// ProviderSavesSent reports whether an account's provider files sent
	// mail itself (config SavesSent).
	ProviderSavesSent func(account string) bool
}

var _ Transport = (*MailTransport)(nil)

// Submit implements Transport. commit runs between the message data and
// the final dot (submit.Envelope.BeforeCommit): an attempt
// interrupted by a crash before it is safely resent (the server dropped the
// unfinished transaction), one interrupted after it is in doubt and never
// resent. Errors the engine reports in-process keep their exact meaning:
// submit.ErrOutcomeUnknown (no reply to the final dot) is NoReply, every
// other network failure happened before the dot and is retried.
func (t *MailTransport) Submit(ctx context.Context, account string, env Envelope, raw []byte, commit func() error) (*Submission, error) {
	p, err := t.Mail.Pool(account)
	if err != nil {
		return nil, err
	}
	// A message queued before the user made the account read-only is not
	// sent now: read-only means nothing is written, submission included.
	if a := p.Account(); a.ReadOnly {
		return nil, &fault.Error{Kind: fault.ReadOnly, Op: "submit", Err: fmt.Errorf("submit: account %q is read-only", account),
			Hint: "The user configured this account as read-only; mailmcp will not send from it"}
	}
	journal := func() error {
		if err := commit(); err != nil {
			return fmt.Errorf("outbox: journal the attempt: %w", err)
		}
		return nil
	}
	res, err := submit.Submit(ctx, submitAccount(p.Account()), submit.Envelope{From: env.From, To: env.To, EnvID: env.EnvID, SMTPUTF8: env.SMTPUTF8, BeforeCommit: journal}, raw)
	if res == nil {
		return nil, err
	}
	sub := &Submission{Accepted: res.Accepted, Response: res.Response}
	for _, r := range res.Refused {
		sub.Refused = append(sub.Refused, Refusal{Address: r.Address, Code: r.Code, Enhanced: r.Enhanced, Message: r.Message, Permanent: r.Permanent})
	}
	// Every recipient refused comes with an error too; the per-recipient
	// outcomes say all there is.
	return sub, nil
}

// submitAccount is the submission view of an engine account: its SMTP
// endpoint, TLS configuration and login.
func submitAccount(a *imapconn.Account) *submit.Account {
	sa := &submit.Account{ID: a.ID, Email: a.Email, TLS: a.TLS, DialTimeout: a.DialTimeout,
		Server: submit.Server{Host: a.SMTP.Host, Port: a.SMTP.Port, TLS: a.SMTP.TLS}}
	if l, ok := a.Auth.(submit.Authenticator); ok {
		sa.Auth = l
	}
	return sa
}

// Classify implements Transport.
func (t *MailTransport) Classify(err error) Failure {
	switch {
	case errors.Is(err, submit.ErrOutcomeUnknown):
		return NoReply
	case submit.Permanent(err):
		return Permanent
	}
	return Transient
}

// SavesSent implements Transport.
func (t *MailTransport) SavesSent(account string) bool {
	return t.ProviderSavesSent != nil && t.ProviderSavesSent(account)
}

// SaveSent implements Transport: APPEND to the Sent folder unless a message
// with this Message-ID is already there (a retry after a lost reply).
func (t *MailTransport) SaveSent(ctx context.Context, account, messageID string, raw []byte) error {
	p, err := t.Mail.Pool(account)
	if err != nil {
		return err
	}
	folder, err := p.FolderForRole(ctx, imapconn.RoleSent)
	if err != nil {
		return err
	}
	if messageID != "" {
		page, err := p.Search(ctx, folder, imapconn.Criteria{Header: [][2]string{{"Message-ID", messageID}}}, 1, "")
		if err != nil {
			return err
		}
		if len(page.Messages) > 0 {
			return nil
		}
	}
	_, err = p.Append(ctx, folder, []imap.Flag{imap.FlagSeen}, time.Now(), raw)
	return err
}

// FollowUp implements Transport.
func (t *MailTransport) FollowUp(ctx context.Context, account string, f FollowUp) error {
	p, err := t.Mail.Pool(account)
	if err != nil {
		return err
	}
	ref, err := imapconn.ParseID(f.Ref)
	if err != nil {
		return err
	}
	switch f.Kind {
	case FollowAnswered:
		res, err := p.Flag(ctx, []imapconn.MessageRef{ref}, []string{"answered"}, nil, imapconn.BulkOptions{})
		if err != nil {
			return err
		}
		if res.Failed > 0 || res.Unknown > 0 {
			return fmt.Errorf("flag answered: %s", res.Results[0].Error)
		}
		return nil
	case FollowDeleteDraft:
		_, err := p.ExpungeUID(ctx, ref)
		return err
	}
	return fmt.Errorf("outbox: unknown follow-up %q", f.Kind)
}
