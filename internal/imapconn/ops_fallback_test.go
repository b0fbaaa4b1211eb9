package imapconn_test

import (
	"context"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// plainVia returns a pool that reaches the backend's plain-text IMAP port
// through a lineProxy hiding caps.
func plainVia(t *testing.T, b *backend, hide ...string) (*imapconn.Pool, *lineProxy) {
	t.Helper()
	target := b.addr
	if b.stack != nil {
		// Dovecot counts loopback as secure, so LOGIN works without
		// STARTTLS and the proxy can read and edit the conversation.
		target = b.stack.IMAPAddr()
	}
	px := newLineProxy(t, target, hide...)
	p := b.pool(t, px.addr(), func(a *imapconn.Account) { a.IMAP.TLS = imapconn.TLSPlain })
	return p, px
}

// wrote reports whether any client line starts with one of the commands.
func wrote(lines []string, cmds ...string) []string {
	var out []string
	for _, l := range lines {
		for _, c := range cmds {
			if l == c || strings.HasPrefix(l, c+" ") {
				out = append(out, l)
			}
		}
	}
	return out
}

// TestMoveWithoutMOVEUsesUIDExpunge: a server without MOVE but with
// UIDPLUS gets UID COPY + UID STORE \Deleted + UID EXPUNGE of exactly the
// moved UIDs; a bystander marked \Deleted in the same folder survives.
func TestMoveWithoutMOVEUsesUIDExpunge(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		b.fill(t, "NoMove", 4, num)
		p, px := plainVia(t, b, "MOVE", "IMAP4rev2")
		ctx := context.Background()
		if caps, err := p.Capabilities(ctx); err != nil || slices.Contains(caps, "MOVE") || !slices.Contains(caps, "UIDPLUS") {
			t.Fatalf("proxy did not hide MOVE: %v %v", caps, err)
		}
		refs := refsOf(t, p, "NoMove")
		if err := p.Do(ctx, imapconn.Op{Name: "mark", Folder: "NoMove"}, func(ctx context.Context, c *imapconn.Conn) error {
			return c.Client().Store(imap.UIDSetNum(refs[3].UID), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
		}); err != nil {
			t.Fatal(err)
		}
		res, err := p.Move(ctx, refs[:2], "Archive", imapconn.BulkOptions{})
		mustOK(t, res, err, 2)
		for i, r := range res.Results {
			if r.NewID == "" || subjectOf(t, p, r.NewID) != num(i+1) {
				t.Errorf("new id from COPYUID: %+v", r)
			}
		}
		sent := px.sent()
		if m := wrote(sent, "MOVE", "UID MOVE", "EXPUNGE"); len(m) > 0 {
			t.Errorf("sent %q without MOVE; only UID EXPUNGE is safe", m)
		}
		if len(wrote(sent, "UID COPY")) != 1 || len(wrote(sent, "UID EXPUNGE")) != 1 {
			t.Errorf("fallback commands: %q", sent)
		}
		if got := subjects(t, p, "NoMove"); !slices.Equal(got, []string{num(4), num(3)}) {
			t.Errorf("NoMove holds %q; the \\Deleted bystander must survive", got)
		}
	})
}

// TestMoveRefusedWithoutMOVEOrUIDPLUS: nothing is sent that changes the
// mailbox; the refusal says why.
func TestMoveRefusedWithoutMOVEOrUIDPLUS(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		b.fill(t, "Bare", 2, num)
		p, px := plainVia(t, b, "MOVE", "UIDPLUS", "IMAP4rev2")
		ctx := context.Background()
		refs := refsOf(t, p, "Bare")
		_, err := p.Move(ctx, refs, "Archive", imapconn.BulkOptions{})
		if fault.KindOf(err) != fault.Unsupported || !strings.Contains(err.Error(), "EXPUNGE") {
			t.Fatalf("move without MOVE and UIDPLUS: %v", err)
		}
		_, err = p.Delete(ctx, refs, false, imapconn.BulkOptions{})
		if fault.KindOf(err) != fault.Unsupported {
			t.Errorf("delete to Trash without MOVE and UIDPLUS: %v", err)
		}
		// Copy needs neither.
		if res, err := p.Copy(ctx, refs[:1], "Archive", imapconn.BulkOptions{}); err != nil || res.Succeeded != 1 {
			t.Errorf("copy: %+v %v", res, err)
		}
		if m := wrote(px.sent(), "MOVE", "UID MOVE", "EXPUNGE", "UID EXPUNGE", "UID STORE", "STORE"); len(m) > 0 {
			t.Errorf("sent %q although the move was refused", m)
		}
		if n := len(subjects(t, p, "Bare")); n != 2 {
			t.Errorf("Bare holds %d", n)
		}
	})
}

