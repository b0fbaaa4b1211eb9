package testrig

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-smtp"
)

// deliverTimeout bounds a delivery when ctx has no deadline.
const deliverTimeout = 30 * time.Second

// Deliver hands msg to Postfix on the MX port (no AUTH), like a remote MTA
// would. Only addresses in Domain are accepted there; Postfix then delivers
// through Dovecot's LMTP. Errors from the server are *smtp.SMTPError.
func (s *Stack) Deliver(ctx context.Context, from string, to []string, msg []byte) error {
	if err := sendSMTP(ctx, "tcp", s.MXAddr(), false, from, to, msg); err != nil {
		return fmt.Errorf("deliver via mx: %w", err)
	}
	return nil
}

// DeliverLMTP stores msg straight into the recipients' INBOXes through
// Dovecot's LMTP socket, bypassing Postfix (faster, synchronous: the message
// is in the mailbox when it returns). Per-recipient failures come back as
// smtp.LMTPDataError (e.g. 552 5.2.2 over quota).
func (s *Stack) DeliverLMTP(ctx context.Context, from string, to []string, msg []byte) error {
	if err := sendSMTP(ctx, "unix", s.LMTPSocket(), true, from, to, msg); err != nil {
		return fmt.Errorf("deliver via lmtp: %w", err)
	}
	return nil
}

// sendSMTP runs one SMTP or LMTP transaction bounded by ctx (default 30 s).
func sendSMTP(ctx context.Context, network, addr string, lmtp bool, from string, to []string, msg []byte) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, deliverTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return err
	}
	// go-smtp sets its own per-command deadlines; closing the connection is
	// what makes a cancelled ctx interrupt it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	var c *smtp.Client
	if lmtp {
		c = smtp.NewClientLMTP(conn)
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	c.CommandTimeout = time.Until(deadline)
	c.SubmissionTimeout = time.Until(deadline)
	if err := c.Hello("testrig.localhost"); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	if err := c.SendMail(from, to, bytes.NewReader(msg)); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("quit: %w", err)
	}
	return nil
}
