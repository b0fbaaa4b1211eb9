package popbox

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/pop3"
)

// Server is where and how to reach the POP3 server, and who logs in.
type Server struct {
	Addr      string // host:port
	TLS       pop3.TLSMode
	TLSConfig *tls.Config
	Username  string
	Password  auth.SecretSource
	// Mechanism is the account's auth_mechanism (empty: the strongest
	// offered; USER/PASS, or APOP without TLS, when no SASL is offered).
	Mechanism string
}

// Dialer returns the Syncer's Dial for srv: connect, then log in with
// the strongest mechanism the server offers.
func Dialer(srv Server) func(ctx context.Context) (*pop3.Client, error) {
	return func(ctx context.Context) (*pop3.Client, error) {
		c, _, err := Connect(ctx, srv)
		return c, err
	}
}

// Connect opens a logged-in session and says which login it used (a SASL
// mechanism name, APOP or USER), for doctor.
func Connect(ctx context.Context, srv Server) (*pop3.Client, string, error) {
	c, err := pop3.Dial(ctx, srv.Addr, pop3.Options{TLS: srv.TLS, TLSConfig: srv.TLSConfig})
	if err != nil {
		return nil, "", err
	}
	mech, err := login(ctx, c, srv)
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return c, mech, nil
}

func login(ctx context.Context, c *pop3.Client, srv Server) (string, error) {
	pw, _, err := srv.Password.Resolve(ctx)
	if err != nil {
		return "", err
	}
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return "", err
	}
	mech := strings.ToUpper(srv.Mechanism)
	switch {
	case mech == "APOP":
		return "APOP", c.APOP(ctx, srv.Username, pw.Reveal())
	case mech == "USER":
		return "USER", c.Login(ctx, srv.Username, pw.Reveal())
	case len(caps["SASL"]) > 0 || mech != "":
		m, err := auth.Choose(caps["SASL"], auth.Choice{Override: mech, TLS: c.TLS() != nil})
		if err != nil {
			return "", err
		}
		host, port := splitHostPort(srv.Addr)
		sc, err := auth.NewSASLClient(m, srv.Username, pw, host, port, c.TLS())
		if err != nil {
			return "", err
		}
		if err := c.Authenticate(ctx, sc); err != nil {
			return "", fmt.Errorf("pop3 login (%s): %w", m, err)
		}
		return m, auth.VerifySASL(sc)
	case c.TLS() == nil && c.APOPOffered():
		// No TLS (loopback) and no SASL: APOP keeps the password off the wire.
		return "APOP", c.APOP(ctx, srv.Username, pw.Reveal())
	}
	return "USER", c.Login(ctx, srv.Username, pw.Reveal())
}

func splitHostPort(addr string) (string, int) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return addr, 0
	}
	var port int
	fmt.Sscanf(addr[i+1:], "%d", &port)
	return strings.Trim(addr[:i], "[]"), port
}

// SMTPAuthenticator logs a submission session in (auth.PasswordLogin).
type SMTPAuthenticator interface {
	AuthenticateSMTP(ctx context.Context, c *smtp.Client, offered []string, host string, port int) error
}

// Login is the engine's authenticator for a POP3 account: its IMAP
// connections go to the box, its SMTP submissions to the real server.
type Login struct {
	box  *Box
	smtp SMTPAuthenticator
}

// Login returns the authenticator for the box, sending through smtp.
func (b *Box) Login(smtp SMTPAuthenticator) *Login { return &Login{box: b, smtp: smtp} }

// AuthenticateIMAP logs in to the box.
func (l *Login) AuthenticateIMAP(_ context.Context, c *imapclient.Client) error {
	return c.Login(l.box.Username, l.box.Password).Wait()
}

// AuthenticateSMTP logs in to the account's submission server.
func (l *Login) AuthenticateSMTP(ctx context.Context, c *smtp.Client, offered []string, host string, port int) error {
	return l.smtp.AuthenticateSMTP(ctx, c, offered, host, port)
}