// TestDropDuringMoveIsUnknown: the connection is cut right after UID MOVE
// is relayed; the result must not claim success or failure, the command is
// not retried, and the message is in exactly one of the two folders.
func TestDropDuringMoveIsUnknown(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		b.fill(t, "Cut", 3, num)
		p, px := plainVia(t, b)
		ctx := context.Background()
		refs := refsOf(t, p, "Cut")
		archived := len(subjects(t, p, "Archive"))
		px.cutAfter("UID MOVE")
		res, err := p.Move(ctx, refs[:2], "Archive", imapconn.BulkOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Unknown != 2 || res.Succeeded != 0 || res.Failed != 0 {
			t.Fatalf("want 2 unknown: %+v", res)
		}
		for _, r := range res.Results {
			if r.OK || !r.Unknown || r.Error != imapconn.UnknownOutcome {
				t.Errorf("result %+v", r)
			}
		}
		if n := len(wrote(px.sent(), "UID MOVE")); n != 1 {
			t.Errorf("UID MOVE sent %d times; a non-idempotent command is never retried", n)
		}
		// Whatever the server did, nothing is lost or doubled.
		time.Sleep(100 * time.Millisecond)
		left, moved := len(subjects(t, p, "Cut")), len(subjects(t, p, "Archive"))-archived
		if left+moved != 3 || (moved != 0 && moved != 2) {
			t.Errorf("after the cut: %d left, %d moved", left, moved)
		}
		t.Logf("%s: the server carried out the cut move: %v", b.name, moved == 2)
	})
}

