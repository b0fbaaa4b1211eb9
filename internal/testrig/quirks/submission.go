package quirks

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Submission is a submission server for a provider whose SMTP files what
// it sends in Sent itself (Profile.SentSaved): it relays each message to
// the rig's Postfix with the client's own credentials, then, as Gmail
// does, APPENDs it to the rig's Sent unless a message with its Message-ID
// is there already (https://github.com/nodemailer/wildduck/wiki/Gmail-sending).
// Plain text on loopback, AUTH PLAIN.
type Submission struct {
	srv *smtp.Server
	ln  net.Listener

	mu   sync.Mutex
	errs []error // Sent copies that failed (the message itself was sent)
}

// StartSubmission listens on 127.0.0.1 in front of postfix (host:port of
// a STARTTLS submission listener verified with tlsConf), filing Sent
// copies through imapAddr (the rig Dovecot's plain IMAP listener).
func StartSubmission(postfix string, tlsConf *tls.Config, imapAddr string) (*Submission, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("quirks submission: listen: %w", err)
	}
	sub := &Submission{ln: ln}
	s := smtp.NewServer(&subBackend{sub: sub, postfix: postfix, tls: tlsConf, imap: imapAddr})
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 30*time.Second, 30*time.Second
	s.MaxMessageBytes = 50 << 20
	sub.srv = s
	go func() { _ = s.Serve(ln) }()
	return sub, nil
}

// Addr is the submission server's host:port.
func (sub *Submission) Addr() string { return sub.ln.Addr().String() }

// Close stops the server.
func (sub *Submission) Close() error { return sub.srv.Close() }

// Errors are the Sent copies that could not be filed.
func (sub *Submission) Errors() []error {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return append([]error(nil), sub.errs...)
}

type subBackend struct {
	sub     *Submission
	postfix string
	tls     *tls.Config
	imap    string
}

func (b *subBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &subSession{b: b}, nil }

type subSession struct {
	b          *subBackend
	c          *smtp.Client
	user, pass string
}

func (s *subSession) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth logs in to Postfix with the client's credentials, so a wrong
// password fails here as it would at the provider.
func (s *subSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		c, err := smtp.DialStartTLS(s.b.postfix, s.b.tls)
		if err != nil {
			return fmt.Errorf("relay: %w", err)
		}
		if err := c.Auth(sasl.NewPlainClient("", user, pass)); err != nil {
			c.Close()
			return err
		}
		s.c, s.user, s.pass = c, user, pass
		return nil
	}), nil
}

func (s *subSession) Mail(from string, opts *smtp.MailOptions) error {
	if s.c == nil {
		return smtp.ErrAuthRequired
	}
	return s.c.Mail(from, nil)
}

func (s *subSession) Rcpt(to string, _ *smtp.RcptOptions) error { return s.c.Rcpt(to, nil) }

func (s *subSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	w, err := s.c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := s.fileSent(raw); err != nil {
		s.b.sub.mu.Lock()
		s.b.sub.errs = append(s.b.sub.errs, err)
		s.b.sub.mu.Unlock()
	}
	return nil
}

// fileSent APPENDs raw to the rig's Sent unless its Message-ID is there.
func (s *subSession) fileSent(raw []byte) error {
	c, err := imapclient.DialInsecure(s.b.imap, nil)
	if err != nil {
		return fmt.Errorf("file sent copy: %w", err)
	}
	defer c.Close()
	if err := c.Login(s.user, s.pass).Wait(); err != nil {
		return fmt.Errorf("file sent copy: %w", err)
	}
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		if id := msg.Header.Get("Message-ID"); id != "" {
			if _, err := c.Select("Sent", nil).Wait(); err != nil {
				return fmt.Errorf("file sent copy: %w", err)
			}
			found, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}}}, nil).Wait()
			if err != nil {
				return fmt.Errorf("file sent copy: %w", err)
			}
			if len(found.AllUIDs()) > 0 {
				return nil
			}
		}
	}
	cmd := c.Append("Sent", int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}})
	if _, err := cmd.Write(raw); err != nil {
		return fmt.Errorf("file sent copy: %w", err)
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("file sent copy: %w", err)
	}
	if _, err := cmd.Wait(); err != nil {
		return fmt.Errorf("file sent copy: %w", err)
	}
	return nil
}

func (s *subSession) Reset() {
	if s.c != nil {
		_ = s.c.Reset()
	}
}

func (s *subSession) Logout() error {
	if s.c == nil {
		return nil
	}
	err := s.c.Quit()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
