package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailmcp/mailmcp/internal/pop3"
)

// AuthenticatePOP3 logs a POP3 session in and returns the login it used:
// the account's auth_mechanism when set (a SASL name, APOP or USER), else
// the strongest SASL mechanism CAPA lists, else USER/PASS — or APOP on a
// link without TLS whose greeting offers it, which keeps the password off
// the wire. The password is read once and kept, as for IMAP and SMTP, and
// forgotten when the server refuses it.
func (l *PasswordLogin) AuthenticatePOP3(ctx context.Context, c *pop3.Client) (string, error) {
	s, err := l.secret(ctx)
	if err != nil {
		return "", err
	}
	mech, err := l.pop3(ctx, c, s)
	if err != nil {
		l.forget()
		return "", err
	}
	l.used.Store(mech)
	return mech, nil
}

func (l *PasswordLogin) pop3(ctx context.Context, c *pop3.Client, s Secret) (string, error) {
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return "", err
	}
	mech := strings.ToUpper(l.Mechanism)
	switch {
	case mech == "APOP":
		return "APOP", c.APOP(ctx, l.Username, s.Reveal())
	case mech == "USER":
		return "USER", c.Login(ctx, l.Username, s.Reveal())
	case len(caps["SASL"]) > 0 || mech != "":
		m, err := Choose(caps["SASL"], Choice{Override: mech, TLS: c.TLS() != nil})
		if err != nil {
			return "", err
		}
		// Host and port matter only to OAUTHBEARER, never a password login.
		sc, err := NewSASLClient(m, l.Username, s, "", 0, c.TLS())
		if err != nil {
			return "", err
		}
		if err := c.Authenticate(ctx, sc); err != nil {
			return "", fmt.Errorf("pop3 login (%s): %w", m, err)
		}
		return m, VerifySASL(sc)
	case c.TLS() == nil && c.APOPOffered():
		return "APOP", c.APOP(ctx, l.Username, s.Reveal())
	}
	return "USER", c.Login(ctx, l.Username, s.Reveal())
}
