package testrig_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// mechanism builds a SASL client for one OAuth mechanism and returns the
// challenge the server sent (nil if none) after the exchange.
type mechanism struct {
	name string
	new  func(s *testrig.Stack, user, token string, port int) (sasl.Client, func() []byte)
}

var oauthMechanisms = []mechanism{
	{"XOAUTH2", func(_ *testrig.Stack, user, token string, _ int) (sasl.Client, func() []byte) {
		x := &xoauth2{user: user, token: token}
		return x, func() []byte { return x.challenge }
	}},
	{"OAUTHBEARER", func(s *testrig.Stack, user, token string, port int) (sasl.Client, func() []byte) {
		o := newOAuthBearer(s, user, token, port)
		return o, func() []byte { return o.challenge }
	}},
}

// checkErrorChallenge verifies the JSON error challenge of a failed OAuth
// exchange (RFC 7628 §3.2.2; Google's XOAUTH2 sends the same shape).
func checkErrorChallenge(t *testing.T, challenge []byte) {
	t.Helper()
	var e struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(challenge, &e); err != nil || e.Status == "" {
		t.Errorf("error challenge %q is not the expected JSON: %v", challenge, err)
	}
}

func TestOAuthIMAP(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	alice, bob := s.NewUser(t), s.NewUser(t)
	for _, m := range oauthMechanisms {
		t.Run(m.name, func(t *testing.T) {
			tok := s.IssueToken(alice)
			c := dialIMAPS(t, s)
			client, _ := m.new(s, alice.Username, tok, s.IMAPSPort)
			if err := c.Authenticate(client); err != nil {
				t.Fatalf("AUTHENTICATE %s with a valid token: %v%s", m.name, err, s.LogTails())
			}
			if _, err := c.Select("INBOX", nil).Wait(); err != nil {
				t.Fatalf("SELECT after %s: %v", m.name, err)
			}

			// Over STARTTLS as well.
			c2 := dialIMAPStartTLS(t, s)
			client, _ = m.new(s, alice.Username, tok, s.IMAPPort)
			if err := c2.Authenticate(client); err != nil {
				t.Fatalf("AUTHENTICATE %s over STARTTLS: %v", m.name, err)
			}

			revoked := s.IssueToken(alice)
			s.RevokeToken(revoked)
			for _, bad := range []struct{ name, user, token string }{
				{"unknown token", alice.Username, "tok-never-issued"},
				{"revoked token", alice.Username, revoked},
				{"token of another user", bob.Username, tok},
			} {
				c := dialIMAPS(t, s)
				client, challenge := m.new(s, bad.user, bad.token, s.IMAPSPort)
				err := c.Authenticate(client)
				var imapErr *imap.Error
				switch {
				case !errors.As(err, &imapErr):
					t.Errorf("%s: got %v, want an IMAP NO/BAD", bad.name, err)
				case imapErr.Code == imap.ResponseCodeAuthenticationFailed:
				case m.name == "XOAUTH2" && imapErr.Type == imap.StatusResponseTypeBad:
					// go-imap beta.8 encodes the empty answer to the error
					// challenge as "=", which Dovecot rejects as invalid
					// base64 (BAD). TestXOAUTH2FailureWire shows the clean
					// exchange with a real empty line.
				default:
					t.Errorf("%s: got %v, want NO [AUTHENTICATIONFAILED]", bad.name, err)
				}
				checkErrorChallenge(t, challenge())
				c.Close() // a failed AUTHENTICATE leaves go-imap's client in doubt
			}
		})
	}
}

func TestOAuthSubmission(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	alice, bob := s.NewUser(t), s.NewUser(t)
	for _, m := range oauthMechanisms {
		t.Run(m.name, func(t *testing.T) {
			tok := s.IssueToken(alice)
			subject := "sent with " + m.name
			c := dialSubmission(t, s, false)
			client, _ := m.new(s, alice.Username, tok, s.SubmissionPort)
			if err := sendAs(c, client, alice.Email, []string{bob.Email}, message(alice.Email, bob.Email, subject, "token auth")); err != nil {
				t.Fatalf("submission with %s: %v%s", m.name, err, s.LogTails())
			}
			waitForSearch(t, s, bob, subjectIs(subject))

			c2 := dialSubmission(t, s, true)
			client, _ = m.new(s, alice.Username, tok, s.SubmissionsPort)
			if err := c2.Auth(client); err != nil {
				t.Fatalf("submissions AUTH %s: %v", m.name, err)
			}

			s.RevokeToken(tok)
			c3 := dialSubmission(t, s, true)
			client, challenge := m.new(s, alice.Username, tok, s.SubmissionsPort)
			err := c3.Auth(client)
			var se *smtp.SMTPError
			if !errors.As(err, &se) || se.Code != 535 {
				t.Fatalf("AUTH %s with a revoked token: got %v, want 535", m.name, err)
			}
			checkErrorChallenge(t, challenge())
			// Note: go-smtp sends "*" after any AUTH failure, even after the
			// final 535; Postfix takes it as a non-SMTP command and closes
			// the session, so the client must reconnect after a failure.
		})
	}
}

// TestXOAUTH2FailureWire runs a failed XOAUTH2 exchange by hand to pin the
// exact wire behaviour clients must handle: the server answers a bad token
// with a "+ <base64 JSON>" challenge, the client sends an empty line, and
// the server ends with NO [AUTHENTICATIONFAILED].
func TestXOAUTH2FailureWire(t *testing.T) {
	t.Parallel()
	s := testrig.Require(t)
	u := s.NewUser(t)
	conn, err := tlsDial(&net.Dialer{Timeout: 5 * time.Second}, s.IMAPSAddr(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(opTimeout))
	r := bufio.NewReader(conn)
	readLine := func() string {
		t.Helper()
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return strings.TrimRight(line, "\r\n")
	}
	if g := readLine(); !strings.HasPrefix(g, "* OK") {
		t.Fatalf("greeting %q", g)
	}
	ir := base64.StdEncoding.EncodeToString([]byte("user=" + u.Username + "\x01auth=Bearer tok-bogus\x01\x01"))
	fmt.Fprintf(conn, "a1 AUTHENTICATE XOAUTH2 %s\r\n", ir)
	cont := readLine()
	if !strings.HasPrefix(cont, "+ ") {
		t.Fatalf("want a continuation with the error JSON, got %q", cont)
	}
	challenge, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(cont, "+ "))
	if err != nil {
		t.Fatalf("challenge %q: %v", cont, err)
	}
	checkErrorChallenge(t, challenge)
	fmt.Fprintf(conn, "\r\n")
	if res := readLine(); !strings.HasPrefix(res, "a1 NO [AUTHENTICATIONFAILED]") {
		t.Fatalf("after the empty response: got %q, want a1 NO [AUTHENTICATIONFAILED]", res)
	}
	// The connection stays usable: a password login works.
	fmt.Fprintf(conn, "a2 LOGIN %s %s\r\n", u.Username, u.Password)
	for {
		line := readLine()
		if strings.HasPrefix(line, "a2 ") {
			if !strings.HasPrefix(line, "a2 OK") {
				t.Fatalf("LOGIN after the failed XOAUTH2: %q", line)
			}
			break
		}
	}
}
