package submit_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/submit"
)

// capture is an in-process SMTP submission server that records what a
// client did and refuses chosen recipients.
type capture struct {
	srv   *smtp.Server
	addr  string
	cert  *x509.Certificate
	mechs []string // offered AUTH mechanisms
	// rcptReply maps a recipient to the error RCPT answers with.
	rcptReply map[string]*smtp.SMTPError
	// dataReply is what DATA answers with (nil: accept).
	dataReply *smtp.SMTPError
	// dataHook runs when the data has been read; it may stall or drop.
	dataHook func(c *smtp.Conn)

	mu       sync.Mutex
	helo     []string
	authMech []string
	mail     []*smtp.MailOptions
	from     []string
	rcpt     []string
	rcptOpts []*smtp.RcptOptions
	data     [][]byte
}

func (c *capture) NewSession(conn *smtp.Conn) (smtp.Session, error) {
	c.mu.Lock()
	c.helo = append(c.helo, conn.Hostname())
	c.mu.Unlock()
	return &captureSession{c: c, conn: conn}, nil
}

type captureSession struct {
	c    *capture
	conn *smtp.Conn
	rcpt []string
}

func (s *captureSession) AuthMechanisms() []string { return s.c.mechs }
func (s *captureSession) Auth(mech string) (sasl.Server, error) {
	s.c.mu.Lock()
	s.c.authMech = append(s.c.authMech, mech)
	s.c.mu.Unlock()
	check := func(user, pass string) error {
		if user != "user@example.org" || pass != "right" {
			return smtp.ErrAuthFailed
		}
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, u, p string) error { return check(u, p) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}
func (s *captureSession) Mail(from string, o *smtp.MailOptions) error {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.from, s.c.mail = append(s.c.from, from), append(s.c.mail, o)
	return nil
}
func (s *captureSession) Rcpt(to string, o *smtp.RcptOptions) error {
	if e := s.c.rcptReply[to]; e != nil {
		return e
	}
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.rcpt = append(s.rcpt, to)
	s.c.rcpt, s.c.rcptOpts = append(s.c.rcpt, to), append(s.c.rcptOpts, o)
	return nil
}
func (s *captureSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.c.dataHook != nil {
		s.c.dataHook(s.conn)
	}
	if s.c.dataReply != nil {
		return s.c.dataReply
	}
	s.c.mu.Lock()
	s.c.data = append(s.c.data, b)
	s.c.mu.Unlock()
	return nil
}
func (s *captureSession) Reset()        {}
func (s *captureSession) Logout() error { return nil }

// loginServer is the server side of the LOGIN mechanism (go-sasl has none).
type loginServer struct {
	step  int
	user  string
	check func(u, p string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if resp != nil { // initial response holds the user name
			l.user = string(resp)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(resp))
	}
}

type captureOpts struct {
	implicitTLS, startTLS bool
	dsn, utf8             bool
}

func startCapture(t *testing.T, o captureOpts) *capture {
	t.Helper()
	leakCheck(t)
	c := &capture{mechs: []string{sasl.Plain, sasl.Login}, rcptReply: map[string]*smtp.SMTPError{}}
	s := smtp.NewServer(c)
	s.Domain = "mx.example.test"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.EnableDSN, s.EnableSMTPUTF8 = o.dsn, o.utf8
	s.AllowInsecureAuth = !o.implicitTLS && !o.startTLS
	var ln net.Listener
	var err error
	if o.implicitTLS || o.startTLS {
		cfg, cert := selfSigned(t)
		c.cert = cert
		s.TLSConfig = cfg
		if o.implicitTLS {
			ln, err = tls.Listen("tcp", "127.0.0.1:0", cfg)
		} else {
			ln, err = net.Listen("tcp", "127.0.0.1:0")
		}
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	c.srv, c.addr = s, ln.Addr().String()
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(ln) }()
	// Close the listener too: Server.Close misses one that Serve has not
	// registered yet.
	t.Cleanup(func() { s.Close(); ln.Close(); <-done })
	return c
}

func selfSigned(t *testing.T) (*tls.Config, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, cert
}

func (c *capture) account(t *testing.T, mode, password string) *submit.Account {
	host, port := splitHostPort(t, c.addr)
	a := &submit.Account{ID: "t", Email: "user@example.org",
		Server: submit.Server{Host: host, Port: port, TLS: mode},
		Auth:   &auth.PasswordLogin{Username: "user@example.org", Source: auth.SecretSource{Command: "printf %s " + password}}}
	if c.cert != nil {
		pool := x509.NewCertPool()
		pool.AddCert(c.cert)
		a.TLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return a
}

const testMsg = "From: user@example.org\r\nTo: a@example.org\r\nSubject: t\r\nMessage-ID: <t1@example.org>\r\n\r\nhello\r\n"

func submitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSubmitPerRecipientOutcomes(t *testing.T) {
	c := startCapture(t, captureOpts{})
	c.rcptReply["gone@example.org"] = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	c.rcptReply["busy@example.org"] = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try later"}
	res, err := submit.Submit(submitCtx(t), c.account(t, submit.TLSPlain, "right"),
		submit.Envelope{From: "user@example.org", To: []string{"a@example.org", "gone@example.org", "b@example.org", "busy@example.org"}}, []byte(testMsg))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if strings.Join(res.Accepted, ",") != "a@example.org,b@example.org" {
		t.Errorf("accepted = %v", res.Accepted)
	}
	want := []submit.RecipientError{
		{Address: "gone@example.org", Code: 550, Enhanced: "5.1.1", Message: "No such user", Permanent: true},
		{Address: "busy@example.org", Code: 451, Enhanced: "4.3.0", Message: "Try later", Permanent: false},
	}
	if len(res.Refused) != 2 || res.Refused[0] != want[0] || res.Refused[1] != want[1] {
		t.Errorf("refused = %+v\nwant %+v", res.Refused, want)
	}
	if len(c.data) != 1 || string(c.data[0]) != testMsg || strings.Join(c.rcpt, ",") != "a@example.org,b@example.org" {
		t.Errorf("server got data %d, rcpt %v", len(c.data), c.rcpt)
	}
	if res.DSN || c.mail[0].Return != "" || c.rcptOpts[0].Notify != nil {
		t.Error("DSN parameters sent to a server without DSN")
	}
	if len(c.authMech) != 1 || c.authMech[0] != sasl.Plain {
		t.Errorf("auth mechanisms used = %v, want PLAIN", c.authMech)
	}
}

func TestSubmitErrorClassification(t *testing.T) {
	perm := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	temp := &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 1}, Message: "Mailbox busy"}
	cases := []struct {
		name      string
		setup     func(c *capture)
		permanent bool
		want      string
	}{
		{"all refused 5xx", func(c *capture) { c.rcptReply["a@example.org"] = perm }, true, "550 5.1.1 No such user"},
		{"all refused 4xx", func(c *capture) { c.rcptReply["a@example.org"] = temp }, false, "450 4.2.1 Mailbox busy"},
		{"data 554", func(c *capture) {
			c.dataReply = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Spam detected"}
		}, true, "554 5.7.1 Spam detected"},
		{"data 451", func(c *capture) {
			c.dataReply = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted"}
		}, false, "451 4.7.1 Greylisted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := startCapture(t, captureOpts{})
			tc.setup(c)
			_, err := submit.Submit(submitCtx(t), c.account(t, submit.TLSPlain, "right"),
				submit.Envelope{From: "user@example.org", To: []string{"a@example.org"}}, []byte(testMsg))
			if err == nil {
				t.Fatal("no error")
			}
			if submit.Permanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v (permanent %v), want permanent=%v containing %q", err, submit.Permanent(err), tc.permanent, tc.want)
			}
			if code, _, _, ok := submit.Reply(err); !ok || code/100 != map[bool]int{true: 5, false: 4}[tc.permanent] {
				t.Errorf("SMTPReply = %d, %v", code, ok)
			}
		})
	}
}

