package submit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/submit"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// Every password mechanism logs in on submission (STARTTLS and implicit
// TLS) against real Postfix (which asks Dovecot's auth), with the mechanism
// that was asked for; without an override the strongest offered one
// (SCRAM-SHA-256) is used; a wrong password fails with the server's
// refusal, for each.
func TestSASLMechanismsOnPostfix(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	mechs := []struct{ override, want string }{
		{"", auth.MechSCRAMSHA256},
		{auth.MechSCRAMSHA256, auth.MechSCRAMSHA256},
		{auth.MechSCRAMSHA1, auth.MechSCRAMSHA1},
		{auth.MechCRAMMD5, auth.MechCRAMMD5},
		{auth.MechPlain, auth.MechPlain},
		{auth.MechLogin, auth.MechLogin},
	}
	for _, m := range mechs {
		for _, sm := range []struct{ addr, mode string }{{s.SubmissionAddr(), submit.TLSStartTLS}, {s.SubmissionsAddr(), submit.TLSImplicit}} {
			t.Run(sm.mode+"/"+m.want, func(t *testing.T) {
				a := mechAccount(t, s, u, u.Password, m.override, sm.addr, sm.mode)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				subject := "sasl " + sm.mode + " " + m.want
				raw := []byte("From: " + u.Email + "\r\nTo: " + u.Email + "\r\nSubject: " + subject + "\r\nMessage-ID: <" +
					strings.ReplaceAll(subject, " ", ".") + "@x.example>\r\n\r\nhi\r\n")
				if _, err := submit.Submit(ctx, a, submit.Envelope{From: u.Email, To: []string{u.Email}}, raw); err != nil {
					t.Fatalf("submit with %s: %v%s", m.want, err, s.LogTails())
				}
				if got := a.Auth.(*auth.PasswordLogin).UsedMechanism(); got != m.want {
					t.Fatalf("used %q, want %q", got, m.want)
				}
				waitFor(t, rigReader(t, s, u), "INBOX", subject)
				bad := mechAccount(t, s, u, "wrong-"+u.Password, m.override, sm.addr, sm.mode)
				_, err := submit.Submit(ctx, bad, submit.Envelope{From: u.Email, To: []string{u.Email}}, raw)
				if fault.KindOf(err) != fault.Auth || !strings.Contains(err.Error(), "535") {
					t.Fatalf("wrong password with %s: kind %v, %v", m.want, fault.KindOf(err), err)
				}
			})
		}
	}
}

// An auth_mechanism the server does not offer is refused before any
// secret is sent, with the server's list in the error.
func TestSASLOverrideNotOffered(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a := mechAccount(t, s, u, u.Password, "SCRAM-SHA-512", s.SubmissionAddr(), submit.TLSStartTLS)
	_, err := submit.Submit(ctx, a, submit.Envelope{From: u.Email, To: []string{u.Email}}, []byte("Subject: x\r\n\r\nx\r\n"))
	if fault.KindOf(err) != fault.Unsupported || !strings.Contains(err.Error(), "SCRAM-SHA-256") {
		t.Fatalf("SMTP override not offered: kind %v, %v", fault.KindOf(err), err)
	}
}

func mechAccount(t *testing.T, s *testrig.Stack, u testrig.User, password, mech, smtpAddr, smtpMode string) *submit.Account {
	sh, sp := splitHostPort(t, smtpAddr)
	return &submit.Account{ID: "rig", Email: u.Email, TLS: s.TLSConfig(),
		Server: submit.Server{Host: sh, Port: sp, TLS: smtpMode},
		Auth: &auth.PasswordLogin{Username: u.Username, Mechanism: mech,
			Source: auth.SecretSource{Command: "printf %s '" + password + "'"}}}
}
