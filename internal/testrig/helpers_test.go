package testrig_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

func TestMain(m *testing.M) { testrig.Main(m) }

// opTimeout bounds every client connection of a test: go-imap has no
// per-command timeout, so a watchdog closes the connection instead.
const opTimeout = 20 * time.Second

// deliveryWait bounds how long a test polls for a message to arrive.
const deliveryWait = 10 * time.Second

// watch closes c after opTimeout (or at the end of the test), so no command
// can block a test forever.
func watch(t testing.TB, close func() error) {
	timer := time.AfterFunc(opTimeout, func() { _ = close() })
	t.Cleanup(func() {
		timer.Stop()
		_ = close()
	})
}

func imapOptions(s *testrig.Stack) *imapclient.Options {
	return &imapclient.Options{
		TLSConfig: s.TLSConfig(),
		Dialer:    &net.Dialer{Timeout: 5 * time.Second},
	}
}

// dialIMAPS connects with implicit TLS, verifying the server against the
// test CA.
func dialIMAPS(t testing.TB, s *testrig.Stack) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialTLS(s.IMAPSAddr(), imapOptions(s))
	if err != nil {
		t.Fatalf("dial IMAPS: %v", err)
	}
	watch(t, c.Close)
	return c
}

// dialIMAPStartTLS connects in plain text and upgrades with STARTTLS.
func dialIMAPStartTLS(t testing.TB, s *testrig.Stack) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialStartTLS(s.IMAPAddr(), imapOptions(s))
	if err != nil {
		t.Fatalf("dial IMAP STARTTLS: %v", err)
	}
	watch(t, c.Close)
	return c
}

func loginIMAP(t testing.TB, s *testrig.Stack, u testrig.User) *imapclient.Client {
	t.Helper()
	c := dialIMAPS(t, s)
	if err := c.Login(u.Username, u.Password).Wait(); err != nil {
		t.Fatalf("IMAP LOGIN %s: %v", u.Username, err)
	}
	return c
}

// dialSubmission connects to submission (STARTTLS) or submissions
// (implicit TLS), verifying the certificate against the test CA.
func dialSubmission(t testing.TB, s *testrig.Stack, implicitTLS bool) *smtp.Client {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	var (
		c   *smtp.Client
		err error
	)
	if implicitTLS {
		conn, derr := tlsDial(&d, s.SubmissionsAddr(), s)
		if derr != nil {
			t.Fatalf("dial submissions: %v", derr)
		}
		c = smtp.NewClient(conn)
	} else {
		conn, derr := d.Dial("tcp", s.SubmissionAddr())
		if derr != nil {
			t.Fatalf("dial submission: %v", derr)
		}
		c, err = smtp.NewClientStartTLS(conn, s.TLSConfig())
		if err != nil {
			t.Fatalf("submission STARTTLS: %v", err)
		}
	}
	c.CommandTimeout = opTimeout
	c.SubmissionTimeout = opTimeout
	watch(t, c.Close)
	if err := c.Hello("client.localhost"); err != nil {
		t.Fatalf("EHLO: %v", err)
	}
	return c
}

// sendAs authenticates with auth on an open submission client and sends msg.
func sendAs(c *smtp.Client, auth sasl.Client, from string, to []string, msg []byte) error {
	if err := c.Auth(auth); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	return c.SendMail(from, to, bytes.NewReader(msg))
}

func message(from, to, subject string, body string) []byte {
	return []byte("From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject +
		"\r\nDate: " + time.Now().Format(time.RFC1123Z) +
		"\r\nMessage-ID: <" + fmt.Sprint(time.Now().UnixNano()) + "@client.localhost>" +
		"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
}

// waitForSearch polls u's INBOX until criteria match at least one message
// and returns the matching UIDs. It fails the test after deliveryWait.
func waitForSearch(t testing.TB, s *testrig.Stack, u testrig.User, criteria *imap.SearchCriteria) []imap.UID {
	t.Helper()
	c := loginIMAP(t, s, u)
	defer c.Close()
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatalf("SELECT INBOX: %v", err)
	}
	deadline := time.Now().Add(deliveryWait)
	for {
		data, err := c.UIDSearch(criteria, nil).Wait()
		if err != nil {
			t.Fatalf("UID SEARCH: %v", err)
		}
		if uids := data.AllUIDs(); len(uids) > 0 {
			return uids
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message matching %+v in %s's INBOX after %v%s", criteria, u.Email, deliveryWait, s.LogTails())
		}
		time.Sleep(20 * time.Millisecond)
		if err := c.Noop().Wait(); err != nil {
			t.Fatalf("NOOP: %v", err)
		}
	}
}

func subjectIs(subject string) *imap.SearchCriteria {
	return &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: subject}}}
}

// inboxCount returns the number of messages in u's INBOX via STATUS.
func inboxCount(t testing.TB, s *testrig.Stack, u testrig.User) uint32 {
	t.Helper()
	c := loginIMAP(t, s, u)
	defer c.Close()
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatalf("STATUS INBOX: %v", err)
	}
	return *st.NumMessages
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

// xoauth2 is a test-only SASL XOAUTH2 client (go-sasl has none). On the
// server's JSON error challenge it answers an empty (non-nil) response, as
// the mechanism requires, so the server can finish with a failure.
type xoauth2 struct {
	user, token string
	challenge   []byte
}

func (x *xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

func (x *xoauth2) Next(challenge []byte) ([]byte, error) {
	x.challenge = challenge
	return []byte{}, nil
}

// oauthBearer wraps go-sasl's OAUTHBEARER client: go-sasl returns an error
// on the error challenge, which aborts the exchange; RFC 7628 §3.2.3 wants
// the client to answer with a single %x01 so the server completes it.
type oauthBearer struct {
	sasl.Client
	challenge []byte
}

func newOAuthBearer(s *testrig.Stack, user, token string, port int) *oauthBearer {
	return &oauthBearer{Client: sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{
		Username: user, Token: token, Host: s.Host, Port: port,
	})}
}

func (o *oauthBearer) Next(challenge []byte) ([]byte, error) {
	o.challenge = challenge
	return []byte{0x01}, nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// tlsDial dials addr with implicit TLS, trusting the stack's CA.
func tlsDial(d *net.Dialer, addr string, s *testrig.Stack) (net.Conn, error) {
	return tls.DialWithDialer(d, "tcp", addr, s.TLSConfig())
}