func TestSubmitDSNAndSMTPUTF8Parameters(t *testing.T) {
	c := startCapture(t, captureOpts{dsn: true, utf8: true})
	res, err := submit.Submit(submitCtx(t), c.account(t, submit.TLSPlain, "right"),
		submit.Envelope{From: "user@example.org", To: []string{"jörg@example.org"}, EnvID: "ob-42", SMTPUTF8: true}, []byte(testMsg))
	if err != nil {
		t.Fatal(err)
	}
	m := c.mail[0]
	if !res.DSN || m.Return != smtp.DSNReturnHeaders || m.EnvelopeID != "ob-42" || !m.UTF8 {
		t.Errorf("MAIL options = %+v (dsn %v)", m, res.DSN)
	}
	n := c.rcptOpts[0].Notify
	if len(n) != 2 || n[0] != smtp.DSNNotifyFailure || n[1] != smtp.DSNNotifyDelayed {
		t.Errorf("NOTIFY = %v", n)
	}
	if c.rcpt[0] != "jörg@example.org" {
		t.Errorf("rcpt = %v", c.rcpt)
	}
}

func TestSubmitSMTPUTF8NotOffered(t *testing.T) {
	c := startCapture(t, captureOpts{})
	_, err := submit.Submit(submitCtx(t), c.account(t, submit.TLSPlain, "right"),
		submit.Envelope{From: "user@example.org", To: []string{"jörg@example.org"}, SMTPUTF8: true}, []byte(testMsg))
	if fault.KindOf(err) != fault.Unsupported || !strings.Contains(err.Error(), "SMTPUTF8") || !submit.Permanent(err) {
		t.Fatalf("err = %v", err)
	}
	if len(c.mail) != 0 {
		t.Error("MAIL sent although SMTPUTF8 is missing")
	}
}

