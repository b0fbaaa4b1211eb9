package servers

import (
	"fmt"
	"net"
	"strconv"

	"github.com/emersion/go-imap/v2/imapclient"
)

// DialIMAP opens a raw IMAP session as u, for tests that check what the
// server itself holds beside what mailmcp reports.
func (s *Server) DialIMAP(u User) (*imapclient.Client, error) {
	addr := net.JoinHostPort(s.IMAP.Host, strconv.Itoa(s.IMAP.Port))
	var c *imapclient.Client
	var err error
	switch s.IMAP.TLS {
	case TLSImplicit:
		c, err = imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: s.TLS})
	case TLSStartTLS:
		c, err = imapclient.DialStartTLS(addr, &imapclient.Options{TLSConfig: s.TLS})
	default:
		c, err = imapclient.DialInsecure(addr, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: dial %s: %w", s.Name, addr, err)
	}
	if err := c.Login(u.Username, u.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("%s: login %s: %w", s.Name, u.Username, err)
	}
	return c, nil
}
