package pop3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/pop3"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

func TestMain(m *testing.M) { testrig.Main(m) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, s *testrig.Stack, mode pop3.TLSMode) *pop3.Client {
	t.Helper()
	addr := s.POP3SAddr()
	if mode != pop3.TLSImplicit {
		addr = s.POP3Addr()
	}
	c, err := pop3.Dial(ctxT(t), addr, pop3.Options{TLS: mode, TLSConfig: s.TLSConfig(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func message(u testrig.User, i int, body string) []byte {
	return []byte(fmt.Sprintf("From: Pat <pat@example.org>\r\nTo: %s\r\nSubject: POP %d\r\nMessage-ID: <pop%d@example.org>\r\n\r\n%s", u.Email, i, i, body))
}

// TestMechanisms logs in with every mechanism Dovecot offers over POP3,
// on implicit TLS and STLS, and checks a wrong password fails with the
// server's text and no panic or hang.
func TestMechanisms(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	for _, mode := range []pop3.TLSMode{pop3.TLSImplicit, pop3.TLSStartTLS} {
		// Dovecot 2.3 offers no SCRAM -PLUS variant (channel binding).
		for _, mech := range []string{auth.MechSCRAMSHA256, auth.MechSCRAMSHA1, auth.MechCRAMMD5, auth.MechPlain, auth.MechLogin, "USER", "APOP"} {
			t.Run(string(mode)+"/"+mech, func(t *testing.T) {
				c := dial(t, s, mode)
				caps, err := c.Capabilities(ctxT(t))
				if err != nil {
					t.Fatal(err)
				}
				login := func(pass string) error {
					switch mech {
					case "USER":
						return c.Login(ctxT(t), u.Username, pass)
					case "APOP":
						if !c.APOPOffered() {
							t.Fatal("Dovecot with apop in auth_mechanisms sends a timestamp")
						}
						return c.APOP(ctxT(t), u.Username, pass)
					}
					if got, err := auth.Choose(caps["SASL"], auth.Choice{Override: mech, TLS: c.TLS() != nil}); err != nil || got != mech {
						t.Fatalf("SASL %v: choose %s: %v", caps["SASL"], mech, err)
					}
					sc, err := auth.NewSASLClient(mech, u.Username, auth.Secret(pass), s.Host, s.POP3SPort, c.TLS())
					if err != nil {
						t.Fatal(err)
					}
					if err := c.Authenticate(ctxT(t), sc); err != nil {
						return err
					}
					return auth.VerifySASL(sc)
				}
				if err := login(u.Password + "x"); err == nil {
					t.Fatal("wrong password accepted")
				} else if strings.Contains(err.Error(), u.Password) {
					t.Fatalf("error echoes the password: %v", err)
				} else {
					var pe *pop3.Error
					if !errors.As(err, &pe) || !strings.Contains(strings.ToLower(pe.Text+pe.Code), "auth") {
						t.Logf("wrong password: %v", err) // Dovecot: -ERR [AUTH] Authentication failed.
					}
				}
				// Dovecot closes nothing after one failure: log in on the same session.
				if err := login(u.Password); err != nil {
					t.Fatalf("login: %v", err)
				}
				if _, _, err := c.Stat(ctxT(t)); err != nil {
					t.Fatalf("STAT after login: %v", err)
				}
			})
		}
	}
}

// TestDownload: delivered messages come back byte for byte through UIDL
// and RETR (dot-stuffed lines included), TOP gives the header, and a
// DELE is applied only at QUIT.
func TestDownload(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	bodies := []string{"one\r\n", ".starts with a dot\r\n..two dots\r\n.\r\nnot the end\r\n", strings.Repeat("long line ", 2000) + "\r\n"}
	for i, b := range bodies {
		if err := s.DeliverLMTP(ctxT(t), "pat@example.org", []string{u.Email}, message(u, i, b)); err != nil {
			t.Fatal(err)
		}
	}
	c := dial(t, s, pop3.TLSImplicit)
	if err := c.Login(ctxT(t), u.Username, u.Password); err != nil {
		t.Fatal(err)
	}
	n, size, err := c.Stat(ctxT(t))
	if err != nil || n != 3 || size <= 0 {
		t.Fatalf("STAT %d %d %v", n, size, err)
	}
	ids, err := c.UIDL(ctxT(t))
	if err != nil || len(ids) != 3 {
		t.Fatalf("UIDL %v %v", ids, err)
	}
	sizes, err := c.List(ctxT(t))
	if err != nil || len(sizes) != 3 {
		t.Fatalf("LIST %v %v", sizes, err)
	}
	for i, e := range ids {
		raw, err := c.Retr(ctxT(t), e.N)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(raw, message(u, i, bodies[i])[len(message(u, i, "")):]) || !bytes.Contains(raw, []byte(fmt.Sprintf("Subject: POP %d\r\n", i))) {
			t.Errorf("message %d came back as %q", i, raw[max(0, len(raw)-200):])
		}
		if int64(len(raw)) != sizes[i].Size {
			t.Errorf("message %d: %d bytes, LIST says %d", i, len(raw), sizes[i].Size)
		}
	}
	top, err := c.Top(ctxT(t), 1, 0)
	if err != nil || !bytes.Contains(top, []byte("Subject: POP 0")) || bytes.Contains(top, []byte("one\r\n")) {
		t.Fatalf("TOP: %q %v", top, err)
	}
	if err := c.Dele(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	// Before QUIT another session still sees it... Dovecot locks the
	// mailbox per session, so check after the session ends without QUIT.
	c.Close()
	c2 := dial(t, s, pop3.TLSImplicit)
	if err := c2.Login(ctxT(t), u.Username, u.Password); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := c2.Stat(ctxT(t)); n != 3 {
		t.Fatalf("a DELE without QUIT removed a message: %d left", n)
	}
	if err := c2.Dele(ctxT(t), 1); err != nil {
		t.Fatal(err)
	}
	if err := c2.Quit(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	c3 := dial(t, s, pop3.TLSImplicit)
	if err := c3.Login(ctxT(t), u.Username, u.Password); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := c3.Stat(ctxT(t)); n != 2 {
		t.Fatalf("after DELE and QUIT: %d messages, want 2", n)
	}
	if again, _ := c3.UIDL(ctxT(t)); len(again) != 2 || again[0].UIDL != ids[1].UIDL {
		t.Errorf("UIDLs are not stable across sessions: %v then %v", ids, again)
	}
}

// TestStalledServer: a server that stops answering in the middle of a
// RETR fails the command within the timeout, and a cancelled context
// fails it at once; neither hangs.
func TestStalledServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				conn.Write([]byte("+OK ready\r\n"))
				buf := make([]byte, 512)
				conn.Read(buf) // RETR 1
				conn.Write([]byte("+OK 100 octets\r\nFrom: a\r\n"))
				time.Sleep(3 * time.Second) // then nothing
			})
		}
	}()
	c, err := pop3.Dial(context.Background(), ln.Addr().String(), pop3.Options{TLS: pop3.TLSPlain, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	if _, err := c.Retr(context.Background(), 1); err == nil || !strings.Contains(err.Error(), "no response within") {
		t.Fatalf("stalled RETR: %v", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("stalled RETR took %v", d)
	}
	c2, err := pop3.Dial(context.Background(), ln.Addr().String(), pop3.Options{TLS: pop3.TLSPlain, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := c2.Retr(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled RETR: %v", err)
	}
}