// TestBulkInBatches: 500 ids go out as UID sets of one batch each, with
// progress after every batch; 501 are refused; cancellation stops between
// batches and says what was done.
func TestBulkInBatches(t *testing.T) {
	eachBackend(t, func(t *testing.T, b *backend) {
		const n = imapconn.MaxBulk
		b.fill(t, "Bulk", n, num)
		p, px := plainVia(t, b)
		ctx := context.Background()
		refs := refsOf(t, p, "Bulk")
		if len(refs) != n {
			t.Fatalf("%d messages", len(refs))
		}
		var progress [][2]int
		res, err := p.Flag(ctx, refs, []string{"flagged"}, nil, imapconn.BulkOptions{Progress: func(done, total int) { progress = append(progress, [2]int{done, total}) }})
		mustOK(t, res, err, n)
		want := [][2]int{{100, n}, {200, n}, {300, n}, {400, n}, {500, n}}
		if !slices.Equal(progress, want) {
			t.Errorf("progress %v, want %v", progress, want)
		}
		if stores := wrote(px.sent(), "UID STORE"); len(stores) != 5 {
			t.Errorf("%d UID STORE commands for 500 ids, want 5 batches", len(stores))
		}
		yes := true
		if page, err := p.Search(ctx, "Bulk", imapconn.Criteria{Flagged: &yes}, 1, ""); err != nil || page.Total != n {
			t.Errorf("flagged: %+v %v", page, err)
		}

		// Cancel after the second batch: two batches moved, the rest untried.
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		res, err = p.Move(cctx, refs, "Archive", imapconn.BulkOptions{Progress: func(done, total int) {
			if done == 200 {
				cancel()
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Succeeded != 200 || res.NotAttempted != 300 || res.Stopped == "" || res.Results[250].Error != imapconn.NotAttempted {
			t.Fatalf("cancelled bulk: ok=%d not_attempted=%d stopped=%q", res.Succeeded, res.NotAttempted, res.Stopped)
		}
		if moves := wrote(px.sent(), "UID MOVE"); len(moves) != 2 {
			t.Errorf("%d UID MOVE commands, want 2", len(moves))
		}
		if left := len(refsOf(t, p, "Bulk")); left != 300 {
			t.Errorf("%d left in Bulk, want 300", left)
		}
		res, err = p.Move(ctx, refs, "Archive", imapconn.BulkOptions{})
		if err != nil || res.Succeeded != 300 || res.Failed != 200 {
			t.Errorf("second run: ok=%d failed=%d %v", res.Succeeded, res.Failed, err)
		}
		for i, r := range res.Results[200:] {
			if r.NewID == "" {
				t.Fatalf("result %d has no new id", 200+i)
			}
		}
	})
}

// capServer is an in-process go-imap server offering only caps, with a
// folder Src of n messages and an Archive folder.
func capServer(t *testing.T, caps imap.CapSet, n int) *imapconn.Pool {
	t.Helper()
	leakCheck(t)
	u := imapmemserver.NewUser("u@example.test", "pw")
	for _, f := range []string{"INBOX", "Src", "Archive", "Trash"} {
		if err := u.Create(f, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= n; i++ {
		raw := numbered(i, num)
		if _, err := u.Append("Src", lit{strings.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{Time: msgTime(i)}); err != nil {
			t.Fatal(err)
		}
	}
	mem := imapmemserver.New()
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); ln.Close(); wg.Wait() })
	host, port := splitHostPort(t, ln.Addr().String())
	return openPool(t, &imapconn.Account{ID: "t", Email: "u@example.test",
		IMAP: imapconn.Endpoint{Host: host, Port: port, TLS: imapconn.TLSPlain},
		Auth: &auth.PasswordLogin{Username: "u@example.test", Source: auth.SecretSource{Command: "printf pw"}}})
}

type lit struct {
	io.Reader
	n int64
}

func (l lit) Size() int64 { return l.n }

// TestServerConfiguredWithoutMOVE: go-imap's server offering IMAP4rev1
// with UIDPLUS only, then IMAP4rev1 alone (its Options.Caps).
func TestServerConfiguredWithoutMOVE(t *testing.T) {
	t.Run("uidplus", func(t *testing.T) {
		p := capServer(t, imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}, 3)
		refs := refsOf(t, p, "Src")
		res, err := p.Move(context.Background(), refs[:2], "Archive", imapconn.BulkOptions{})
		mustOK(t, res, err, 2)
		if got := subjects(t, p, "Src"); !slices.Equal(got, []string{num(3)}) {
			t.Errorf("Src holds %q", got)
		}
		res, err = p.Delete(context.Background(), refs[2:], false, imapconn.BulkOptions{})
		mustOK(t, res, err, 1)
		res, err = p.Delete(context.Background(), []imapconn.MessageRef{mustParse(t, res.Results[0].NewID)}, true, imapconn.BulkOptions{})
		mustOK(t, res, err, 1)
	})
	t.Run("bare", func(t *testing.T) {
		p := capServer(t, imap.CapSet{imap.CapIMAP4rev1: {}}, 2)
		refs := refsOf(t, p, "Src")
		if _, err := p.Move(context.Background(), refs, "Archive", imapconn.BulkOptions{}); fault.KindOf(err) != fault.Unsupported {
			t.Errorf("move: %v", err)
		}
		if len(subjects(t, p, "Src")) != 2 {
			t.Error("refused move changed Src")
		}
	})
}

func mustParse(t *testing.T, id string) imapconn.MessageRef {
	t.Helper()
	ref, err := imapconn.ParseID(id)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}