func TestSubmitAuthMechanisms(t *testing.T) {
	t.Run("login only", func(t *testing.T) {
		c := startCapture(t, captureOpts{})
		c.mechs = []string{sasl.Login}
		if _, err := submit.Submit(submitCtx(t), c.account(t, submit.TLSPlain, "right"),
			submit.Envelope{From: "user@example.org", To: []string{"a@example.org"}}, []byte(testMsg)); err != nil {
			t.Fatal(err)
		}
		if strings.Join(c.authMech, ",") != sasl.Login {
			t.Errorf("used %v", c.authMech)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		c := startCapture(t, captureOpts{})
		_, err := submit.Submit(submitCtx(t), c.account(t, submit.TLSPlain, "wrong"),
			submit.Envelope{From: "user@example.org", To: []string{"a@example.org"}}, []byte(testMsg))
		if fault.KindOf(err) != fault.Auth || !submit.Permanent(err) || !strings.Contains(err.Error(), "535") {
			t.Fatalf("err = %v", err)
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Errorf("the password leaked into the error: %v", err)
		}
	})
	t.Run("no usable mechanism", func(t *testing.T) {
		c := startCapture(t, captureOpts{})
		c.mechs = []string{"DIGEST-MD5"} // offered, but not one mailmcp speaks
		_, err := submit.Submit(submitCtx(t), c.account(t, submit.TLSPlain, "right"),
			submit.Envelope{From: "user@example.org", To: []string{"a@example.org"}}, []byte(testMsg))
		if fault.KindOf(err) != fault.Unsupported {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSubmitTLSModesAndHeloName(t *testing.T) {
	for _, mode := range []string{submit.TLSImplicit, submit.TLSStartTLS} {
		t.Run(mode, func(t *testing.T) {
			c := startCapture(t, captureOpts{implicitTLS: mode == submit.TLSImplicit, startTLS: mode == submit.TLSStartTLS})
			if _, err := submit.Submit(submitCtx(t), c.account(t, mode, "right"),
				submit.Envelope{From: "user@example.org", To: []string{"a@example.org"}}, []byte(testMsg)); err != nil {
				t.Fatal(err)
			}
			if len(c.data) != 1 || len(c.authMech) != 1 {
				t.Fatalf("data %d auth %v", len(c.data), c.authMech)
			}
			for _, h := range c.helo {
				if h == "" || strings.EqualFold(h, "localhost") {
					t.Errorf("EHLO name %q", h)
				}
			}
		})
	}
	t.Run("starttls not offered", func(t *testing.T) {
		c := startCapture(t, captureOpts{})
		_, err := submit.Submit(submitCtx(t), c.account(t, submit.TLSStartTLS, "right"),
			submit.Envelope{From: "user@example.org", To: []string{"a@example.org"}}, []byte(testMsg))
		if fault.KindOf(err) != fault.Unsupported || len(c.authMech) != 0 {
			t.Fatalf("err = %v, auth attempts %v", err, c.authMech)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		c := startCapture(t, captureOpts{implicitTLS: true})
		a := c.account(t, submit.TLSImplicit, "right")
		a.TLS = nil
		_, err := submit.Submit(submitCtx(t), a, submit.Envelope{From: "user@example.org", To: []string{"a@example.org"}}, []byte(testMsg))
		if fault.KindOf(err) != fault.Unavailable || len(c.authMech) != 0 {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSubmitDeadlineAndOutcomeUnknown(t *testing.T) {
	t.Run("stalled data times out", func(t *testing.T) {
		c := startCapture(t, captureOpts{})
		release := make(chan struct{})
		c.dataHook = func(*smtp.Conn) { <-release }
		t.Cleanup(func() { close(release) })
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_, err := submit.Submit(ctx, c.account(t, submit.TLSPlain, "right"),
			submit.Envelope{From: "user@example.org", To: []string{"a@example.org"}}, []byte(testMsg))
		if err == nil || submit.Permanent(err) {
			t.Fatalf("err = %v, want a transient failure", err)
		}
		if !errors.Is(err, submit.ErrOutcomeUnknown) && fault.KindOf(err) != fault.Timeout {
			t.Errorf("err = %v (kind %v)", err, fault.KindOf(err))
		}
	})
	t.Run("connection dropped after data", func(t *testing.T) {
		c := startCapture(t, captureOpts{})
		c.dataHook = func(conn *smtp.Conn) { conn.Close() }
		_, err := submit.Submit(submitCtx(t), c.account(t, submit.TLSPlain, "right"),
			submit.Envelope{From: "user@example.org", To: []string{"a@example.org"}}, []byte(testMsg))
		if !errors.Is(err, submit.ErrOutcomeUnknown) || submit.Permanent(err) {
			t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		c := startCapture(t, captureOpts{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := submit.Submit(ctx, c.account(t, submit.TLSPlain, "right"),
			submit.Envelope{From: "user@example.org", To: []string{"a@example.org"}}, []byte(testMsg))
		if err == nil || len(c.data) != 0 {
			t.Fatalf("err = %v", err)
		}
	})
}

// Credentials never go over a connection without TLS unless the endpoint
// is configured "plain" and its host is a loopback literal: a host name
// (even one resolving to 127.0.0.1) is not trusted to stay local.
func TestSubmitRefusesCredentialsWithoutTLS(t *testing.T) {
	name, err := os.Hostname()
	if err != nil {
		t.Skip("no host name")
	}
	addrs, err := net.LookupHost(name)
	if err != nil || len(addrs) == 0 || !net.ParseIP(addrs[0]).IsLoopback() {
		t.Skipf("host name %q does not resolve to loopback here", name)
	}
	c := startCapture(t, captureOpts{})
	a := c.account(t, submit.TLSPlain, "right")
	a.Server.Host = name
	_, err = submit.Submit(submitCtx(t), a, submit.Envelope{From: "user@example.org", To: []string{"a@example.org"}}, []byte(testMsg))
	if fault.KindOf(err) != fault.Unsupported || !strings.Contains(err.Error(), "without TLS") {
		t.Fatalf("err = %v", err)
	}
	if len(c.authMech) != 0 || len(c.mail) != 0 {
		t.Errorf("credentials or mail sent in the clear: auth %v", c.authMech)
	}
}

// TestSubmitBeforeCommit: the hook runs once, after the data and before
// the final dot; when it fails the server never takes the message.
func TestSubmitBeforeCommit(t *testing.T) {
	c := startCapture(t, captureOpts{})
	acct := c.account(t, submit.TLSPlain, "right")
	calls := 0
	env := submit.Envelope{From: "user@example.org", To: []string{"a@example.org"},
		BeforeCommit: func() error {
			calls++
			c.mu.Lock()
			defer c.mu.Unlock()
			if len(c.rcpt) != 1 || len(c.data) != 0 {
				t.Errorf("hook ran at the wrong moment: rcpt %v, data %d", c.rcpt, len(c.data))
			}
			return nil
		}}
	if _, err := submit.Submit(submitCtx(t), acct, env, []byte(testMsg)); err != nil || calls != 1 {
		t.Fatalf("submit: %v, hook calls %d", err, calls)
	}
	env.BeforeCommit = func() error { return errors.New("journal unavailable") }
	_, err := submit.Submit(submitCtx(t), acct, env, []byte(testMsg))
	if fault.KindOf(err) != fault.Cancelled || !strings.Contains(err.Error(), "journal unavailable") {
		t.Fatalf("aborted submit: %v", err)
	}
	time.Sleep(100 * time.Millisecond) // let the server notice the closed connection
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.data) != 1 {
		t.Errorf("the server took %d messages; the aborted one must not be among them", len(c.data))
	}
}
