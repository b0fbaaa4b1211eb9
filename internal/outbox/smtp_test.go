package outbox

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/demo"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig/statetest"
)

// smtpServer is an in-process go-smtp server whose replies a test controls.
type smtpServer struct {
	Addr string
	srv  *smtp.Server

	mu        sync.Mutex
	delivered []delivery
	// rcpt returns the reply for one recipient (nil: accept).
	rcpt func(to string) error
	// data returns the reply to the message data (nil: accept).
	data func() error
	// hold, when set, is closed by the server once it has the whole
	// message and before it replies; it then waits for release.
	held    chan struct{}
	release chan struct{}
}

type delivery struct {
	EnvID string
	To    []string
	Raw   string
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.EnableDSN = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *smtpServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }

func (s *smtpServer) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func (s *smtpServer) deliveries() []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.delivered...)
}

type smtpSession struct {
	s     *smtpServer
	envID string
	to    []string
}

func (se *smtpSession) Mail(from string, o *smtp.MailOptions) error {
	if o != nil {
		se.envID = o.EnvelopeID
	}
	return nil
}

func (se *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.s.mu.Lock()
	f := se.s.rcpt
	se.s.mu.Unlock()
	if f != nil {
		if err := f(to); err != nil {
			return err
		}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.s.mu.Lock()
	f, held, release := se.s.data, se.s.held, se.s.release
	se.s.mu.Unlock()
	if held != nil {
		close(held)
		<-release
	}
	if f != nil {
		if err := f(); err != nil {
			return err
		}
	}
	se.s.mu.Lock()
	se.s.delivered = append(se.s.delivered, delivery{EnvID: se.envID, To: se.to, Raw: string(b)})
	se.s.mu.Unlock()
	return nil
}

func (se *smtpSession) Reset()        { se.to = nil }
func (se *smtpSession) Logout() error { return nil }

// rig is an outbox over a real SMTP server and the demo IMAP service.
type rig struct {
	t     *testing.T
	SMTP  *smtpServer
	Demo  *demo.Server
	Mail  *imapconn.Manager
	Store store.Store
	Dir   string
	Box   *Outbox
	saves bool
}

func newRig(t *testing.T, dir string, smtpAddr string, savesSent bool, tune func(*Config)) *rig {
	t.Helper()
	r := &rig{t: t, Dir: dir, saves: savesSent}
	log := slog.New(slog.DiscardHandler)
	srv, err := demo.Start(demo.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	r.Demo = srv
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	ih, ip := hostPort(t, srv.IMAPAddr)
	sh, sp := hostPort(t, smtpAddr)
	r.Mail = imapconn.NewManager([]*imapconn.Account{{
		ID: "a", Email: demo.Email,
		IMAP: imapconn.Endpoint{Host: ih, Port: ip, TLS: "plain"},
		SMTP: imapconn.Endpoint{Host: sh, Port: sp, TLS: "plain"},
		Auth: &auth.PasswordLogin{Username: demo.Email, Source: auth.SecretSource{Command: "printf %s " + demo.Password}},
	}}, log)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Mail.Close(ctx)
	})
	r.Store = statetest.Open(t, dir)
	cfg := Config{Store: r.Store, Dir: dir + "/outbox", Log: log,
		Transport: &MailTransport{Mail: r.Mail, ProviderSavesSent: func(string) bool { return r.saves }},
		BaseDelay: 50 * time.Millisecond, MaxDelay: 200 * time.Millisecond, Poll: 100 * time.Millisecond}
	if tune != nil {
		tune(&cfg)
	}
	r.Box, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Box.Close(ctx)
	})
	return r
}

func hostPort(t *testing.T, addr string) (string, int) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

func request(key string, to ...string) Request {
	mid := "m" + randHex(6) + "@demo.mailmcp.test"
	raw := "From: " + demo.Email + "\r\nTo: " + strings.Join(to, ", ") + "\r\nSubject: test " + key + "\r\nMessage-ID: <" + mid + ">\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nhello\r\n"
	return Request{Account: "a", IdempotencyKey: key, MessageID: mid, Subject: "test " + key, From: demo.Email, Recipients: to, Raw: []byte(raw)}
}

