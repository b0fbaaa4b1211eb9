// Package popbox shows a POP3 account to the engine as a one-folder IMAP
// mailbox, so every read tool (search with all its criteria, fetch_message,
// get_attachment, watch_inbox) works on POP3 mail unchanged.
//
// The mail is the account's local copy (internal/popstore), downloaded
// once per UIDL. A private IMAP server on loopback (go-imap's in-memory
// server, with a password only this process knows) serves it as INBOX:
// stored messages are appended at start in the order they were stored, so
// UIDs and UIDVALIDITY (1) and with them the tools' message ids stay the
// same across restarts; each sync appends what it downloaded, which wakes
// IDLE watchers. Everything that would change the mailbox other than the
// \Seen flag (folders, copy, move, delete, append, other flags) is
// refused with a NO that says why: POP3 has one folder and no flags, and
// deleting is the server's, governed by pop3_delete_after_days. The seen
// flag is local to this process (not kept across restarts).
//
// The whole mailbox is held in memory while mailmcp runs, which suits the
// mailboxes POP3 is used for (thousands of messages, not millions).
package popbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/mailmcp/mailmcp/internal/popstore"
)

// Options for Start.
type Options struct {
	Store  *popstore.Store
	Syncer *popstore.Syncer
	// Poll is how often the POP3 server is checked for new mail.
	Poll time.Duration
	Log  *slog.Logger
}

// Box is a running facade.
type Box struct {
	// Addr is the loopback IMAP address; Username and Password log in.
	Addr, Username, Password string

	opt    Options
	log    *slog.Logger
	user   *imapmemserver.User
	srv    *imapserver.Server
	ln     net.Listener
	mu     sync.Mutex
	loaded map[string]bool // UIDLs appended to INBOX
	ctx    context.Context // ended by Close: a sync in progress stops
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start loads the stored mail, serves it on a loopback port and syncs
// with the POP3 server every Poll until Close.
func Start(opt Options) (*Box, error) {
	if opt.Poll <= 0 {
		opt.Poll = time.Minute
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	var rnd [16]byte
	rand.Read(rnd[:])
	b := &Box{Username: "pop3", Password: hex.EncodeToString(rnd[:]), opt: opt, log: opt.Log.With("component", "pop3"),
		loaded: map[string]bool{}}
	b.user = imapmemserver.NewUser(b.Username, b.Password)
	if err := b.user.Create("INBOX", nil); err != nil {
		return nil, fmt.Errorf("popbox: create INBOX: %w", err)
	}
	if err := b.load(); err != nil {
		return nil, err
	}
	mem := imapmemserver.New()
	mem.AddUser(b.user)
	b.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return session{mem.NewSession().(imapserver.SessionIMAP4rev2)}, nil, nil
		},
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}, imap.CapUIDPlus: {}, imap.CapMove: {},
			imap.CapESearch: {}, imap.CapLiteralPlus: {}, imap.CapIdle: {},
		},
		InsecureAuth: true, // loopback only, and the password is ours
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("popbox: listen: %w", err)
	}
	b.ln, b.Addr = ln, ln.Addr().String()
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.wg.Add(2)
	go func() { defer b.wg.Done(); _ = b.srv.Serve(ln) }()
	go func() { defer b.wg.Done(); b.loop() }()
	return b, nil
}

// load appends the stored messages not yet in INBOX, oldest stored first.
func (b *Box) load() error {
	items, err := b.opt.Store.List()
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, it := range items {
		if b.loaded[it.UIDL] {
			continue
		}
		raw, err := b.opt.Store.Get(it.UIDL)
		if err != nil {
			return err
		}
		if _, err := b.user.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{Time: it.Stored}); err != nil {
			return fmt.Errorf("popbox: load %s: %w", it.UIDL, err)
		}
		b.loaded[it.UIDL] = true
	}
	return nil
}

func (b *Box) loop() {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
		}
		b.sync()
		t.Reset(b.opt.Poll)
	}
}

// sync checks the POP3 server once and serves what it downloaded.
func (b *Box) sync() {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Minute)
	defer cancel()
	_, err := b.opt.Syncer.Sync(ctx)
	// Serve what was stored even when the sync broke off half-way.
	if lerr := b.load(); err == nil {
		err = lerr
	}
	if err != nil && b.ctx.Err() == nil {
		b.log.Warn("pop3 sync failed; retrying at the next poll", "err", err)
	}
}

// Close stops syncing and serving.
func (b *Box) Close() error {
	if b.ctx.Err() != nil {
		return nil
	}
	b.cancel()
	err := b.srv.Close()
	b.ln.Close()
	b.wg.Wait()
	return err
}
