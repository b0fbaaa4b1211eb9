package servers_test

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/internal/testrig/servers"
)

func TestMain(m *testing.M) { testrig.Main(m) }

// TestServersServe checks each server the way a client meets it: log in,
// list folders, submit a message to oneself and find it in INBOX.
func TestServersServe(t *testing.T) {
	for _, name := range append(slices.Clone(servers.All), servers.Profiles...) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := servers.Require(t, name)
			u := s.NewUser(t)
			c := dialIMAP(t, s, u)
			defer c.Close()
			if _, err := c.List("", "*", nil).Collect(); err != nil {
				t.Fatalf("LIST: %v", err)
			}
			subject := fmt.Sprintf("rig check %d", time.Now().UnixNano())
			submit(t, s, u, subject)
			// SELECT once and NOOP after: mox v0.0.15 drops a connection that
			// re-SELECTs its selected mailbox after new mail arrived ("uid
			// already present", imapserver/server.go:1500).
			if _, err := c.Select("INBOX", nil).Wait(); err != nil {
				t.Fatalf("SELECT: %v", err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				if err := c.Noop().Wait(); err != nil {
					t.Fatalf("NOOP: %v", err)
				}
				data, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: subject}}}, nil).Wait()
				if err != nil {
					t.Fatalf("SEARCH: %v", err)
				}
				if len(data.AllUIDs()) == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%q never reached INBOX", subject)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}

func dialIMAP(t *testing.T, s *servers.Server, u servers.User) *imapclient.Client {
	t.Helper()
	c, err := s.DialIMAP(u)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func submit(t *testing.T, s *servers.Server, u servers.User, subject string) {
	t.Helper()
	addr := net.JoinHostPort(s.SMTP.Host, strconv.Itoa(s.SMTP.Port))
	var c *smtp.Client
	var err error
	switch s.SMTP.TLS {
	case servers.TLSImplicit:
		c, err = smtp.DialTLS(addr, s.TLS)
	case servers.TLSStartTLS:
		c, err = smtp.DialStartTLS(addr, s.TLS)
	default:
		c, err = smtp.Dial(addr)
	}
	if err != nil {
		t.Fatalf("smtp dial %s: %v", addr, err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", u.Username, u.Password)); err != nil {
		t.Fatalf("smtp auth: %v", err)
	}
	msg := "From: " + u.Email + "\r\nTo: " + u.Email + "\r\nSubject: " + subject +
		"\r\nDate: " + time.Now().Format(time.RFC1123Z) + "\r\nMessage-ID: <" + strconv.FormatInt(time.Now().UnixNano(), 36) + "@rig.test>\r\n\r\nhello\r\n"
	if err := c.SendMail(u.Email, []string{u.Email}, strings.NewReader(msg)); err != nil {
		t.Fatalf("send: %v", err)
	}
}
