package auth

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/auth/oauthtest"
)

// smtpBackend is a go-smtp server offering XOAUTH2 and OAUTHBEARER, with
// tokens checked against the OAuth server by introspection.
type smtpBackend struct{ srv *oauthtest.Server }

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &smtpSession{srv: b.srv}, nil
}

type smtpSession struct {
	srv  *oauthtest.Server
	user string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{"XOAUTH2", "OAUTHBEARER"} }
func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	switch mech {
	case "XOAUTH2":
		return &xoauth2Server{srv: s.srv, gotUser: &s.user, reject: smtp.ErrAuthFailed}, nil
	case "OAUTHBEARER":
		return oauthBearerServer(s.srv, nil), nil
	}
	return nil, smtp.ErrAuthUnsupported
}
func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *smtpSession) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }
func (s *smtpSession) Reset()                               {}
func (s *smtpSession) Logout() error                        { return nil }

func startSMTP(t *testing.T, srv *oauthtest.Server) string {
	t.Helper()
	s := smtp.NewServer(&smtpBackend{srv: srv})
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 5*time.Second, 5*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

func smtpAuth(t *testing.T, addr string, c sasl.Client) error {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	cl := smtp.NewClient(conn)
	defer cl.Close()
	if err := cl.Hello("test.local"); err != nil {
		t.Fatal(err)
	}
	return cl.Auth(c)
}

// liveToken logs in through the device flow to get a real access token.
func liveToken(t *testing.T, srv *oauthtest.Server) Secret {
	t.Helper()
	store := testStore(t)
	err := Login(testCtx(t), testConfig(srv, FlowDevice), "acct", store, nil, io.Discard, LoginOptions{PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := store.Load("acct")
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func TestSMTPXOAuth2EndToEnd(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{Username: "alice@example.test"})
	defer srv.Close()
	addr := startSMTP(t, srv)
	tok := liveToken(t, srv)

	if err := smtpAuth(t, addr, NewXOAuth2Client("alice@example.test", tok)); err != nil {
		t.Fatalf("valid token: %v", err)
	}

	bad := NewXOAuth2Client("alice@example.test", "not-a-token")
	err := smtpAuth(t, addr, bad)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 535 {
		t.Fatalf("invalid token: err = %v, want SMTP 535", err)
	}
	if bad.Failure() == nil || bad.Failure().Status != "401" {
		t.Fatalf("error challenge not decoded: %+v", bad.Failure())
	}
	if d := Diagnose(WrapSASLError(err, bad), ProviderGoogle, "alice"); !errors.Is(d, ErrNeedsLogin) {
		t.Errorf("Diagnose(%v) kind = %v, want ErrNeedsLogin", err, d.Kind)
	}
}

func TestSMTPOAuthBearerEndToEnd(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{Username: "alice@example.test"})
	defer srv.Close()
	addr := startSMTP(t, srv)
	tok := liveToken(t, srv)
	host, _, _ := net.SplitHostPort(addr)

	if err := smtpAuth(t, addr, NewOAuthBearerClient("alice@example.test", tok, host, 587)); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	err := smtpAuth(t, addr, NewOAuthBearerClient("alice@example.test", "nope", host, 587))
	if err == nil {
		t.Fatal("invalid token accepted")
	}
}

// A client that answers the error challenge with nil (as a naive XOAUTH2
// implementation would) makes go-smtp report success although the server
// refused: the reason XOAuth2Client answers with an empty, non-nil slice.
func TestSMTPNilResponseWouldHideFailure(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{})
	defer srv.Close()
	addr := startSMTP(t, srv)
	if err := smtpAuth(t, addr, NewXOAuth2Client("u", "bad")); err == nil {
		t.Fatal("XOAuth2Client: failure reported as success")
	}
	if err := smtpAuth(t, addr, naiveXOAuth2{}); err != nil {
		t.Logf("go-smtp now reports the naive client's failure itself (%v); the guard is still harmless", err)
	}
}

type naiveXOAuth2 struct{}

func (naiveXOAuth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=u\x01auth=Bearer bad\x01\x01"), nil
}
func (naiveXOAuth2) Next([]byte) ([]byte, error) { return nil, nil }
