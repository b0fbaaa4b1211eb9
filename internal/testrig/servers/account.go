package servers

import (
	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// Account is the IMAP account "t" of u on s, as a test's pool or watcher
// dials it: s's endpoint and TLS settings, u's password login.
func (s *Server) Account(u User) *imapconn.Account {
	return &imapconn.Account{ID: "t", Email: u.Email, TLS: s.TLS,
		IMAP: imapconn.Endpoint{Host: s.IMAP.Host, Port: s.IMAP.Port, TLS: s.IMAP.TLS},
		Auth: &imapconn.PasswordLogin{Username: u.Username, Source: auth.SecretSource{Command: "printf %s '" + u.Password + "'"}}}
}
