package demo

import (
	"bytes"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// backend accepts authenticated submission and delivers mail for the demo
// domain into the demo store. Other domains are refused: nothing leaves.
type backend struct{ s *Server }

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s      *Server
	authed bool
	from   string
	rcpts  []string
}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if (username != Email && username != "dana") || password != Password {
			return smtp.ErrAuthFailed
		}
		se.authed = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if !se.authed {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !strings.HasSuffix(strings.ToLower(to), "@"+Domain) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
			Message: fmt.Sprintf("the demo server only delivers to @%s addresses; %s was not sent anywhere", Domain, to)}
	}
	se.rcpts = append(se.rcpts, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	// Every demo address lands in Dana's INBOX: one mailbox is enough to show
	// delivery, and IDLE watchers see it arrive.
	hdr := fmt.Sprintf("Return-Path: <%s>\r\nReceived: from localhost by %s (mailmcp demo); %s\r\n",
		se.from, Domain, time.Now().Format(time.RFC1123Z))
	if err := se.s.Deliver("INBOX", append([]byte(hdr), raw...), nil, time.Now()); err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	se.s.log.Info("delivered", "rcpts", len(se.rcpts), "bytes", len(raw))
	return nil
}

func (se *session) Reset()        { se.from, se.rcpts = "", nil }
func (se *session) Logout() error { return nil }

// messageDate reads the Date header so seeded mail keeps its own time.
func messageDate(raw []byte) time.Time {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return time.Time{}
	}
	t, err := m.Header.Date()
	if err != nil {
		return time.Time{}
	}
	return t
}
