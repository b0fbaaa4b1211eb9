package submit_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/compose"
	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/submit"
	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/parse"
)

// rigAccount is u's submission account on the rig at smtpAddr.
func rigAccount(t *testing.T, s *testrig.Stack, u testrig.User, smtpAddr, mode string) *submit.Account {
	sh, sp := splitHostPort(t, smtpAddr)
	return &submit.Account{ID: "rig", Email: u.Email, TLS: s.TLSConfig(),
		Server: submit.Server{Host: sh, Port: sp, TLS: mode},
		Auth:   &auth.PasswordLogin{Username: u.Username, Source: auth.SecretSource{Command: "printf %s '" + u.Password + "'"}}}
}

// rigReader is an IMAPS pool on u's mailbox, to see what was delivered.
func rigReader(t *testing.T, s *testrig.Stack, u testrig.User) *imapconn.Pool {
	ih, ip := splitHostPort(t, s.IMAPSAddr())
	a := &imapconn.Account{ID: "rig", Email: u.Email, TLS: s.TLSConfig(),
		IMAP: imapconn.Endpoint{Host: ih, Port: ip, TLS: imapconn.TLSImplicit},
		Auth: &auth.PasswordLogin{Username: u.Username, Source: auth.SecretSource{Command: "printf %s '" + u.Password + "'"}}}
	p := imapconn.NewPool(a, slog.New(slog.DiscardHandler))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return p
}

// waitFor polls folder until a message with subject arrives.
func waitFor(t *testing.T, p *imapconn.Pool, folder, subject string) imapconn.Envelope {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		page, err := p.Search(ctx, folder, imapconn.Criteria{Subject: subject}, 5, "")
		cancel()
		if err == nil && len(page.Messages) > 0 {
			return page.Messages[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q never reached %s (last error %v)", subject, folder, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Submission through real Postfix, on 587 with STARTTLS and on 465 with
// implicit TLS: the copy Dovecot delivers threads and decodes correctly.
func TestSubmitThroughPostfix(t *testing.T) {
	s := testrig.Require(t)
	for _, tc := range []struct{ name, addr, mode string }{
		{"starttls", s.SubmissionAddr(), submit.TLSStartTLS},
		{"implicit", s.SubmissionsAddr(), submit.TLSImplicit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alice, bob := s.NewUser(t), s.NewUser(t)
			subject := "Grüße über " + tc.name
			b, err := compose.Build(&compose.Message{
				From:       compose.Address{Name: "Alice Ä", Email: alice.Email},
				To:         []compose.Address{{Name: "Bob", Email: bob.Email}},
				Bcc:        []compose.Address{{Email: alice.Email}},
				Subject:    subject,
				Text:       "Hallo Bob,\nbis morgen.\n",
				InReplyTo:  "root2@example.org",
				References: []string{"root1@example.org", "root2@example.org"},
			}, compose.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := submit.Submit(ctx, rigAccount(t, s, alice, tc.addr, tc.mode),
				submit.Envelope{From: b.From, To: b.Recipients, EnvID: "env-" + tc.name, SMTPUTF8: b.NeedsSMTPUTF8}, b.Raw)
			if err != nil {
				t.Fatalf("submit: %v%s", err, s.LogTails())
			}
			if len(res.Accepted) != 2 || len(res.Refused) != 0 || !res.DSN || !strings.Contains(res.Response, "queued") {
				t.Errorf("result = %+v", res)
			}
			bp := rigReader(t, s, bob)
			env := waitFor(t, bp, "INBOX", subject)
			ref, _ := imapconn.ParseID(env.ID)
			var m *parse.Message
			if err := bp.FetchRaw(ctx, ref, false, func(_ imapconn.MessageMeta, r io.Reader) error {
				m, err = parse.Parse(r, parse.ParseOptions{})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if m.Subject != subject || m.MessageID != "<"+b.MessageID+">" || m.InReplyTo != "<root2@example.org>" ||
				strings.Join(m.References, " ") != "<root1@example.org> <root2@example.org>" {
				t.Errorf("delivered: subject %q id %q irt %q refs %v", m.Subject, m.MessageID, m.InReplyTo, m.References)
			}
			if len(m.From) != 1 || m.From[0].Name != "Alice Ä" || len(m.Bcc) != 0 || !strings.Contains(m.Text, "bis morgen.") {
				t.Errorf("delivered: from %v bcc %v text %q", m.From, m.Bcc, m.Text)
			}
			// The Bcc recipient got it too, without a Bcc header.
			waitFor(t, rigReader(t, s, alice), "INBOX", subject)
		})
	}
}

// Mail to a domain Postfix cannot reach is accepted (and bounced later);
// a wrong password is a permanent auth failure.
func TestSubmitPostfixOutsideAndBadLogin(t *testing.T) {
	s := testrig.Require(t)
	alice := s.NewUser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := s.AddressOutside()
	raw := []byte("From: " + alice.Email + "\r\nTo: " + out + "\r\nSubject: away\r\nMessage-ID: <away@x.example>\r\n\r\nhi\r\n")
	res, err := submit.Submit(ctx, rigAccount(t, s, alice, s.SubmissionAddr(), submit.TLSStartTLS),
		submit.Envelope{From: alice.Email, To: []string{out}, EnvID: "away-1"}, raw)
	if err != nil || len(res.Accepted) != 1 || res.Accepted[0] != out {
		t.Fatalf("submit to %s: %+v, %v", out, res, err)
	}

	bad := rigAccount(t, s, alice, s.SubmissionsAddr(), submit.TLSImplicit)
	bad.Auth = &auth.PasswordLogin{Username: alice.Username, Source: auth.SecretSource{Command: "printf wrong-password"}}
	_, err = submit.Submit(ctx, bad, submit.Envelope{From: alice.Email, To: []string{out}}, raw)
	if fault.KindOf(err) != fault.Auth || !submit.Permanent(err) || strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("bad login: %v", err)
	}
}
