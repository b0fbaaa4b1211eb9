package popbox

import (
	"context"
	"crypto/tls"

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
	// Login is the account's password login (its auth_mechanism may also
	// say APOP or USER); it reads the password once and keeps it.
	Login *auth.PasswordLogin
}

// Dialer returns the Syncer's Dial for srv: connect, then log in.
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
	mech, err := srv.Login.AuthenticatePOP3(ctx, c)
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return c, mech, nil
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
