package auth

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"

	"github.com/mailmcp/mailmcp/internal/auth/oauthtest"
)

// imapSession is an in-memory mailbox that authenticates only by XOAUTH2
// or OAUTHBEARER, checking tokens against the OAuth server.
type imapSession struct {
	*imapmemserver.UserSession
	srv *oauthtest.Server
}

func (s *imapSession) Login(string, string) error { return imapserver.ErrAuthFailed }
func (s *imapSession) AuthenticateMechanisms() []string {
	return []string{"XOAUTH2", "OAUTHBEARER"}
}
func (s *imapSession) Authenticate(mech string) (sasl.Server, error) {
	switch mech {
	case "XOAUTH2":
		return &xoauth2Server{srv: s.srv, reject: &imap.Error{
			Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "AUTHENTICATE failed",
		}}, nil
	case "OAUTHBEARER":
		return oauthBearerServer(s.srv, nil), nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "unsupported mechanism"}
}

func startIMAP(t *testing.T, srv *oauthtest.Server) string {
	t.Helper()
	user := imapmemserver.NewUser("alice@example.test", "unused")
	user.Create("INBOX", nil)
	s := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &imapSession{UserSession: imapmemserver.NewUserSession(user), srv: srv}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapSASLIR: {}, "AUTH=XOAUTH2": {}, "AUTH=OAUTHBEARER": {}},
		InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

func imapAuth(t *testing.T, addr string, c sasl.Client) (*imapclient.Client, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second)) // go-imap has no timeouts of its own
	cl := imapclient.New(conn, nil)
	t.Cleanup(func() { cl.Close() })
	if err := cl.WaitGreeting(); err != nil {
		t.Fatal(err)
	}
	caps, err := cl.Capability().Wait()
	if err != nil {
		t.Fatal(err)
	}
	var adv []string
	for c := range caps {
		adv = append(adv, string(c))
	}
	if m, err := ChooseMechanism(adv, true, ProviderGoogle); err != nil || m != "XOAUTH2" {
		t.Fatalf("ChooseMechanism(%v) = %q, %v", adv, m, err)
	}
	return cl, cl.Authenticate(c)
}

func TestIMAPXOAuth2EndToEnd(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{Username: "alice@example.test"})
	defer srv.Close()
	addr := startIMAP(t, srv)
	tok := liveToken(t, srv)

	cl, err := imapAuth(t, addr, NewXOAuth2Client("alice@example.test", tok))
	if err != nil {
		t.Fatalf("valid token: %v", err)
	}
	if _, err := cl.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("select after XOAUTH2: %v", err)
	}

	bad := NewXOAuth2Client("alice@example.test", "stale")
	_, err = imapAuth(t, addr, bad)
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeAuthenticationFailed {
		t.Fatalf("invalid token: err = %v, want NO [AUTHENTICATIONFAILED]", err)
	}
	if bad.Failure() == nil {
		t.Fatal("error challenge not seen")
	}
	if got := Explain(err, "outlook.office365.com", "work"); got == err.Error() {
		t.Errorf("Explain gave no advice for %v", err)
	}
}

func TestIMAPOAuthBearerEndToEnd(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{Username: "alice@example.test"})
	defer srv.Close()
	addr := startIMAP(t, srv)
	tok := liveToken(t, srv)
	if _, err := imapAuth(t, addr, NewOAuthBearerClient("alice@example.test", tok, "127.0.0.1", 993)); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	if _, err := imapAuth(t, addr, NewOAuthBearerClient("alice@example.test", "stale", "127.0.0.1", 993)); err == nil {
		t.Fatal("invalid token accepted")
	}
}
