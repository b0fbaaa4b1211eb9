package imapconn_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// Every password mechanism logs in on IMAP (implicit TLS and STARTTLS)
// against real Dovecot, with the mechanism that was asked for; without an
// override the strongest offered one (SCRAM-SHA-256) is used; a wrong
// password fails with the server's refusal, for each. SCRAM ends with an
// empty client response, which go-imap beta.8 alone sends as "=" and
// Dovecot refuses (see loginConn). (Submission: internal/submit.)
func TestSASLMechanismsOnDovecot(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	imapMechs := []struct{ override, want string }{
		{"", auth.MechSCRAMSHA256},
		{auth.MechSCRAMSHA256, auth.MechSCRAMSHA256},
		{auth.MechSCRAMSHA1, auth.MechSCRAMSHA1},
		{auth.MechCRAMMD5, auth.MechCRAMMD5},
		{auth.MechPlain, auth.MechPlain},
		{auth.MechLogin, auth.MechLogin},
	}
	for _, m := range imapMechs {
		for _, imapMode := range []string{imapconn.TLSImplicit, imapconn.TLSStartTLS} {
			name := m.override
			if name == "" {
				name = "strongest"
			}
			t.Run(imapMode+"/"+name, func(t *testing.T) {
				a := mechAccount(t, s, u, u.Password, m.override, imapMode)
				p := openPool(t, a)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				if _, err := p.Search(ctx, "INBOX", imapconn.Criteria{}, 1, ""); err != nil {
					t.Fatalf("login with %s: %v%s", m.want, err, s.LogTails())
				}
				if got := a.Auth.(*auth.PasswordLogin).UsedMechanism(); got != m.want {
					t.Fatalf("used %q, want %q", got, m.want)
				}
				bad := openPool(t, mechAccount(t, s, u, "wrong-"+u.Password, m.override, imapMode))
				_, err := bad.Search(ctx, "INBOX", imapconn.Criteria{}, 1, "")
				if fault.KindOf(err) != fault.Auth || !strings.Contains(strings.ToLower(err.Error()), "authentication failed") {
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
	for _, mech := range []string{"DIGEST-MD5", "SCRAM-SHA-256-PLUS"} {
		a := mechAccount(t, s, u, u.Password, mech, imapconn.TLSImplicit)
		_, err := openPool(t, a).Search(ctx, "INBOX", imapconn.Criteria{}, 1, "")
		if fault.KindOf(err) != fault.Unsupported || !strings.Contains(err.Error(), mech) {
			t.Fatalf("IMAP override %s: kind %v, %v", mech, fault.KindOf(err), err)
		}
	}
}

func mechAccount(t *testing.T, s *testrig.Stack, u testrig.User, password, mech, imapMode string) *imapconn.Account {
	imapAddr := s.IMAPSAddr()
	if imapMode == imapconn.TLSStartTLS {
		imapAddr = s.IMAPAddr()
	}
	ih, ip := splitHostPort(t, imapAddr)
	return &imapconn.Account{ID: "rig", Email: u.Email, TLS: s.TLSConfig(),
		IMAP: imapconn.Endpoint{Host: ih, Port: ip, TLS: imapMode},
		Auth: &auth.PasswordLogin{Username: u.Username, Mechanism: mech,
			Source: auth.SecretSource{Command: "printf %s '" + password + "'"}}}
}
