package popstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/pop3"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

func TestMain(m *testing.M) { testrig.Main(m) }

const (
	childEnv  = "MAILMCP_POPSTORE_CHILD"
	childDir  = "MAILMCP_POPSTORE_DIR"
	childAddr = "MAILMCP_POPSTORE_ADDR"
	childUser = "MAILMCP_POPSTORE_USER"
	childPass = "MAILMCP_POPSTORE_PASS"
	childCA   = "MAILMCP_POPSTORE_CA"
)

// dialer logs in to addr with STLS (addr may be a proxy in front of the
// rig's POP3 port; TLS is still checked against the rig's CA).
func dialer(s *testrig.Stack, addr string, u testrig.User) func(context.Context) (*pop3.Client, error) {
	return func(ctx context.Context) (*pop3.Client, error) {
		c, err := pop3.Dial(ctx, addr, pop3.Options{TLS: pop3.TLSStartTLS, TLSConfig: s.TLSConfig(), Timeout: 10 * time.Second})
		if err != nil {
			return nil, err
		}
		if err := c.Login(ctx, u.Username, u.Password); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// serverCopies returns every message on the server by UIDL.
func serverCopies(t *testing.T, dial func(context.Context) (*pop3.Client, error)) map[string][]byte {
	t.Helper()
	c, err := dial(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ids, err := c.UIDL(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ids {
		raw, err := c.Retr(ctxT(t), e.N)
		if err != nil {
			t.Fatal(err)
		}
		out[e.UIDL] = raw
	}
	return out
}

// checkComplete: every stored message is byte for byte the server's, and
// no temporary file is left.
func checkComplete(t *testing.T, st *Store, server map[string][]byte) int {
	t.Helper()
	items, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		got, err := st.Get(it.UIDL)
		if err != nil {
			t.Fatal(err)
		}
		if want, ok := server[it.UIDL]; !ok || !bytes.Equal(got, want) {
			t.Fatalf("stored %s (%d bytes) differs from the server's (%d bytes)", it.UIDL, len(got), len(want))
		}
	}
	if left, _ := filepath.Glob(filepath.Join(st.dir, tmpPrefix+"*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	return len(items)
}

// TestBackfill1000: 1000 messages are downloaded once; a second sync
// fetches nothing.
func TestBackfill1000(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	s.Populate(t, u, "INBOX", 1000)
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sy := &Syncer{Store: st, Dial: dialer(s, s.POP3Addr(), u)}
	t0 := time.Now()
	res, err := sy.Sync(ctxT(t))
	if err != nil || res.OnServer != 1000 || res.Downloaded != 1000 {
		t.Fatalf("first sync %+v %v", res, err)
	}
	t.Logf("1000 messages in %v", time.Since(t0).Round(time.Millisecond))
	if res, err := sy.Sync(ctxT(t)); err != nil || res.Downloaded != 0 {
		t.Fatalf("second sync %+v %v", res, err)
	}
	items, _ := st.List()
	if len(items) != 1000 {
		t.Fatalf("%d stored", len(items))
	}
}

// cutProxy forwards to target and, while armed, drops the connection once
// it has passed cut bytes from the server.
type cutProxy struct {
	ln     net.Listener
	target string
	cut    int64
	armed  atomic.Bool
	wg     sync.WaitGroup
}

func startCutProxy(t *testing.T, target string, cut int64) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, cut: cut}
	p.armed.Store(true)
	go func() {
		for {
			cl, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Go(func() { p.serve(cl) })
		}
	}()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *cutProxy) serve(cl net.Conn) {
	defer cl.Close()
	sv, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer sv.Close()
	go func() { io.Copy(sv, cl); sv.Close() }()
	if !p.armed.Load() {
		io.Copy(cl, sv)
		return
	}
	io.CopyN(cl, sv, p.cut)
	p.armed.Store(false) // one cut, then behave
}

// TestDroppedMidRetr: the connection drops in the middle of a download;
// what was stored stays, nothing half-written appears, and the next sync
// fetches the rest without fetching anything twice.
func TestDroppedMidRetr(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	s.PopulateFunc(t, u, "INBOX", 40, func(i int) []byte {
		return []byte(fmt.Sprintf("From: a@example.org\r\nSubject: big %d\r\n\r\n%s\r\n", i, bytes.Repeat([]byte("0123456789"), 2000)))
	})
	p := startCutProxy(t, s.POP3Addr(), 300_000) // in the middle of message ~15
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sy := &Syncer{Store: st, Dial: dialer(s, p.ln.Addr().String(), u)}
	first, err := sy.Sync(ctxT(t))
	if err == nil {
		t.Fatal("the cut connection went unnoticed")
	}
	t.Logf("first sync: %+v, %v", first, err)
	server := serverCopies(t, dialer(s, s.POP3Addr(), u))
	if n := checkComplete(t, st, server); n != first.Downloaded || n == 0 || n >= 40 {
		t.Fatalf("%d stored after the cut, first sync says %d", n, first.Downloaded)
	}
	second, err := sy.Sync(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if first.Downloaded+second.Downloaded != 40 {
		t.Fatalf("downloads %d + %d, want 40 in all (nothing twice)", first.Downloaded, second.Downloaded)
	}
	if n := checkComplete(t, st, server); n != 40 {
		t.Fatalf("%d stored", n)
	}
}

// TestKill9MidDownload: a process downloading is killed -9; reopening the
// store leaves only whole messages, and a sync completes the rest.
func TestKill9MidDownload(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		killChild()
		return
	}
	s := testrig.Require(t)
	u := s.NewUser(t)
	s.Populate(t, u, "INBOX", 300)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9MidDownload$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1", childDir+"="+dir, childAddr+"="+s.POP3Addr(),
		childUser+"="+u.Username, childPass+"="+u.Password, childCA+"="+s.CAFile)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		if len(files) >= 30 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child stored fewer than 30 messages in 60 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	server := serverCopies(t, dialer(s, s.POP3Addr(), u))
	n := checkComplete(t, st, server)
	t.Logf("%d whole messages stored when killed", n)
	sy := &Syncer{Store: st, Dial: dialer(s, s.POP3Addr(), u)}
	res, err := sy.Sync(ctxT(t))
	if err != nil || n+res.Downloaded != 300 {
		t.Fatalf("after the kill: %d stored + %d downloaded, %v", n, res.Downloaded, err)
	}
	checkComplete(t, st, server)
}

func killChild() {
	st, err := Open(os.Getenv(childDir))
	if err != nil {
		os.Exit(2)
	}
	pool, err := loadCA(os.Getenv(childCA))
	if err != nil {
		os.Exit(2)
	}
	sy := &Syncer{Store: st, Dial: func(ctx context.Context) (*pop3.Client, error) {
		host, _, _ := net.SplitHostPort(os.Getenv(childAddr))
		c, err := pop3.Dial(ctx, os.Getenv(childAddr), pop3.Options{TLS: pop3.TLSStartTLS, TLSConfig: tlsConfig(pool, host), Timeout: 10 * time.Second})
		if err != nil {
			return nil, err
		}
		return c, c.Login(ctx, os.Getenv(childUser), os.Getenv(childPass))
	}}
	sy.Sync(context.Background())
	time.Sleep(time.Minute)
}

// TestDeleteAfter: with pop3_delete_after_days, server copies stored long
// enough ago are deleted, only after the local copy exists; the local
// copies stay.
func TestDeleteAfter(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	s.Populate(t, u, "INBOX", 5)
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	sy := &Syncer{Store: st, Dial: dialer(s, s.POP3Addr(), u), DeleteAfter: day}
	if res, err := sy.Sync(ctxT(t)); err != nil || res.Downloaded != 5 || res.Deleted != 0 {
		t.Fatalf("first sync %+v %v (nothing is a day old yet)", res, err)
	}
	sy.now = func() time.Time { return time.Now().Add(2 * day) }
	if res, err := sy.Sync(ctxT(t)); err != nil || res.Deleted != 5 {
		t.Fatalf("two days later %+v %v", res, err)
	}
	c, err := dialer(s, s.POP3Addr(), u)(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n, _, _ := c.Stat(ctxT(t)); n != 0 {
		t.Fatalf("%d left on the server", n)
	}
	if items, _ := st.List(); len(items) != 5 {
		t.Fatalf("%d stored locally", len(items))
	}
}
