package outbox

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/internal/testrig/statetest"
)

// TestMain lets tests use the real Dovecot and Postfix (testrig.Require).
func TestMain(m *testing.M) { testrig.Main(m) }

const (
	pfChildEnv = "MAILMCP_OUTBOX_PF_CHILD"
	pfDirEnv   = "MAILMCP_OUTBOX_PF_DIR"
	pfSMTPEnv  = "MAILMCP_OUTBOX_PF_SMTP"
	pfIMAPEnv  = "MAILMCP_OUTBOX_PF_IMAP"
	pfCAEnv    = "MAILMCP_OUTBOX_PF_CA"
	pfUserEnv  = "MAILMCP_OUTBOX_PF_USER"
	pfPassEnv  = "MAILMCP_OUTBOX_PF_PASS"
	pfToEnv    = "MAILMCP_OUTBOX_PF_TO"
	pfMIDEnv   = "MAILMCP_OUTBOX_PF_MID"
)

// pfAccount is an imapconn account on the rig submitting to smtpAddr with
// implicit TLS.
func pfAccount(id, email, password, imapAddr, smtpAddr, caFile string) (*imapconn.Account, error) {
	ih, ip, err := splitAddr(imapAddr)
	if err != nil {
		return nil, err
	}
	sh, sp, err := splitAddr(smtpAddr)
	if err != nil {
		return nil, err
	}
	tc, err := imapconn.TLSConfig(ih, caFile)
	if err != nil {
		return nil, err
	}
	return &imapconn.Account{ID: id, Email: email, TLS: tc,
		IMAP: imapconn.Endpoint{Host: ih, Port: ip, TLS: imapconn.TLSImplicit},
		SMTP: imapconn.Endpoint{Host: sh, Port: sp, TLS: imapconn.TLSImplicit},
		Auth: &auth.PasswordLogin{Username: email, Source: auth.SecretSource{Command: "printf %s '" + password + "'"}},
	}, nil
}

func splitAddr(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := net.LookupPort("tcp", p)
	return h, port, err
}

