package servers

import (
	"net"
	"strconv"
	"testing"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// dovecot presents testrig's Dovecot + Postfix stack as a Server: IMAPS
// (implicit TLS, the rig's CA) and submission with STARTTLS. Dovecot 2.3
// has every extension mailmcp uses (UIDPLUS, MOVE, SPECIAL-USE, CONDSTORE,
// ESEARCH, SORT, THREAD, NAMESPACE with an empty prefix and "." or "/").
func dovecot(tb testing.TB) *Server {
	tb.Helper()
	s := testrig.Require(tb)
	ep := func(addr, mode string) Endpoint {
		h, p, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(p)
		return Endpoint{Host: h, Port: n, TLS: mode}
	}
	return &Server{
		Name: Dovecot, Version: "2.3 (Debian)",
		IMAP: ep(s.IMAPSAddr(), TLSImplicit),
		SMTP: ep(s.SubmissionAddr(), TLSStartTLS),
		TLS:  s.TLSConfig(),
		newUser: func(hint string) (User, error) {
			u, err := s.AddUser(hint, "")
			return User(u), err
		},
	}
}