// waitState polls the item until it reaches one of the states.
func (r *rig) waitState(id string, states ...State) *Item {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		it, err := r.Box.Get(context.Background(), id)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, s := range states {
			if it.State == s && !it.postWork() {
				return it
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("item %s stuck in %s (%s), want %v", id, it.State, it.LastError, states)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSendOnceWithKey(t *testing.T) {
	s := startSMTP(t)
	r := newRig(t, t.TempDir(), s.Addr, false, nil)
	ctx := context.Background()
	req := request("k1", "x@demo.mailmcp.test", "y@demo.mailmcp.test")
	it, created, err := r.Box.Send(ctx, req)
	if err != nil || !created {
		t.Fatalf("send: %v %v", created, err)
	}
	it = r.waitState(it.ID, StateSent)
	if a, _ := it.Counts(); a != 2 || it.SentCopy.Status != CopySaved {
		t.Errorf("item %+v", it)
	}
	again, created, err := r.Box.Send(ctx, request("k1", "x@demo.mailmcp.test"))
	if err != nil || created || again.ID != it.ID {
		t.Fatalf("same key: created %v id %s (first %s) err %v", created, again.ID, it.ID, err)
	}
	if d := s.deliveries(); len(d) != 1 || d[0].EnvID != it.ID {
		t.Fatalf("deliveries %+v, want one with ENVID %s", d, it.ID)
	}
	// The Sent copy was filed exactly once, even when asked again.
	if err := r.Box.cfg.Transport.SaveSent(ctx, "a", it.MessageID, req.Raw); err != nil {
		t.Fatal(err)
	}
	p, _ := r.Mail.Pool("a")
	page, err := p.Search(ctx, "Sent", imapconn.Criteria{Header: [][2]string{{"Message-ID", it.MessageID}}}, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 1 {
		t.Errorf("%d Sent copies, want 1", len(page.Messages))
	}
}

func TestSavesSentSkipsCopy(t *testing.T) {
	s := startSMTP(t)
	r := newRig(t, t.TempDir(), s.Addr, true, nil)
	it, _, err := r.Box.Send(context.Background(), request("", "x@demo.mailmcp.test"))
	if err != nil {
		t.Fatal(err)
	}
	it = r.waitState(it.ID, StateSent)
	if it.SentCopy.Status != CopyServer {
		t.Errorf("sent copy %q, want %q", it.SentCopy.Status, CopyServer)
	}
	p, _ := r.Mail.Pool("a")
	page, _ := p.Search(context.Background(), "Sent", imapconn.Criteria{Header: [][2]string{{"Message-ID", it.MessageID}}}, 10, "")
	if len(page.Messages) != 0 {
		t.Errorf("a Sent copy was appended for a provider that saves it itself")
	}
}

func TestOutcomes(t *testing.T) {
	s := startSMTP(t)
	r := newRig(t, t.TempDir(), s.Addr, true, nil)
	r.Box.Start()
	ctx := context.Background()

	// Permanent refusal of one recipient: partial, recorded exactly.
	s.set(func() {
		s.rcpt = func(to string) error {
			if strings.HasPrefix(to, "bad") {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
			}
			return nil
		}
	})
	it, _, _ := r.Box.Send(ctx, request("p", "ok@x.test", "bad@x.test"))
	it = r.waitState(it.ID, StateSent)
	if !it.Partial() || it.Recipients[1].Code != 550 || it.Recipients[1].Message != "no such user" {
		t.Errorf("partial: %+v", it.Recipients)
	}

	// Permanent failure of the whole message: failed with the server's text.
	s.set(func() {
		s.rcpt = nil
		s.data = func() error {
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "content rejected"}
		}
	})
	it, _, _ = r.Box.Send(ctx, request("f", "ok@x.test"))
	it = r.waitState(it.ID, StateFailed)
	if !strings.Contains(it.LastError, "content rejected") {
		t.Errorf("failed item error %q", it.LastError)
	}

	// Transient failure: queued, retried in the background, sent once.
	n := 0
	s.set(func() {
		s.data = func() error {
			n++
			if n <= 2 {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
			}
			return nil
		}
	})
	before := len(s.deliveries())
	it, _, _ = r.Box.Send(ctx, request("t", "ok@x.test"))
	if it.State != StateQueued || !strings.Contains(it.LastError, "try later") {
		t.Errorf("after a 451: %s %q", it.State, it.LastError)
	}
	it = r.waitState(it.ID, StateSent)
	if it.Attempts != 3 || len(s.deliveries()) != before+1 {
		t.Errorf("attempts %d, deliveries +%d", it.Attempts, len(s.deliveries())-before)
	}

	// A transiently refused recipient is retried alone.
	tries := 0
	s.set(func() {
		s.data = nil
		s.rcpt = func(to string) error {
			if to == "later@x.test" {
				if tries++; tries == 1 {
					return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
				}
			}
			return nil
		}
	})
	before = len(s.deliveries())
	it, _, _ = r.Box.Send(ctx, request("r", "now@x.test", "later@x.test"))
	r.waitState(it.ID, StateSent)
	d := s.deliveries()[before:]
	if len(d) != 2 || strings.Join(d[0].To, ",") != "now@x.test" || strings.Join(d[1].To, ",") != "later@x.test" {
		t.Errorf("deliveries %+v", d)
	}
}

func TestCancel(t *testing.T) {
	queue := make(chan map[string]int, 100)
	r := newRig(t, t.TempDir(), "127.0.0.1:1", true, func(c *Config) {
		c.BaseDelay = time.Hour
		c.OnQueue = func(m map[string]int) { queue <- maps.Clone(m) }
	})
	ctx := context.Background()
	it, _, err := r.Box.Send(ctx, request("c", "x@x.test"))
	if err != nil || it.State != StateQueued {
		t.Fatalf("send to a closed port: %v %+v", err, it)
	}
	// The worker's sweeps report the queued item, and none after cancel.
	r.Box.Start()
	awaitQueue(t, r.Box, queue, 1)
	if it, err = r.Box.Cancel(ctx, it.ID); err != nil || it.State != StateCancelled {
		t.Fatalf("cancel: %v %+v", err, it)
	}
	awaitQueue(t, r.Box, queue, 0)
	var se *StateError
	if _, err := r.Box.Cancel(ctx, it.ID); !errors.As(err, &se) {
		t.Errorf("second cancel: %v", err)
	}
}

// awaitQueue waits for a sweep that reports want items waiting for account
// "a", waking the worker so it does not wait for its poll interval.
func awaitQueue(t *testing.T, box *Outbox, queue <-chan map[string]int, want int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		box.Wake()
		select {
		case m := <-queue:
			if m["a"] == want {
				return
			}
		case <-deadline:
			t.Fatalf("no sweep reported %d waiting", want)
		}
	}
}