// pfMessage is a message large enough (~256 KiB) that the proxy can tell
// the end of its data from everything sent before it.
func pfMessage(from, to, mid string) []byte {
	var b strings.Builder
	b.WriteString("From: " + from + "\r\nTo: " + to + "\r\nSubject: crash test\r\nMessage-ID: <" + mid + ">\r\n" +
		"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
	line := strings.Repeat("0123456789abcdef", 4) + "\r\n"
	for b.Len() < 256<<10 {
		b.WriteString(line)
	}
	return []byte(b.String())
}

// holdProxy relays TCP connections to a server and, once a client has sent
// at least threshold bytes, withholds everything the server answers: with
// a threshold of the message size that is the reply to the final dot, so
// the server has taken the message while the client never learns it.
type holdProxy struct {
	ln        net.Listener
	target    string
	threshold int64
	held      chan struct{}
	once      sync.Once

	mu    sync.Mutex
	conns []net.Conn
}

func startHoldProxy(t *testing.T, target string, threshold int64) *holdProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &holdProxy{ln: ln, target: target, threshold: threshold, held: make(chan struct{})}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *holdProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		var sent atomic.Int64
		go func() { // client → server, counted before it reaches the server
			buf := make([]byte, 32<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					sent.Add(int64(n))
					if _, werr := s.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
		go func() { // server → client, withheld after the threshold
			buf := make([]byte, 32<<10)
			for {
				n, err := s.Read(buf)
				if n > 0 {
					if sent.Load() >= p.threshold {
						p.once.Do(func() { close(p.held) })
					} else if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

func (p *holdProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// TestPostfixCrashAfterDot kills a process running the outbox (this test
// binary re-executed) after Postfix has accepted its message but before the
// reply reached it, then opens the same state directory again: the item is
// in_doubt, a retry with the same key sends nothing, and the recipient has
// exactly one copy.
func TestPostfixCrashAfterDot(t *testing.T) {
	if os.Getenv(pfChildEnv) == "1" {
		pfChild(t)
		return
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	s := testrig.Require(t)
	alice, bob := s.NewUser(t), s.NewUser(t)
	mid := "crash-" + randHex(6) + "@" + strings.SplitN(alice.Email, "@", 2)[1]
	raw := pfMessage(alice.Email, bob.Email, mid)
	proxy := startHoldProxy(t, s.SubmissionsAddr(), int64(len(raw)))

	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestPostfixCrashAfterDot$", "-test.count=1")
	cmd.Env = append(os.Environ(), pfChildEnv+"=1", pfDirEnv+"="+dir, pfSMTPEnv+"="+proxy.ln.Addr().String(),
		pfIMAPEnv+"="+s.IMAPSAddr(), pfCAEnv+"="+s.CAFile, pfUserEnv+"="+alice.Email, pfPassEnv+"="+alice.Password,
		pfToEnv+"="+bob.Email, pfMIDEnv+"="+mid)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proxy.held:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the child never finished sending the message data")
	}
	cmd.Process.Kill()
	cmd.Wait()
	proxy.close()

	// Postfix replied 250 to the final dot, so it delivers the message.
	log := slog.New(slog.DiscardHandler)
	aliceAcct, err := pfAccount("a", alice.Email, alice.Password, s.IMAPSAddr(), s.SubmissionsAddr(), s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	bobAcct, _ := pfAccount("b", bob.Email, bob.Password, s.IMAPSAddr(), s.SubmissionsAddr(), s.CAFile)
	mail := imapconn.NewManager([]*imapconn.Account{aliceAcct, bobAcct}, log)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		mail.Close(ctx)
	})
	bobCopies := func() int {
		p, _ := mail.Pool("b")
		page, err := p.Search(context.Background(), "INBOX", imapconn.Criteria{Header: [][2]string{{"Message-ID", mid}}}, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Messages)
	}
	deadline := time.Now().Add(20 * time.Second)
	for bobCopies() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Postfix never delivered the message the child submitted")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Restart: the same state directory, submitting straight to Postfix,
	// so a wrong resend would deliver a second copy.
	st := statetest.Open(t, dir)
	t.Cleanup(func() { st.Close() })
	box, err := New(Config{Store: st, Dir: dir + "/outbox", Log: log, Transport: &MailTransport{Mail: mail},
		BaseDelay: 50 * time.Millisecond, MaxDelay: 200 * time.Millisecond, Poll: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		box.Close(ctx)
	})
	box.Start()
	items, err := box.List(context.Background(), ListOptions{})
	if err != nil || len(items) != 1 {
		t.Fatalf("items after restart: %+v %v", items, err)
	}
	r := &rig{t: t, Box: box}
	it := r.waitState(items[0].ID, StateInDoubt)
	if !strings.Contains(it.LastError, "not resent") {
		t.Errorf("in_doubt item explains %q", it.LastError)
	}
	again, created, err := box.Send(context.Background(), Request{Account: "a", IdempotencyKey: "pf-crash", MessageID: mid,
		From: alice.Email, Recipients: []string{bob.Email}, Raw: raw})
	if err != nil || created || again.ID != it.ID {
		t.Fatalf("retry with the same key: created %v, id %s (first %s), %v", created, again.ID, it.ID, err)
	}
	box.Wake()
	time.Sleep(time.Second) // several worker sweeps and Postfix's delivery time
	if n := bobCopies(); n != 1 {
		t.Errorf("bob received %d copies, want exactly 1", n)
	}
}

// pfChild sends one message through the proxy and waits to be killed.
func pfChild(t *testing.T) {
	user := []string{os.Getenv(pfUserEnv), os.Getenv(pfPassEnv)}
	acct, err := pfAccount("a", user[0], user[1], os.Getenv(pfIMAPEnv), os.Getenv(pfSMTPEnv), os.Getenv(pfCAEnv))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	mail := imapconn.NewManager([]*imapconn.Account{acct}, log)
	dir := os.Getenv(pfDirEnv)
	st := statetest.Open(t, dir)
	box, err := New(Config{Store: st, Dir: dir + "/outbox", Log: log, Transport: &MailTransport{Mail: mail}})
	if err != nil {
		t.Fatal(err)
	}
	mid, to := os.Getenv(pfMIDEnv), os.Getenv(pfToEnv)
	box.Send(context.Background(), Request{Account: "a", IdempotencyKey: "pf-crash", MessageID: mid,
		From: user[0], Recipients: []string{to}, Raw: pfMessage(user[0], to, mid)})
	time.Sleep(time.Minute)
}

// TestCancelAfterPartialAcceptance: cancelling an item that the server
// already accepted for some recipients (others were refused for now)
// leaves it sent to them, and it still gets its Sent copy.
func TestCancelAfterPartialAcceptance(t *testing.T) {
	s := startSMTP(t)
	s.set(func() {
		s.rcpt = func(to string) error {
			if to == "later@x.test" {
				return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
			}
			return nil
		}
	})
	r := newRig(t, t.TempDir(), s.Addr, false, func(c *Config) { c.BaseDelay = time.Hour })
	r.Box.Start()
	ctx := context.Background()
	it, _, err := r.Box.Send(ctx, request("partial-cancel", "now@x.test", "later@x.test"))
	if err != nil || it.State != StateQueued || len(it.Pending()) != 1 {
		t.Fatalf("after one recipient was refused for now: %+v %v", it, err)
	}
	if it, err = r.Box.Cancel(ctx, it.ID); err != nil || it.State != StateSent || !it.Partial() {
		t.Fatalf("cancel: %+v %v", it, err)
	}
	it = r.waitState(it.ID, StateSent)
	if it.SentCopy.Status != CopySaved || it.SentAt.IsZero() {
		t.Errorf("a message sent to some recipients got no Sent copy: %+v", it.SentCopy)
	}
	p, _ := r.Mail.Pool("a")
	page, err := p.Search(ctx, "Sent", imapconn.Criteria{Header: [][2]string{{"Message-ID", it.MessageID}}}, 10, "")
	if err != nil || len(page.Messages) != 1 {
		t.Errorf("Sent copies %v %v, want 1", page, err)
	}
	if d := s.deliveries(); len(d) != 1 || strings.Join(d[0].To, ",") != "now@x.test" {
		t.Errorf("deliveries %+v", d)
	}
}

// TestBounceFailsItem: a delivery report saying every accepted recipient
// failed turns a sent item into failed, with the report's reason; a report
// for only some of them leaves it sent.
func TestBounceFailsItem(t *testing.T) {
	s := startSMTP(t)
	r := newRig(t, t.TempDir(), s.Addr, true, nil)
	ctx := context.Background()
	it, _, err := r.Box.Send(ctx, request("", "a@x.test", "b@x.test"))
	if err != nil || it.State != StateSent {
		t.Fatalf("send: %+v %v", it, err)
	}
	report := func(id, addr string) {
		t.Helper()
		if got, err := r.Box.LinkReport(ctx, "a", Report{ReportID: id, EnvID: it.ID, Recipients: []ReportRecipient{
			{FinalRecipient: addr, Action: "failed", Status: "5.1.1", Diagnostic: "smtp; 550 no such user"}}}); err != nil || got != it.ID {
			t.Fatalf("link: %q %v", got, err)
		}
	}
	report("r1", "a@x.test")
	got, _ := r.Box.Get(ctx, it.ID)
	if got.State != StateSent || got.Recipients[0].Bounce == nil {
		t.Fatalf("after one of two bounced: %s %+v", got.State, got.Recipients)
	}
	report("r2", "b@x.test")
	got, _ = r.Box.Get(ctx, it.ID)
	if got.State != StateFailed || !strings.Contains(got.LastError, "550 no such user") {
		t.Fatalf("after both bounced: %s %q", got.State, got.LastError)
	}
	if seen, _ := r.Box.Seen(ctx, "a", "r2"); !seen {
		t.Error("the report is not remembered as seen")
	}
}
