package doctor

import (
	"context"
	"fmt"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/pop3"
	"github.com/mailmcp/mailmcp/internal/popbox"
)

// pop3 checks a POP3 account's server: connect, TLS, login (naming the
// mechanism used) and the mailbox size. Nothing is downloaded or deleted.
func (r *report) pop3(ctx context.Context, a *config.Account, p string, timeout time.Duration, credOK bool, wr Wiring) {
	name := p + "pop3"
	tlsCfg, err := imapconn.TLSConfig(a.POP3.Host, a.CAFile)
	if err != nil {
		r.fail(name, err.Error(), "fix ca_file")
		return
	}
	if !credOK {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	c, mech, err := popbox.Connect(ctx, popbox.Server{Addr: a.POP3.Address(), TLS: pop3.TLSMode(a.POP3.TLS), TLSConfig: tlsCfg,
		Login: &auth.PasswordLogin{Username: a.Login(), Source: wr.Password(a), Mechanism: a.AuthMechanism}})
	if err != nil {
		r.fail(name+" login", err.Error(), "check pop3.host/port/tls, the username and the password (many providers need POP3 enabled in their settings, and an app password)")
		return
	}
	defer c.Close()
	n, size, err := c.Stat(ctx)
	if err != nil {
		r.fail(name+" stat", err.Error(), "")
		return
	}
	r.ok(name+" login", fmt.Sprintf("%s logged in with %s in %s; %d messages (%d bytes) on the server", a.POP3.Address(), mech, millis(time.Since(start)), n, size))
	c.Quit(ctx)
}
